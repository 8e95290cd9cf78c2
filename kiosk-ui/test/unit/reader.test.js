import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyReaderEvent, reader } from '../../app/shared/reader.js';

const start = reader.get();

test('a card write is followed live: writing, then written, reset when the card leaves', () => {
  let s = applyReaderEvent(start, 'lounge', 'card_inserted', { workstation: 'lounge' });
  assert.equal(s.writing, null);
  s = applyReaderEvent(s, 'lounge', 'card_writing', { workstation: 'lounge' });
  assert.equal(s.writing, 'writing');
  s = applyReaderEvent(s, 'lounge', 'card_written', { workstation: 'lounge' });
  assert.equal(s.writing, 'written');
  s = applyReaderEvent(s, 'lounge', 'card_removed', { workstation: 'lounge' });
  assert.equal(s.writing, null);
});

test("another workstation's events leave this reader as it is", () => {
  const s = applyReaderEvent(start, 'lounge', 'card_writing', { workstation: 'desk' });
  assert.equal(s, start);
});
