/**
 * Points redemption in whole units (R-PTS-4), up to what the server says this basket can take
 * (`max_redeemable_points` of the quote). Pure: the UI offers the steps, the server prices them.
 */

/** The choices: 0, unit, 2×unit, … up to `max` (never above it). */
export function redemptionSteps(max, unit = 100) {
  if (!(unit > 0) || !(max >= unit)) return [0];
  const count = Math.floor(max / unit);
  return Array.from({ length: count + 1 }, (_, i) => i * unit);
}

/** `chosen` brought down to a whole unit within `max` (a basket that shrank lowers it). */
export function clampRedemption(chosen, max, unit = 100) {
  if (!(chosen > 0) || !(unit > 0)) return 0;
  const top = Math.max(0, Math.floor(Math.min(chosen, max ?? 0) / unit) * unit);
  return top;
}

/** One step up or down (`direction` ±1) from `chosen`, within 0..max. */
export function stepRedemption(chosen, direction, max, unit = 100) {
  const next = clampRedemption(chosen, max, unit) + direction * unit;
  return clampRedemption(Math.max(0, next), max, unit);
}
