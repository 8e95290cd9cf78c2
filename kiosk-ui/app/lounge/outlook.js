/**
 * What the lounge shows before the clerk asks the server: the upgrade outlook of a card
 * (R-UPG-1/3: points counted toward the next tier, the window around expiry), the services
 * its tier carries, the enrolment thresholds (R-ENR-4), and personal data masked in lists
 * (R-SVC-1). Read from the card lookup and the policy in force; the server decides every
 * action when it is asked, and its answer is final. Pure: `today` is an argument.
 */

export const TIERS = ['vip', 'gold', 'platinum'];

export function nextTier(tier) {
  const i = TIERS.indexOf(tier);
  return i >= 0 && i < TIERS.length - 1 ? TIERS[i + 1] : null;
}

/** "YYYY-MM-DD" + n days. */
export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/**
 * R-UPG-1/3 for `card` (a CardView) under `policy` on `today`:
 * `{next, counted, needed, missing, lastDay, inWindow, blocked}` where `blocked` is the
 * reason the card can't be upgraded at all (`top_tier`, `state_<state>`, `not_yet_valid`,
 * `window_closed`, `points_short`) or null when the server should say yes.
 */
export function upgradeOutlook(card, policy, today) {
  const next = nextTier(card.tier);
  const needed = next ? Number(policy.upgrade_points?.[card.tier] ?? 0) : 0;
  const counted = Number(card.upgrade_points ?? 0);
  const lastDay = addDays(card.expiry, Number(policy.upgrade_grace_days ?? 0));
  const inWindow = today <= lastDay;
  let blocked = null;
  if (!['active', 'inactive'].includes(card.state)) blocked = `state_${card.state}`;
  else if (card.state === 'active' && today < card.valid_from) blocked = 'not_yet_valid';
  else if (!next) blocked = 'top_tier';
  else if (!inWindow) blocked = 'window_closed';
  else if (counted < needed) blocked = 'points_short';
  return { next, counted, needed, missing: Math.max(0, needed - counted), lastDay, inWindow, blocked };
}

/** R-ENR-4 thresholds, lowest first: `[{tier, min}]` (amounts as the policy's strings). */
export function enrolThresholds(policy) {
  return TIERS.map((tier) => ({ tier, min: policy?.enrol_min_spend?.[tier] ?? null }))
    .filter((row) => row.min !== null);
}

/** R-SRV-1/2: what the card's tier carries at the lounge. */
export function tierServices(tier, policy) {
  return {
    parkingTickets: Number(policy?.parking_tickets?.[tier] ?? 0),
    birthdayGift: Boolean(policy?.birthday_gift?.[tier]),
  };
}

/** R-EXP-2: an inactive VIP card may be reactivated (the server checks the month and spend). */
export function mayReactivate(card) {
  return card.state === 'inactive' && card.tier === 'vip';
}

/**
 * R-SVC-1: keeps the first `head` and last `tail` characters, stars between (as the server's
 * `mask`); already-masked values pass through unchanged.
 */
export function mask(value, head = 3, tail = 4) {
  const chars = [...String(value ?? '')];
  if (chars.length <= head + tail) return '*'.repeat(chars.length);
  return [...chars.slice(0, head), ...'*'.repeat(chars.length - head - tail), ...chars.slice(chars.length - tail)].join('');
}

/** An address shown in a list: at most 6 characters and at most half of it, then `****`. */
export function maskAddress(address) {
  const chars = [...String(address ?? '')];
  const keep = Math.min(Math.floor(chars.length / 2), 6);
  return `${chars.slice(0, keep).join('')}****`;
}

/**
 * The contact change to send: only the fields the clerk changed (R-SVC-3). Phone and address
 * are typed afresh (the form never shows them in full): blank = unchanged; `clearAddress`
 * sends "" to remove it. E-mail and preferences start with their current value; a changed
 * one is sent, "" clears it.
 */
export function contactChanges(form, current) {
  const out = {};
  const phone = String(form.phone ?? '').trim();
  if (phone) out.phone = phone;
  if (form.clearAddress) out.address = '';
  else if (String(form.address ?? '').trim()) out.address = form.address.trim();
  for (const key of ['email', 'preferences']) {
    const value = String(form[key] ?? '').trim();
    if (value !== (current?.[key] ?? '')) out[key] = value;
  }
  return out;
}
