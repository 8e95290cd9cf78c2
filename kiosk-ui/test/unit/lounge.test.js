// The lounge's pure modules. The ID document and applicant cases mirror the server's
// (src/domain/id_document.rs tests, tests/rules_membership.rs R-ENR-1/2/5), same numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkChar, embeddedBirthDate, ageOn, checkIdDocument, checkApplicant, normalisePhone,
  applicantBody, formField, addReceipt,
} from '../../app/lounge/applicant.js';
import { issueSteps, cardReadiness } from '../../app/lounge/card-write.js';
import {
  upgradeOutlook, addDays, enrolThresholds, tierServices, mayReactivate, mask, maskAddress, contactChanges,
} from '../../app/lounge/outlook.js';

const TEXTBOOK_ID = '11010519491231002X';
const ID_2008_05_20 = '11010520080520123X';
const ID_2008_05_21 = '110105200805211235';
const ID_1990_01_01 = '440308199001010017';
const TODAY = '2026-05-20';
const prc = (number) => ({ kind: 'prc_resident', number });
const applicant = (over = {}) => ({
  name: 'Li Hua', sex: 'female', birth_date: '1990-01-01', phone: '13812345678',
  id_document: prc(ID_1990_01_01), ...over,
});
const fields = (problems) => problems.map((p) => `${p.rule}:${p.field}`);

test('r_enr_2 textbook check character is X', () => {
  assert.equal(checkChar('11010519491231002'), 'X');
});

test('r_enr_2 check character rejects non-digits', () => {
  assert.equal(checkChar('1101051949123100A'), null);
  assert.equal(checkChar('1101051949123100'), null);
});

test('r_enr_2 embedded date must exist', () => {
  assert.equal(embeddedBirthDate('20230229'), null);
  assert.equal(embeddedBirthDate('20240229'), '2024-02-29');
  assert.equal(embeddedBirthDate('19491332'), null);
});

test('r_enr_2 accepts textbook PRC id and upper-cases x', () => {
  assert.deepEqual(checkIdDocument(prc(' 11010519491231002x '), '1949-12-31'), { number: TEXTBOOK_ID });
});

test('r_enr_2 wrong check character is refused on the number', () => {
  const { problem } = checkIdDocument(prc('110105194912310021'), '1949-12-31');
  assert.equal(problem.field, 'id_document.number');
  assert.equal(problem.reason, 'prc_check_char');
});

test('r_enr_2 malformed PRC ids are refused on the number', () => {
  for (const number of ['11010519491231002', '11010519491231002XX', '1101051949123100AX', '']) {
    const { problem } = checkIdDocument(prc(number), '1949-12-31');
    assert.equal(problem?.field, 'id_document.number', number);
    assert.equal(problem.rule, 'R-ENR-2');
  }
});

test('r_enr_2 birth date differing from the id is refused on the birth date', () => {
  const { problem } = checkIdDocument(prc(TEXTBOOK_ID), '1949-12-30');
  assert.equal(problem.field, 'birth_date');
  assert.equal(problem.rule, 'R-ENR-2');
});

test('r_enr_2 impossible date inside a checksummed id is refused on the number', () => {
  const { problem } = checkIdDocument(prc('110105194913320027'), '1949-12-31');
  assert.equal(problem.field, 'id_document.number');
  assert.equal(problem.reason, 'prc_date_not_real');
});

test('r_enr_2 passport needs 5 to 20 letters or digits', () => {
  assert.deepEqual(checkIdDocument({ kind: 'passport', number: 'e1234567' }, '1990-01-01'), { number: 'E1234567' });
  for (const bad of ['E123', 'E12-34567', 'A123456789012345678901']) {
    assert.equal(checkIdDocument({ kind: 'passport', number: bad }, '1990-01-01').problem?.field, 'id_document.number', bad);
  }
  assert.deepEqual(checkIdDocument({ kind: 'other', number: 'HK1234' }, '1990-01-01'), { number: 'HK1234' });
});

test('r_enr_1 age counts whole years', () => {
  assert.equal(ageOn('2008-11-24', '2026-11-23'), 17);
  assert.equal(ageOn('2008-11-24', '2026-11-24'), 18);
  assert.equal(ageOn('2000-02-29', '2018-02-28'), 17);
  assert.equal(ageOn('2000-02-29', '2018-03-01'), 18);
});

test('r_enr_1 one day short of 18 is refused on the birth date; the 18th birthday is accepted', () => {
  assert.deepEqual(fields(checkApplicant(applicant({ birth_date: '2008-05-21', id_document: prc(ID_2008_05_21) }), TODAY, 18)),
    ['R-ENR-1:birth_date']);
  assert.deepEqual(checkApplicant(applicant({ birth_date: '2008-05-20', id_document: prc(ID_2008_05_20) }), TODAY, 18), []);
});

test('r_enr_1 minimum age comes from the policy', () => {
  assert.deepEqual(checkApplicant(applicant({ birth_date: '2008-05-21', id_document: prc(ID_2008_05_21) }), TODAY, 16), []);
});

test('r_enr_2 check_applicant refuses an id for another birth date', () => {
  assert.deepEqual(fields(checkApplicant(applicant({ id_document: prc(TEXTBOOK_ID) }), TODAY, 18)), ['R-ENR-2:birth_date']);
});

test('r_enr_5 name, phone, e-mail and a future birth date are checked as the server does', () => {
  assert.deepEqual(checkApplicant(applicant(), TODAY, 18), []);
  assert.deepEqual(fields(checkApplicant(applicant({ name: '  ' }), TODAY, 18)), ['R-ENR-5:name']);
  assert.deepEqual(fields(checkApplicant(applicant({ name: '名'.repeat(51) }), TODAY, 18)), ['R-ENR-5:name']);
  assert.deepEqual(fields(checkApplicant(applicant({ phone: '23812345678' }), TODAY, 18)), ['R-ENR-5:phone']);
  assert.deepEqual(fields(checkApplicant(applicant({ email: 'a@b@c' }), TODAY, 18)), ['R-ENR-5:email']);
  assert.deepEqual(fields(checkApplicant(applicant({ birth_date: '2027-01-01' }), TODAY, 18)), ['R-ENR-5:birth_date']);
  assert.deepEqual(normalisePhone('138-1234 5678'), { phone: '13812345678' });
  assert.deepEqual(normalisePhone('+852 1234 5678'), { phone: '+85212345678' });
  assert.equal(normalisePhone('+123456').problem.field, 'phone');
});

test('every field with a problem is named once, so the form can mark each', () => {
  const problems = checkApplicant(applicant({ name: '', phone: '1', id_document: prc('123') }), TODAY, 18);
  assert.deepEqual(fields(problems), ['R-ENR-5:name', 'R-ENR-5:phone', 'R-ENR-2:id_document.number']);
});

test('the request body is normalised as the server stores it', () => {
  const body = applicantBody({ ...applicant(), name: ' 王芳 ', phone: '139-1234-5678', id_document: prc(' 11010519491231002x '), address: ' ', email: '' });
  assert.equal(body.name, '王芳');
  assert.equal(body.phone, '13912345678');
  assert.equal(body.id_document.number, TEXTBOOK_ID);
  assert.equal(body.address, undefined);
  assert.equal(body.email, undefined);
});

test('server fields map to the form inputs', () => {
  assert.equal(formField('applicant.id_document.number'), 'id_document.number');
  assert.equal(formField('applicant.id_document'), 'id_document.number');
  assert.equal(formField('applicant.birth_date'), 'birth_date');
  assert.equal(formField('receipts'), 'receipts');
  assert.equal(formField(null), null);
});

test('a receipt is added once', () => {
  assert.deepEqual(addReceipt([], ' T01-1 '), { receipts: ['T01-1'], problem: null });
  assert.deepEqual(addReceipt(['T01-1'], 'T01-1'), { receipts: ['T01-1'], problem: 'receipt_twice' });
  assert.deepEqual(addReceipt(['T01-1'], '  '), { receipts: ['T01-1'], problem: null });
});

const states = (steps) => steps.map((s) => `${s.id}:${s.state}`).join(' ');

test('card write steps follow the reader and the request', () => {
  assert.equal(states(issueSteps({ cardPresent: false, pending: false, outcome: null })), 'card:current write:waiting verify:waiting done:waiting');
  assert.equal(states(issueSteps({ cardPresent: true, pending: false, outcome: null })), 'card:done write:waiting verify:waiting done:waiting');
  assert.equal(states(issueSteps({ cardPresent: true, pending: true, outcome: null })), 'card:done write:waiting verify:waiting done:waiting');
  // Live from the reader's events: the write starts, then the card is written and read back.
  assert.equal(states(issueSteps({ cardPresent: true, pending: true, outcome: null, writing: 'writing' })), 'card:done write:current verify:waiting done:waiting');
  assert.equal(states(issueSteps({ cardPresent: true, pending: true, outcome: null, writing: 'written' })), 'card:done write:done verify:done done:current');
  assert.equal(states(issueSteps({ cardPresent: true, pending: false, outcome: 'issued' })), 'card:done write:done verify:done done:done');
});

test('a card pulled during the write shows at once, and the failure names the step', () => {
  assert.equal(states(issueSteps({ cardPresent: false, pending: true, outcome: null })), 'card:failed write:waiting verify:waiting done:waiting');
  assert.equal(states(issueSteps({ cardPresent: false, pending: false, outcome: 'card_removed' })), 'card:done write:failed verify:waiting done:waiting');
  assert.equal(states(issueSteps({ cardPresent: true, pending: false, outcome: 'card_verify_failed' })), 'card:done write:done verify:failed done:waiting');
  assert.equal(states(issueSteps({ cardPresent: false, pending: false, outcome: 'no_card' })), 'card:failed write:waiting verify:waiting done:waiting');
});

test('the card in the reader is ready when blank', () => {
  assert.equal(cardReadiness({ cardPresent: false }), 'none');
  assert.equal(cardReadiness({ cardPresent: true, reading: true }), 'reading');
  assert.equal(cardReadiness({ cardPresent: true, check: { verdict: 'blank' } }), 'ready');
  assert.equal(cardReadiness({ cardPresent: true, check: { verdict: 'active' } }), 'not_blank');
});

const policy = {
  upgrade_points: { vip: 1000, gold: 6000, platinum: 0 }, upgrade_grace_days: 30,
  enrol_min_spend: { vip: '300.00', gold: '6000.00', platinum: '10000.00' },
  parking_tickets: { vip: 0, gold: 2, platinum: 3 }, birthday_gift: { vip: false, gold: true, platinum: true },
};
const card = (over = {}) => ({ tier: 'vip', state: 'active', valid_from: '2025-05-21', expiry: '2026-05-20', upgrade_points: 1000, ...over });

test('r_upg_1 points counted against the next tier', () => {
  assert.deepEqual(upgradeOutlook(card(), policy, TODAY),
    { next: 'gold', counted: 1000, needed: 1000, missing: 0, lastDay: '2026-06-19', inWindow: true, blocked: null });
  const short = upgradeOutlook(card({ upgrade_points: 999 }), policy, TODAY);
  assert.equal(short.blocked, 'points_short');
  assert.equal(short.missing, 1);
  assert.equal(upgradeOutlook(card({ tier: 'platinum' }), policy, TODAY).blocked, 'top_tier');
  assert.equal(upgradeOutlook(card({ tier: 'gold', upgrade_points: 6000 }), policy, TODAY).next, 'platinum');
});

test('r_upg_3 window runs 30 days past expiry', () => {
  assert.equal(upgradeOutlook(card({ state: 'inactive' }), policy, '2026-06-19').blocked, null);
  assert.equal(upgradeOutlook(card({ state: 'inactive' }), policy, '2026-06-20').blocked, 'window_closed');
  assert.equal(upgradeOutlook(card({ state: 'blocked' }), policy, TODAY).blocked, 'state_blocked');
  assert.equal(upgradeOutlook(card({ valid_from: '2026-05-21' }), policy, TODAY).blocked, 'not_yet_valid');
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
});

test('thresholds, services and reactivation come from the policy and the card', () => {
  assert.deepEqual(enrolThresholds(policy).map((r) => `${r.tier}:${r.min}`), ['vip:300.00', 'gold:6000.00', 'platinum:10000.00']);
  assert.deepEqual(tierServices('gold', policy), { parkingTickets: 2, birthdayGift: true });
  assert.deepEqual(tierServices('vip', policy), { parkingTickets: 0, birthdayGift: false });
  assert.equal(mayReactivate(card({ state: 'inactive' })), true);
  assert.equal(mayReactivate(card({ state: 'inactive', tier: 'gold' })), false);
});

test('r_svc_1 personal data masked in lists as the server masks it', () => {
  assert.equal(mask('13812345678'), '138****5678');
  assert.equal(mask('110105198005010011'), '110***********0011');
  assert.equal(mask('138****5678'), '138****5678');
  assert.equal(mask('abc'), '***');
  assert.equal(maskAddress('北京市朝阳区建国路88号'), '北京市朝阳区****');
  assert.equal(maskAddress('上海'), '上****');
});

test('r_svc_3 a contact change sends only what changed', () => {
  const current = { email: 'a@b.cn', preferences: null };
  assert.deepEqual(contactChanges({ phone: '', address: '', email: 'a@b.cn', preferences: '' }, current), {});
  assert.deepEqual(contactChanges({ phone: ' 13900000000 ', address: '', email: '', preferences: 'tea' }, current),
    { phone: '13900000000', email: '', preferences: 'tea' });
  assert.deepEqual(contactChanges({ clearAddress: true, email: 'a@b.cn' }, current), { address: '' });
});

test('every lounge message the screens name is in the catalog', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = new URL('../../app/lounge/', import.meta.url);
  const en = JSON.parse(readFileSync(new URL('messages/en.json', dir), 'utf8'));
  const missing = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const [, key] of text.matchAll(/'(lounge\.[a-z_.]+[a-z_])'/g)) if (!(key in en)) missing.push(`${file}: ${key}`);
  }
  // Keys built from values: every value the server or the pure modules can give.
  const families = {
    'lounge.tier': ['vip', 'gold', 'platinum'],
    'lounge.state': ['active', 'inactive', 'blocked', 'replaced', 'reserved', 'void'],
    'lounge.unusable': ['blocked', 'replaced', 'inactive', 'expired', 'pending', 'not_issued'],
    'lounge.issue.step': ['card', 'write', 'verify', 'done'],
    'lounge.issue.state': ['waiting', 'current', 'done', 'failed'],
    'lounge.issue.reader': ['none', 'reading', 'ready', 'not_blank'],
    'lounge.issue.failed': ['removed', 'other'],
    'lounge.upgrade.blocked': ['state', 'not_yet_valid', 'top_tier', 'window_closed', 'points_short'],
    'lounge.search.by': ['card', 'phone', 'id_document'],
    'lounge.search.value': ['card', 'phone', 'id_document'],
  };
  for (const [prefix, values] of Object.entries(families)) {
    for (const v of values) {
      const key = prefix.startsWith('lounge.search.') ? `${prefix}_${v}` : `${prefix}.${v}`;
      if (!(key in en)) missing.push(key);
    }
  }
  const source = readFileSync(new URL('applicant.js', dir), 'utf8');
  for (const [, reason] of source.matchAll(/problem\('[a-z_.]+', 'R-[A-Z]+-\d', '([a-z_]+)'/g)) {
    if (!(`lounge.check.${reason}` in en)) missing.push(`lounge.check.${reason}`);
  }
  assert.deepEqual(missing, []);
});

test('duplicate flag: both sides with their cards, and a resolution body', async () => {
  const { sides, resolutionBody } = await import('../../app/lounge/duplicate-flags.js');
  const flag = { member_a: { member_id: 'a' }, member_b: { member_id: 'b' }, card_a: '880001000000018', card_b: null };
  assert.deepEqual(sides(flag).map((s) => [s.member.member_id, s.card]), [['a', '880001000000018'], ['b', null]]);
  assert.deepEqual(resolutionBody('', 'x'), { problem: 'lounge.duplicates.choose_outcome' });
  assert.deepEqual(resolutionBody('merged', ''), { problem: 'lounge.duplicates.choose_outcome' });
  assert.deepEqual(resolutionBody('handled', '  '), { body: { outcome: 'handled' } });
  assert.deepEqual(resolutionBody('not_duplicate', ' checked '), { body: { outcome: 'not_duplicate', note: 'checked' } });
  assert.deepEqual(resolutionBody('handled', '字'.repeat(201)), { problem: 'lounge.duplicates.note_too_long' });
  assert.ok(resolutionBody('handled', '字'.repeat(200)).body);
});
