/**
 * Picking the store-local days a report covers: presets (last 7 / 31 / 92 days, this month)
 * and a check of a typed range that mirrors the server's (`GET /api/reports/*`): not after
 * today, `from` not after `to`, at most 92 days. Days are "YYYY-MM-DD" strings; the
 * arithmetic runs in UTC so the browser's own time zone plays no part.
 */

/** The most days one report covers (the server refuses more). */
export const LONGEST_DAYS = 92;

export const PRESETS = ['last7', 'last31', 'last92', 'month'];

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

function msOf(day) {
  if (!DAY.test(String(day ?? ''))) return Number.NaN;
  const ms = Date.parse(`${day}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over; a real day reads back the same.
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day ? ms : Number.NaN;
}

export function isDay(day) {
  return !Number.isNaN(msOf(day));
}

export function addDays(day, n) {
  return new Date(msOf(day) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export function dayCount(from, to) {
  return Math.round((msOf(to) - msOf(from)) / MS_PER_DAY) + 1;
}

/** The range a preset stands for, ending today. */
export function presetRange(preset, today) {
  switch (preset) {
    case 'last7': return { from: addDays(today, -6), to: today };
    case 'last92': return { from: addDays(today, -(LONGEST_DAYS - 1)), to: today };
    case 'month': return { from: `${today.slice(0, 8)}01`, to: today };
    default: return { from: addDays(today, -30), to: today };
  }
}

/**
 * What is wrong with a range, as `{field, key}` (a catalog key), or null when the server
 * will take it.
 */
export function rangeProblem({ from, to }, today) {
  if (!isDay(from)) return { field: 'from', key: 'backoffice.range.not_a_day' };
  if (!isDay(to)) return { field: 'to', key: 'backoffice.range.not_a_day' };
  if (to > today) return { field: 'to', key: 'backoffice.range.after_today' };
  if (from > to) return { field: 'from', key: 'backoffice.range.backwards' };
  if (dayCount(from, to) > LONGEST_DAYS) return { field: 'from', key: 'backoffice.range.too_long' };
  return null;
}

/** The query string of a report request. */
export function rangeQuery({ from, to }) {
  return `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
}
