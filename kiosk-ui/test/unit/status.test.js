import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsAllowed, printerState, readerState, syncState } from '../../app/shared/status.js';

const till = { id: 'T01', kind: 'checkout', reader: true, printer: true };
const bare = { id: 'T02', kind: 'checkout', reader: false, printer: false };
const idle = { connected: true, cardPresent: false, reading: false };

test('the reader as the status bar says it', () => {
  assert.equal(readerState(bare, idle), 'none');
  assert.equal(readerState(till, { ...idle, connected: false }), 'disconnected');
  assert.equal(readerState(till, idle), 'empty');
  assert.equal(readerState(till, { ...idle, cardPresent: true, reading: true }), 'reading');
  assert.equal(readerState(till, { ...idle, cardPresent: true }), 'card');
});

// Shapes as GET /api/printers answers them.
const ready = { ready: true, offline: false, cover_open: false, paper_out: false, paper_near_end: false, answered: true };
const printers = [
  { workstation: 'T01', driver: 'network', state: null, fault: 'refused', message: '' },
  { workstation: 'lounge', driver: 'device', state: { ...ready, answered: false }, fault: null, message: '' },
  { workstation: 'desk', driver: 'network', state: { ...ready, ready: false, paper_out: true }, fault: 'paper_out', message: '' },
  { workstation: 'T03', driver: 'network', state: { ...ready, paper_near_end: true }, fault: null, message: '' },
  { workstation: 'T04', driver: 'device', state: { ...ready, ready: false, cover_open: true }, fault: 'cover_open', message: '' },
  { workstation: 'T05', driver: 'network', state: null, fault: 'timeout', message: '' },
  { workstation: '*', driver: 'spool', state: ready, fault: null, message: '' },
];

test('the printer serving a workstation: its own, else the spool of the others', () => {
  assert.equal(printerState(null, 'T01'), 'unknown');
  assert.equal(printerState(printers, 'T01'), 'offline');
  assert.equal(printerState(printers, 'T05'), 'offline');
  assert.equal(printerState(printers, 'lounge'), 'ready');
  assert.equal(printerState(printers, 'desk'), 'paper_out');
  assert.equal(printerState(printers, 'T03'), 'paper_low');
  assert.equal(printerState(printers, 'T04'), 'cover_open');
  assert.equal(printerState(printers, 'back-office'), 'spool');
  assert.equal(printerState(printers.filter((p) => p.workstation !== '*'), 'back-office'), 'none');
});

test('money, points and card actions are off while the server is unreachable, with the reason', () => {
  const up = { reachable: true };
  const down = { reachable: false };
  assert.deepEqual(actionsAllowed(up, till, idle), { allowed: true, reason: null });
  assert.deepEqual(actionsAllowed(down, till, idle), { allowed: false, reason: 'server_unreachable' });
  assert.deepEqual(actionsAllowed(down, bare, idle, { card: true }), { allowed: false, reason: 'server_unreachable' });
});

test('card actions also need this workstation reader, connected', () => {
  const up = { reachable: true };
  assert.deepEqual(actionsAllowed(up, bare, idle, { card: true }), { allowed: false, reason: 'no_reader' });
  assert.deepEqual(actionsAllowed(up, till, { ...idle, connected: false }, { card: true }), { allowed: false, reason: 'reader_unavailable' });
  assert.deepEqual(actionsAllowed(up, till, idle, { card: true }), { allowed: true, reason: null });
  // Without a card the reader does not matter.
  assert.deepEqual(actionsAllowed(up, bare, idle), { allowed: true, reason: null });
});

test('the head-office sync as the status bar says it', () => {
  assert.equal(syncState(null), null, 'not answered yet');
  assert.equal(syncState({ status: 'ok' }), null, 'an older server');
  assert.equal(syncState({ sync: { state: 'not_configured', backlog: 3 } }), null);
  assert.deepEqual(syncState({ sync: { state: 'online', backlog: 0, lag_seconds: 0 } }), { state: 'online', backlog: 0, lagMinutes: 0 });
  assert.deepEqual(syncState({ sync: { state: 'offline', backlog: 120, lag_seconds: 185 } }), { state: 'offline', backlog: 120, lagMinutes: 3 });
  assert.equal(syncState({ sync: { state: 'conflict', backlog: 1, lag_seconds: 5 } }).state, 'conflict');
  assert.equal(syncState({ sync: { state: 'weird' } }).state, 'offline', 'unknown: not claimed online');
});
