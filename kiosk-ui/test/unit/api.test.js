import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onSessionEnded, post, setToken } from '../../app/shared/api.js';

const answering = (status, body) => async () => new Response(JSON.stringify(body), {
  status, headers: { 'content-type': 'application/json' },
});

test("a supervisor's wrong PIN (401 sign_in_failed) does not end the clerk's session", async () => {
  let ended = 0;
  onSessionEnded(() => { ended += 1; });
  setToken('clerk-token');
  globalThis.fetch = answering(401, { error: 'wrong PIN', code: 'sign_in_failed', rule: 'R-SVC-2' });
  await assert.rejects(post('/api/cards/1/loss-report/cancellation'), { code: 'sign_in_failed' });
  assert.equal(ended, 0);
  globalThis.fetch = answering(401, { error: 'session over', code: 'session_expired' });
  await assert.rejects(post('/api/cards/1/loss-report/cancellation'), { code: 'session_expired' });
  assert.equal(ended, 1);
  setToken(null);
});
