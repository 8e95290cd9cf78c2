import { test } from 'node:test';
import assert from 'node:assert/strict';
import { folderOf, resolveWorkstation } from '../../app/shared/workstation.js';

const list = [
  { id: 'T01', kind: 'checkout' },
  { id: 'lounge', kind: 'lounge' },
];

test('the page configuration names the workstation', () => {
  assert.equal(resolveWorkstation('?workstation=T01', null, list).id, 'T01');
  assert.equal(resolveWorkstation('', 'lounge', list).id, 'lounge');
  assert.equal(resolveWorkstation('?workstation=lounge', 'T01', list).id, 'lounge');
});

test('an unknown workstation is never used', () => {
  assert.equal(resolveWorkstation('?workstation=T99', null, list), null);
  assert.equal(resolveWorkstation('', 'gone', list), null);
  assert.equal(folderOf('back_office'), 'back-office');
});
