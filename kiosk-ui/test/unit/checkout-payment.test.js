import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remaining, settles, fillWithRest, singleTender } from '../../app/checkout/tenders.js';
import { redemptionSteps, clampRedemption, stepRedemption } from '../../app/checkout/redemption.js';
import { latestOnly } from '../../app/checkout/latest.js';
import { refundLines, refundRequest } from '../../app/checkout/refund.js';
import { SALE_KEYS, shortcut } from '../../app/checkout/keys.js';

test('what is still owed is counted in fen, never in floats', () => {
  assert.equal(remaining('0.30', [{ kind: 'cash', amount: '0.10' }, { kind: 'cash', amount: '0.20' }]), '0.00');
  assert.equal(remaining('1000.00', [{ kind: 'cash', amount: '600' }, { kind: 'coupon', amount: '' }]), '400.00');
  assert.equal(remaining('10.00', [{ kind: 'cash', amount: '15.5' }]), '-5.50');
});

test('tenders settle only when they add up exactly and each is complete', () => {
  assert.ok(settles('980.00', [{ kind: 'cash', amount: '500' }, { kind: 'bank_card', amount: '480.00' }]));
  assert.ok(!settles('980.00', [{ kind: 'cash', amount: '979.99' }]));
  assert.ok(!settles('980.00', []));
  assert.ok(!settles('0.00', [{ kind: '', amount: '0' }]));
});

test('"the rest" fills one tender with what the others leave, never below zero', () => {
  const ts = [{ kind: 'coupon', amount: '50.00' }, { kind: 'cash', amount: '' }];
  assert.deepEqual(fillWithRest('980.00', ts, 1)[1], { kind: 'cash', amount: '930.00' });
  assert.deepEqual(fillWithRest('40.00', ts, 1)[1].amount, '0.00');
  assert.deepEqual(singleTender('12.5'), [{ kind: 'cash', amount: '12.50' }]);
});

test('redemption is offered in whole units up to what the server allows', () => {
  assert.deepEqual(redemptionSteps(0), [0]);
  assert.deepEqual(redemptionSteps(99), [0]);
  assert.deepEqual(redemptionSteps(350), [0, 100, 200, 300]);
  assert.equal(clampRedemption(500, 300), 300);
  assert.equal(clampRedemption(250, 900), 200);
  assert.equal(clampRedemption(300, 0), 0);
  assert.equal(stepRedemption(200, +1, 300), 300);
  assert.equal(stepRedemption(300, +1, 300), 300);
  assert.equal(stepRedemption(100, -1, 300), 0);
});

test('only the newest quote answer is used', () => {
  const latest = latestOnly();
  const first = latest.take();
  const second = latest.take();
  assert.equal(latest.current(first), false);
  assert.equal(latest.current(second), true);
  latest.drop();
  assert.equal(latest.current(second), false);
});

test('refund lines are those picked, within what is left of each', () => {
  const lines = [
    { index: 0, quantity: 3, refunded_quantity: 1 },
    { index: 1, quantity: 1, refunded_quantity: 0 },
    { index: 2, quantity: 2, refunded_quantity: 2 },
  ];
  assert.deepEqual(refundLines(lines, { 0: 5, 2: 1 }), [{ index: 0, quantity: 2 }]);
  assert.deepEqual(refundLines(lines, { 1: 1 }), [{ index: 1, quantity: 1 }]);
  assert.deepEqual(refundRequest({ refundNo: 'RT01-1', tillId: 'T01', lines: [] }), { refund_no: 'RT01-1', till_id: 'T01', lines: [] });
});

test('the till keys map to their actions; chords are left alone', () => {
  assert.equal(shortcut(SALE_KEYS, { key: 'F9' }), 'commit');
  assert.equal(shortcut(SALE_KEYS, { key: 'Escape' }), 'cancel');
  assert.equal(shortcut(SALE_KEYS, { key: 'F9', ctrlKey: true }), null);
  assert.equal(shortcut(SALE_KEYS, { key: 'a' }), null);
});
