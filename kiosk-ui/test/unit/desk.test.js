import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockedBecause, cardCondition, cardNumberOf, completionFor, daysOverdue, feeFor, followUpOrder,
  printState, reportable, searchBody, withdrawalOffered, writeStep,
} from '../../app/desk/desk-logic.js';

const policy = { replacement_fee: { vip: '10.00', gold: '0.00', platinum: '0.00' } };
const card = (over = {}) => ({
  card_number: '880001000000037', tier: 'vip', state: 'active', usable: true, unusable: null,
  valid_from: '2026-07-17', replaced_by: null, ...over,
});
const unusable = (reason, rule) => ({ usable: false, unusable: { reason, rule, message: '' } });

test('a search sends the value in the body, by phone or by ID document', () => {
  assert.deepEqual(searchBody('phone', ' 130 0000-0002 '), { body: { phone: '13000000002' } });
  assert.deepEqual(searchBody('prc_resident', '11010519491231002x'),
    { body: { id_document: { kind: 'prc_resident', number: '11010519491231002X' } } });
  assert.deepEqual(searchBody('phone', 'abc'), { error: 'desk.search.phone_invalid', field: 'phone' });
  assert.deepEqual(searchBody('passport', '  '), { error: 'desk.search.id_missing', field: 'id_document.number' });
  assert.equal(searchBody('email', 'x').error, 'desk.search.by_invalid');
});

test('a typed card number keeps its digits only', () => {
  assert.equal(cardNumberOf(' 8800 0100 0000 037 '), '880001000000037');
  assert.equal(cardNumberOf('88-00'), null);
  assert.equal(cardNumberOf('8800010000000a7'), null);
});

test('the condition is the reason a card is unusable, else its state', () => {
  assert.equal(cardCondition(card()), 'active');
  assert.equal(cardCondition(card({ state: 'active', ...unusable('pending', 'R-REP-5') })), 'pending');
  assert.equal(cardCondition(null), null);
});

test('a blocked card completes its loss report; an active or inactive card is a damaged exchange', () => {
  const lost = completionFor(card({ state: 'blocked', ...unusable('blocked', 'R-REP-2') }), policy);
  assert.equal(lost.reason, 'lost');
  assert.equal(lost.refusal, null);
  assert.equal(completionFor(card(), policy).reason, 'damaged');
  assert.equal(completionFor(card({ state: 'inactive', ...unusable('inactive', 'R-EXP-1') }), policy).reason, 'damaged');
});

test('a replaced, pending or never issued card cannot be replaced, and the rule is named', () => {
  assert.deepEqual(completionFor(card({ state: 'replaced', ...unusable('replaced', 'R-REP-5') }), policy).refusal,
    { rule: 'R-REP-5', key: 'desk.refusal.replaced' });
  assert.deepEqual(completionFor(card(unusable('pending', 'R-REP-5')), policy).refusal,
    { rule: 'R-REP-5', key: 'desk.refusal.pending' });
  assert.equal(completionFor(card({ state: 'void', ...unusable('not_issued', 'R-ENR-3') }), policy).refusal.rule, 'R-ENR-3');
  assert.equal(completionFor(null, policy).refusal.key, 'desk.refusal.no_card');
});

test('the fee is the policy figure for the tier (R-REP-1), free for Gold and Platinum (R-REP-3)', () => {
  assert.deepEqual([completionFor(card(), policy).fee, completionFor(card(), policy).free], ['10.00', false]);
  const gold = completionFor(card({ tier: 'gold' }), policy);
  assert.deepEqual([gold.fee, gold.free], ['0.00', true]);
  assert.equal(completionFor(card({ tier: 'platinum' }), policy).free, true);
  // No policy read yet: no figure is invented.
  assert.deepEqual([feeFor('vip', null), completionFor(card(), null).free], [null, false]);
  // A policy that charges Gold is shown as it is.
  assert.equal(completionFor(card({ tier: 'gold' }), { replacement_fee: { gold: '5.00' } }).free, false);
});

test('only active or inactive cards can be reported lost', () => {
  assert.equal(reportable(card()), true);
  assert.equal(reportable(card({ state: 'inactive' })), true);
  assert.equal(reportable(card({ state: 'blocked' })), false);
  assert.equal(reportable(card({ state: 'replaced' })), false);
});

test('the withdrawal is offered for a blocked card not yet replaced, not on a later day', () => {
  const blocked = card({ state: 'blocked' });
  assert.equal(withdrawalOffered(blocked), true);
  assert.equal(withdrawalOffered(blocked, '2026-11-29', '2026-11-29'), true);
  assert.equal(withdrawalOffered(blocked, '2026-11-28', '2026-11-29'), false);
  assert.equal(withdrawalOffered(card({ state: 'blocked', replaced_by: '880001000000110' })), false);
  assert.equal(withdrawalOffered(card()), false);
});

test('the write progress follows the reader: waiting, ready, writing, done', () => {
  const reader = { connected: true, cardPresent: false, reading: false, check: null };
  assert.equal(writeStep({ ...reader, connected: false }, 'idle'), 'no_reader');
  // Live from the reader's events while the request runs.
  assert.equal(writeStep({ ...reader, writing: 'writing' }, 'writing'), 'writing');
  assert.equal(writeStep({ ...reader, writing: 'written' }, 'writing'), 'written');
  assert.equal(writeStep(reader, 'idle'), 'insert_card');
  assert.equal(writeStep({ ...reader, cardPresent: true, reading: true }, 'idle'), 'reading');
  assert.equal(writeStep({ ...reader, cardPresent: true, check: { verdict: 'blank' } }, 'idle'), 'ready');
  assert.equal(writeStep({ ...reader, cardPresent: true, check: { verdict: 'active' } }, 'idle'), 'member_card');
  assert.equal(writeStep({ ...reader, cardPresent: true, check: { verdict: 'blank' } }, 'writing'), 'writing');
  assert.equal(writeStep(reader, 'done'), 'done');
});

test('a card pulled mid-write says "insert it again", and is ready once a card is back', () => {
  const empty = { connected: true, cardPresent: false, reading: false, check: null };
  const removed = { code: 'card_removed' };
  assert.equal(writeStep(empty, 'failed', removed), 'removed');
  assert.equal(writeStep(empty, 'failed', { code: 'card_swapped' }), 'removed');
  assert.equal(writeStep(empty, 'failed', { code: 'no_card' }), 'removed');
  assert.equal(writeStep(empty, 'failed', { code: 'card_not_responding' }), 'failed');
  assert.equal(writeStep({ ...empty, cardPresent: true, check: { verdict: 'blank' } }, 'failed', removed), 'ready');
  // A rule refusal is not a write failure: the reader decides the step.
  assert.equal(writeStep(empty, 'failed', { code: 'R-REP-2' }), 'insert_card');
});

test('actions say why they are disabled: server away first, then the card, then the PIN', () => {
  const up = { reachable: true };
  const down = { reachable: false };
  const sup = { staff: 'S001', pin: '2468' };
  assert.equal(blockedBecause({ connection: down, step: 'ready' }, ['server', 'card']), 'desk.blocked.server');
  assert.equal(blockedBecause({ connection: up, step: 'insert_card' }, ['server', 'card']), 'desk.blocked.card');
  assert.equal(blockedBecause({ connection: up, step: 'member_card' }, ['server', 'card']), 'desk.blocked.member_card');
  assert.equal(blockedBecause({ connection: up, step: 'ready', supervisor: { staff: 'S001', pin: '' } },
    ['server', 'card', 'supervisor']), 'desk.blocked.supervisor');
  assert.equal(blockedBecause({ connection: up, step: 'ready', supervisor: sup }, ['server', 'card', 'supervisor']), null);
  assert.equal(blockedBecause({ connection: up, busy: true }, ['server']), 'desk.blocked.busy');
  assert.equal(blockedBecause({ connection: down }, []), null);
});

test('the print state of an answer', () => {
  assert.equal(printState(undefined).state, 'none');
  assert.equal(printState([{ job_id: 4, state: 'printed' }]).state, 'printed');
  assert.deepEqual(printState([{ job_id: 4, state: 'printed' }, { job_id: 5, state: 'failed', fault: 'paper_out' }]),
    { state: 'failed', fault: 'paper_out', jobId: 5, jobs: [{ job_id: 4, state: 'printed' }, { job_id: 5, state: 'failed', fault: 'paper_out' }] });
  assert.equal(printState([{ job_id: 4, state: 'pending' }]).state, 'pending');
});

test('the follow-up list: days past the deadline, oldest first', () => {
  assert.equal(daysOverdue('2026-11-20', '2026-11-29'), 9);
  assert.equal(daysOverdue('2026-02-28', '2026-03-01'), 1);
  assert.equal(daysOverdue('soon', '2026-03-01'), null);
  const rows = [{ id: 3, deadline: '2026-11-22' }, { id: 1, deadline: '2026-11-20' }, { id: 2, deadline: '2026-11-22' }];
  assert.deepEqual(followUpOrder(rows).map((r) => r.id), [1, 2, 3]);
});
