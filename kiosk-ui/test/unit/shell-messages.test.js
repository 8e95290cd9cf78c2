import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_CODES } from '../../app/shared/errors.js';
import { readerErrorCode } from '../../app/shared/reader.js';
import { actionsAllowed, printerState, readerState } from '../../app/shared/status.js';
import { trayCardAt } from '../../app/shared/training.js';

// The API's own codes are checked against the served OpenAPI document in Rust
// (tests/api_contract.rs); these are the ones the client makes up or maps itself.
const shared = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'app', 'shared', 'messages');
const catalogs = ['zh', 'en'].map((lang) => JSON.parse(readFileSync(join(shared, `${lang}.json`), 'utf8')));
const has = (key) => catalogs.every((c) => typeof c[key] === 'string' && c[key].trim() !== '');

test('every client code and every reader error has a message in both languages', () => {
  const readerErrors = ['no_reader', 'reader_unavailable', 'no_card', 'removed', 'swapped', 'not_responding',
    'unsupported', 'verify_failed', 'service', 'something_new'];
  const codes = [...CLIENT_CODES, ...readerErrors.map(readerErrorCode), 'unlisted'];
  for (const code of codes) assert.ok(has(`error.${code}`), `error.${code}`);
});

test('every state the status bar and the action guard can name has its words', () => {
  const ws = { id: 'T01', reader: true };
  const readers = [{ connected: false }, { connected: true, reading: true }, { connected: true, cardPresent: true }, { connected: true }];
  for (const r of readers) assert.ok(has(`status.reader.${readerState(ws, r)}`));
  assert.ok(has(`status.reader.${readerState({ reader: false }, {})}`));
  const faults = [null, 'refused', 'timeout', 'offline', 'paper_out', 'cover_open', 'io', 'interrupted', 'maybe_printed'];
  for (const fault of faults) {
    for (const driver of ['spool', 'network']) {
      assert.ok(has(`status.printer.${printerState([{ workstation: 'T01', driver, state: null, fault }], 'T01')}`));
    }
  }
  for (const state of ['unknown', 'none', 'paper_low']) assert.ok(has(`status.printer.${state}`));
  for (const reachable of [true, false]) {
    const { reason } = actionsAllowed({ reachable }, { reader: false }, {}, { card: true });
    assert.ok(has(`error.${reason}`));
  }
  assert.ok(has(`error.${actionsAllowed({ reachable: true }, ws, { connected: false }, { card: true }).reason}`));
});

test('the tray slot of a workstation: none, empty, blank or a card number', () => {
  const view = { inserted: [['lounge', null], ['T01', 'blank'], ['desk', '6200010000000017']], cards: ['blank'] };
  assert.equal(trayCardAt(view, 'back-office'), undefined);
  assert.equal(trayCardAt(null, 'T01'), undefined);
  assert.equal(trayCardAt(view, 'lounge'), null);
  assert.equal(trayCardAt(view, 'T01'), 'blank');
  assert.equal(trayCardAt(view, 'desk'), '6200010000000017');
});
