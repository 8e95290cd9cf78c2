import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wedgeKey, wedgeStart, wedgeTick, scanTarget, isPrintable } from '../../app/checkout/wedge.js';

/** Feeds `keys` ([key, time]) and returns every effect. */
function feed(keys, options) {
  let state = wedgeStart();
  const effects = [];
  for (const [key, time] of keys) {
    const step = wedgeKey(state, { key, time }, options);
    state = step.state;
    effects.push(step.effect);
  }
  return { state, effects };
}

const burst = (text, start = 1000, gap = 5) => [...text].map((c, i) => [c, start + i * gap]);

test('a fast burst ended by Enter is a scan and no key of it is let through', () => {
  const code = '880001000000011';
  const { effects } = feed([...burst(code), ['Enter', 1000 + code.length * 5]]);
  assert.ok(effects.slice(0, -1).every((e) => e.kind === 'hold' && !e.release));
  assert.deepEqual(effects.at(-1), { kind: 'scan', code });
});

test('typing (slow keys) is released to the field, then Enter passes', () => {
  const keys = burst('COAT-01', 0, 120);
  let state = wedgeStart();
  let typed = '';
  for (const [key, time] of keys) {
    ({ state } = wedgeKey(state, { key, time }));
    const tick = wedgeTick(state, time + 60);
    state = tick.state;
    typed += tick.release;
  }
  assert.equal(typed, 'COAT-01');
  const enter = wedgeKey(state, { key: 'Enter', time: 2000 });
  assert.deepEqual(enter.effect, { kind: 'pass', release: '' });
});

test('a short fast burst ended by Enter is typing, not a scan (released before Enter)', () => {
  const { effects } = feed([...burst('12.50'), ['Enter', 1030]]);
  assert.deepEqual(effects.at(-1), { kind: 'pass', release: '12.50' });
});

test('a pause inside a burst releases what came before it as typing', () => {
  const { effects } = feed([...burst('8800'), ['1', 1200], ...burst('23456789', 1205)]);
  assert.deepEqual(effects[4], { kind: 'hold', release: '8800' });
});

test('a burst not ended by Enter is released once the gap passes', () => {
  const { state } = feed(burst('ABCDEFGHIJ'));
  assert.deepEqual(wedgeTick(state, 1045 + 10).release, '');
  assert.deepEqual(wedgeTick(state, 1045 + 51), { state: wedgeStart(), release: 'ABCDEFGHIJ' });
});

test('function keys and chords are never held', () => {
  assert.equal(isPrintable({ key: 'F9' }), false);
  assert.equal(isPrintable({ key: 'a', ctrlKey: true }), false);
  assert.equal(isPrintable({ key: '7' }), true);
  assert.deepEqual(wedgeKey(wedgeStart(), { key: 'F2', time: 1 }).effect, { kind: 'pass', release: '' });
});

test('a scanned card number goes to the card lookup, anything else to the article field', () => {
  assert.equal(scanTarget('880001000000011'), 'card');
  assert.equal(scanTarget('6901234567'), 'sku');
  assert.equal(scanTarget('COAT-01-XL'), 'sku');
});
