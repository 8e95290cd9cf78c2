import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDays, dayCount, isDay, presetRange, rangeProblem, rangeQuery } from '../../app/back-office/report-range.js';
import { daySeconds, hasActivity, secondsDay, seriesData, shortDay, tierBars } from '../../app/back-office/chart-series.js';
import { chainVerdict, filterAudit, olderThan } from '../../app/back-office/audit-view.js';
import { sortStaff, staffState } from '../../app/back-office/staff-state.js';
import { nextVersion, policyRows, rate } from '../../app/back-office/policy-view.js';

const today = '2026-03-10';

test('presets end today; the month starts on the 1st; 92 days is the longest', () => {
  assert.deepEqual(presetRange('last7', today), { from: '2026-03-04', to: today });
  assert.deepEqual(presetRange('last31', today), { from: '2026-02-08', to: today });
  assert.deepEqual(presetRange('month', today), { from: '2026-03-01', to: today });
  const longest = presetRange('last92', today);
  assert.equal(dayCount(longest.from, longest.to), 92);
  assert.equal(rangeProblem(longest, today), null);
});

test('a range is checked as the server checks it', () => {
  assert.deepEqual(rangeProblem({ from: '2026-03-01', to: '2026-03-11' }, today), { field: 'to', key: 'backoffice.range.after_today' });
  assert.deepEqual(rangeProblem({ from: '2026-03-05', to: '2026-03-04' }, today), { field: 'from', key: 'backoffice.range.backwards' });
  assert.deepEqual(rangeProblem({ from: '2025-12-08', to: today }, today), { field: 'from', key: 'backoffice.range.too_long' });
  assert.deepEqual(rangeProblem({ from: '', to: today }, today), { field: 'from', key: 'backoffice.range.not_a_day' });
  assert.deepEqual(rangeProblem({ from: '2026-02-30', to: today }, today), { field: 'from', key: 'backoffice.range.not_a_day' });
  assert.equal(rangeProblem({ from: today, to: today }, today), null);
  assert.equal(rangeQuery({ from: '2026-03-01', to: today }), 'from=2026-03-01&to=2026-03-10');
});

test('day arithmetic crosses months and leap days', () => {
  assert.equal(addDays('2028-02-28', 1), '2028-02-29');
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(dayCount('2026-02-27', '2026-03-02'), 4);
  assert.ok(isDay('2028-02-29'));
  assert.ok(!isDay('2026-02-29'));
});

test('series are columns of numbers at each day, amounts read from their strings', () => {
  const days = [
    { day: '2026-03-09', issued: 0, outstanding: 180, liability: '18.00' },
    { day: '2026-03-10', issued: 94, outstanding: 174, liability: '17.40' },
  ];
  const [xs, issued, liability] = seriesData(days, ['issued', 'liability']);
  assert.deepEqual(xs, [daySeconds('2026-03-09'), daySeconds('2026-03-09') + 86400]);
  assert.deepEqual(issued, [0, 94]);
  assert.deepEqual(liability, [18, 17.4]);
  assert.equal(secondsDay(xs[1]), '2026-03-10');
  assert.ok(hasActivity(days, ['issued']));
  assert.ok(!hasActivity([{ day: today, issued: 0 }], ['issued']));
  assert.equal(shortDay('2026-03-10', 'en'), '10 Mar');
  assert.equal(shortDay('2026-03-10', 'zh'), '3月10日');
});

test('tier bars are shares of the largest tier', () => {
  assert.deepEqual(tierBars([{ tier: 'vip', total: 8 }, { tier: 'gold', total: 2 }, { tier: 'platinum', total: 0 }]),
    [{ tier: 'vip', total: 8, percent: 100 }, { tier: 'gold', total: 2, percent: 25 }, { tier: 'platinum', total: 0, percent: 0 }]);
  assert.equal(tierBars([{ tier: 'vip', total: 0 }])[0].percent, 0);
});

test('the audit filter matches staff, action, target and workstation, outcome and day', () => {
  const rows = [
    { seq: 3, at: '2026-03-10T02:00:00Z', staff_id: 'S01', role: 'supervisor', workstation: 'BO1', action: 'POST /api/staff', target: null, result: 201 },
    { seq: 2, at: '2026-03-09T17:00:00Z', staff_id: 'C01', role: 'cashier', workstation: 'T01', action: 'POST /api/sales', target: 'R-1', result: 403 },
    { seq: 1, at: '2026-03-09T02:00:00Z', staff_id: 'anonymous', role: null, workstation: 'unknown', action: 'POST /api/sessions', target: null, result: 401 },
  ];
  const seqs = (f, day) => filterAudit(rows, f, day).map((r) => r.seq);
  assert.deepEqual(seqs({ text: 'api/sales' }), [2]);
  assert.deepEqual(seqs({ text: 's01' }), [3]);
  assert.deepEqual(seqs({ text: 'r-1' }), [2]);
  assert.deepEqual(seqs({ outcome: 'refused' }), [2, 1]);
  assert.deepEqual(seqs({ outcome: 'done' }), [3]);
  // 17:00 UTC on the 9th is the 10th in the store (UTC+8).
  const storeDay = (at) => new Date(Date.parse(at) + 480 * 60_000).toISOString().slice(0, 10);
  assert.deepEqual(seqs({ day: '2026-03-10' }, storeDay), [3, 2]);
  assert.deepEqual(seqs({}), [3, 2, 1]);
  assert.equal(olderThan(rows), 1);
  assert.equal(olderThan([]), null);
});

test('the chain verdict names the broken row and the problem', () => {
  const whole = { rows_checked: 40, anchors_checked: 2, head: { seq: 40 }, broken: null };
  assert.deepEqual(chainVerdict(whole), { ok: true, key: 'backoffice.audit.chain.ok', params: { rows: 40, anchors: 2, head: 40 } });
  const removed = chainVerdict({ ...whole, broken: { seq: 12, problem: 'removed', from: 9, to: 11 } });
  assert.equal(removed.ok, false);
  assert.equal(removed.key, 'backoffice.audit.chain.removed');
  assert.equal(removed.params.from, 9);
  assert.equal(chainVerdict({ ...whole, broken: { seq: 3, problem: 'new_kind' } }).key, 'backoffice.audit.chain.other');
  assert.equal(chainVerdict(null).ok, false);
});

test('staff state: deactivated, locked until a time, else active; active listed first', () => {
  const now = Date.parse('2026-03-10T02:00:00Z');
  assert.equal(staffState({ active: false, locked_until: null }, now), 'inactive');
  assert.equal(staffState({ active: true, locked_until: '2026-03-10T02:03:00Z' }, now), 'locked');
  assert.equal(staffState({ active: true, locked_until: '2026-03-10T01:00:00Z' }, now), 'active');
  const sorted = sortStaff([{ staff_number: 'A2', active: false }, { staff_number: 'C1', active: true }, { staff_number: 'B1', active: true }]);
  assert.deepEqual(sorted.map((a) => a.staff_number), ['B1', 'C1', 'A2']);
});

test('the policy splits into per-tier and store-wide rows; a new version starts tomorrow', () => {
  const policy = { version: 1, effective_from: '2026-01-01', regular_rate: { vip: '0.95', gold: '0.90', platinum: '0.88' },
    group_min_items: 5, cash_like_tenders: ['cash', 'bank_card'] };
  const { perTier, storeWide } = policyRows(policy);
  assert.deepEqual(perTier, [{ name: 'regular_rate', rule: 'R-DSC-1', kind: 'rate', values: policy.regular_rate }]);
  assert.deepEqual(storeWide.map((r) => [r.name, r.value]), [['group_min_items', 5], ['cash_like_tenders', 'cash, bank_card']]);
  assert.equal(rate('0.95'), '×0.95');
  const upgrade = policyRows({ upgrade_points: { vip: 1000, gold: 6000, platinum: 0 } }).perTier[0];
  assert.deepEqual(upgrade.values, { vip: 1000, gold: 6000, platinum: null }, 'Platinum has no next tier');
  assert.deepEqual(nextVersion(policy, '2026-03-10'), { ...policy, version: 2, effective_from: '2026-03-11' });
});
