import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memberPanel, saleCard, typedCardNumber } from '../../app/checkout/member.js';

const view = (over = {}) => ({
  card_number: '880001000000011', member_id: 'm', member_name: '赵杰', tier: 'gold', state: 'active', usable: true,
  unusable: null, valid_from: '2026-01-01', expiry: '2026-12-31', generation: 1, replaced_by: null, balance: 2376,
  redeemable_today: 2300, points_debt: 12, upgrade_points: 0, birthday_today: true, ...over,
});

test('a usable card read at the till shows its member and is used for the sale', () => {
  const panel = memberPanel({ check: { verdict: 'active', usable: true, rule: null, card_number: '880001000000011', card: view() } });
  assert.equal(panel.status, 'active');
  assert.equal(panel.source, 'reader');
  assert.deepEqual(panel.member, {
    name: '赵杰', tier: 'gold', balance: 2376, redeemableToday: 2300, debt: 12, birthday: true,
    expiry: '2026-12-31', validFrom: '2026-01-01',
  });
  assert.equal(saleCard(panel), '880001000000011');
});

test("an unusable card shows the ledger's reason and rule and sells as a guest", () => {
  const blocked = view({ usable: false, state: 'blocked', unusable: { reason: 'blocked', rule: 'R-REP-2', message: 'x' } });
  const panel = memberPanel({ check: { verdict: 'blocked', usable: false, rule: 'R-REP-2', card_number: blocked.card_number, card: blocked } });
  assert.equal(panel.status, 'blocked');
  assert.equal(panel.rule, 'R-REP-2');
  assert.equal(saleCard(panel), null);
  const pending = memberPanel({ view: view({ usable: false, unusable: { reason: 'pending', rule: 'R-REP-5', message: 'x' } }) });
  assert.equal(pending.status, 'pending');
  assert.equal(pending.source, 'typed');
});

test('a forged or unknown card has a verdict but no member', () => {
  const forged = memberPanel({ check: { verdict: 'forged', usable: false, rule: null, card_number: null, card: null, suspect_copy: false } });
  assert.equal(forged.status, 'forged');
  assert.equal(forged.member, null);
  assert.equal(saleCard(forged), null);
  assert.equal(memberPanel({}), null);
});

test('another store\'s card read offline earns only: no member figures, sold with its number', () => {
  const panel = memberPanel({ check: { verdict: 'earn_only', usable: true, rule: null, card_number: '880002000000012', card: null,
    foreign: { tier: 'gold', earn_only: true, rule: 'R-PTS-7' } } });
  assert.equal(panel.earnOnly, true);
  assert.equal(panel.member, null);
  assert.equal(saleCard(panel), '880002000000012');
  assert.equal(memberPanel({ check: { verdict: 'active', usable: true, card_number: '880001000000011', card: view() } }).earnOnly, false);
});

test('a typed card number is 12–19 digits, spaces allowed', () => {
  assert.equal(typedCardNumber(' 8800 0100 0000 011 '), '880001000000011');
  assert.equal(typedCardNumber('88000'), null);
  assert.equal(typedCardNumber('88000100000001x'), null);
});
