import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiFailure, errorMessage, failureFromBody } from '../../app/shared/errors.js';
import { translator } from '../../app/shared/i18n.js';

const t = translator({
  'error.R-ENR-1': 'Applicant must be 18.',
  'error.card_removed': 'Card removed: insert it again.',
  'error.unlisted': 'Refused ({code}).',
}, 'en');

test('a rule refusal is said in the operator words with its rule id', () => {
  const failure = failureFromBody(422, { error: 'under 18', code: 'R-ENR-1', rule: 'R-ENR-1', field: 'birth_date' });
  assert.equal(errorMessage(t, failure), 'Applicant must be 18. (R-ENR-1)');
  assert.equal(failure.field, 'birth_date');
});

test('a non-rule code has its own message; English server text is never shown', () => {
  const failure = failureFromBody(409, { error: 'the card was removed', code: 'card_removed' });
  assert.equal(errorMessage(t, failure), 'Card removed: insert it again.');
});

test('a refusal coded otherwise still names the rule that refused', () => {
  const failure = failureFromBody(401, { error: 'wrong PIN', code: 'card_removed', rule: 'R-SVC-2' });
  assert.equal(errorMessage(t, failure), 'Card removed: insert it again. (R-SVC-2)');
});

test('a body without a code is a bad answer', () => {
  assert.equal(failureFromBody(502, 'gateway').code, 'bad_answer');
  assert.equal(errorMessage(t, new ApiFailure({ code: 'nope' })), 'Refused (nope).');
});
