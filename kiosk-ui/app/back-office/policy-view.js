/**
 * The policy record laid out for reading: which fields differ per tier and which are
 * store-wide, each with its rule id and how to show it. Pure.
 */

/** Per-tier fields: [name, rule, kind, the tier it means nothing for]. `kind`: money |
 * rate | points | count | yes. */
const PER_TIER = [
  ['enrol_min_spend', 'R-ENR-4', 'money'],
  ['regular_rate', 'R-DSC-1', 'rate'],
  ['birthday_regular_rate', 'R-DSC-3', 'rate'],
  ['birthday_special_c_rate', 'R-DSC-3', 'rate'],
  ['points_per_step', 'R-PTS-1', 'points'],
  ['upgrade_points', 'R-UPG-1', 'points', 'platinum'],
  ['renewal_min_spend', 'R-EXP-3', 'money', 'vip'],
  ['replacement_fee', 'R-REP-1', 'money'],
  ['parking_tickets', 'R-SRV-1', 'count'],
  ['birthday_gift', 'R-SRV-2', 'yes'],
  ['welcome_gift', 'R-ENR-6', 'yes'],
];

/** Store-wide fields: [name, rule, kind]. */
const STORE_WIDE = [
  ['enrol_min_age', 'R-ENR-1', 'count'],
  ['card_validity_years', 'R-ENR-7', 'count'],
  ['birthday_sale_rate', 'R-DSC-3', 'rate'],
  ['birthday_sale_min_price_ratio', 'R-DSC-3', 'rate'],
  ['group_min_amount', 'R-DSC-4', 'money'],
  ['group_min_items', 'R-DSC-4', 'count'],
  ['points_regular_step', 'R-PTS-1', 'money'],
  ['points_special_step', 'R-PTS-2', 'money'],
  ['redeem_unit_points', 'R-PTS-4', 'points'],
  ['redeem_unit_value', 'R-PTS-4', 'money'],
  ['upgrade_grace_days', 'R-UPG-3', 'count'],
  ['reactivation_window_months', 'R-EXP-2', 'count'],
  ['reactivation_min_spend', 'R-EXP-2', 'money'],
  ['loss_completion_days', 'R-REP-2', 'count'],
  ['cash_like_tenders', 'R-PAY-1', 'list'],
  ['non_cash_tenders', 'R-PAY-1', 'list'],
];

/** The rows of the two tables, for the fields the policy has. */
export function policyRows(policy) {
  const perTier = PER_TIER.filter(([name]) => policy[name] && typeof policy[name] === 'object')
    .map(([name, rule, kind, unused]) => ({ name, rule, kind, values: unused ? { ...policy[name], [unused]: null } : policy[name] }));
  const storeWide = STORE_WIDE.filter(([name]) => policy[name] !== undefined)
    .map(([name, rule, kind]) => ({ name, rule, kind, value: kind === 'list' ? policy[name].join(', ') : policy[name] }));
  return { perTier, storeWide };
}

/** A price multiplier as the charter writes it: "0.95" → "×0.95". */
export function rate(value) {
  return `×${value}`;
}

/** The starting point of a new version: the next number, in force from tomorrow. */
export function nextVersion(policy, today) {
  const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { ...policy, version: policy.version + 1, effective_from: tomorrow };
}
