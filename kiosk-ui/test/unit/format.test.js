import { test } from 'node:test';
import assert from 'node:assert/strict';
import { money, toFen, fromFen, date, dateTime, storeDay, points } from '../../app/shared/format.js';

test('amounts are formatted from their digits to the cent', () => {
  assert.equal(money('1234.5'), '¥1,234.50');
  assert.equal(money('1234.50', 'en'), '¥1,234.50');
  assert.equal(money('0.1'), '¥0.10');
  assert.equal(money('99999999.99'), '¥99,999,999.99');
  assert.equal(money('-12'), '-¥12.00');
  // A float would print 0.30000000000000004 somewhere; digits never do.
  assert.equal(fromFen(toFen('0.1') + toFen('0.2')), '0.30');
});

test('anything that is not an amount is refused, not guessed', () => {
  for (const bad of ['', '1.234', '1e3', 'abc', '1,000.00', null, undefined]) {
    assert.throws(() => toFen(bad), RangeError, String(bad));
  }
});

test('points are grouped', () => {
  assert.equal(points(12345), '12,345');
});

test('a calendar day is shown as that day whatever the browser zone', () => {
  assert.equal(date('2026-03-10', 'zh'), '2026年3月10日');
  assert.equal(date('2026-03-10', 'en'), '10 Mar 2026');
});

test('instants are shown in store time', () => {
  // 17:30 UTC is 01:30 the next day in China (UTC+8).
  assert.equal(dateTime('2026-03-10T17:30:00Z', 'en', 480), '11/03/2026, 01:30');
  assert.equal(storeDay(Date.parse('2026-03-10T17:30:00Z'), 480), '2026-03-11');
  assert.equal(storeDay(Date.parse('2026-03-10T15:59:00Z'), 480), '2026-03-10');
});
