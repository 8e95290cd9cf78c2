import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARNING_MS, idleLimitMs, idlePhase } from '../../app/shared/idle.js';

const minute = 60_000;

test('in use until 30 s before the limit, then a countdown, then locked at the limit', () => {
  const limit = idleLimitMs(10);
  assert.equal(limit, 10 * minute);
  assert.deepEqual(idlePhase(0, 0, limit), { phase: 'active', secondsLeft: 600 });
  assert.equal(idlePhase(0, limit - WARNING_MS - 1, limit).phase, 'active');
  assert.deepEqual(idlePhase(0, limit - WARNING_MS, limit), { phase: 'warning', secondsLeft: 30 });
  assert.deepEqual(idlePhase(0, limit - 1500, limit), { phase: 'warning', secondsLeft: 2 });
  assert.deepEqual(idlePhase(0, limit - 1, limit), { phase: 'warning', secondsLeft: 1 });
  assert.deepEqual(idlePhase(0, limit, limit), { phase: 'locked', secondsLeft: 0 });
  assert.deepEqual(idlePhase(0, limit + 5 * minute, limit), { phase: 'locked', secondsLeft: 0 });
});

test('activity moves the limit: it counts from the last key, tap or card', () => {
  const limit = idleLimitMs(2);
  const start = 1_700_000_000_000;
  assert.equal(idlePhase(start, start + 100_000, limit).phase, 'warning');
  assert.equal(idlePhase(start + 100_000, start + 100_001, limit).phase, 'active');
});

test('a clock set back never locks early', () => {
  assert.equal(idlePhase(10 * minute, 5 * minute, idleLimitMs(1)).phase, 'active');
});

test('the limit is at least one minute, whole minutes, whatever the store says', () => {
  assert.equal(idleLimitMs(0), minute);
  assert.equal(idleLimitMs(undefined), minute);
  assert.equal(idleLimitMs(-3), minute);
  assert.equal(idleLimitMs(2.7), 2 * minute);
  // One minute: the warning is the last 30 s, and the first 30 s are quiet.
  assert.equal(idlePhase(0, 29_999, idleLimitMs(1)).phase, 'active');
  assert.equal(idlePhase(0, 30_000, idleLimitMs(1)).phase, 'warning');
});
