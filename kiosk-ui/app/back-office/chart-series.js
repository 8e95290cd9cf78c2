/**
 * The reports' day-by-day answers shaped for uPlot and for the CSV export. uPlot takes
 * columns: x values (seconds) then one array per series. A day is placed at its UTC midnight
 * and the axis is labelled from the day itself, so the browser's time zone plays no part.
 * Plotted amounts become numbers only for drawing; tables and CSV keep the server's strings.
 */
import { locale } from '../shared/format.js';

/** "2026-03-10" → seconds at that day's UTC midnight. */
export function daySeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** Seconds (from `daySeconds`) → "YYYY-MM-DD". */
export function secondsDay(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** What each report charts: the series' keys in the report's `days` rows. */
export const CHARTS = {
  cardActivity: ['enrolled', 'upgraded', 'downgraded', 'card_events'],
  points: ['issued', 'redeemed', 'outstanding'],
  liability: ['liability'],
  printFaults: ['jobs', 'printed_after_retry', 'failed'],
};

/** `[xs, ys...]` for uPlot from a report's `days` and the keys to plot. */
export function seriesData(days, keys) {
  const xs = days.map((d) => daySeconds(d.day));
  return [xs, ...keys.map((k) => days.map((d) => {
    const v = Number(d[k]);
    return Number.isFinite(v) ? v : null;
  }))];
}

/** Members by tier as bar lengths: each tier's share of the largest, in percent. */
export function tierBars(tiers) {
  const most = Math.max(1, ...tiers.map((t) => t.total));
  return tiers.map((t) => ({ tier: t.tier, total: t.total, percent: Math.round((t.total / most) * 100) }));
}

/** Whether a series has anything to show (a chart of zeros says "nothing in this range"). */
export function hasActivity(days, keys) {
  return days.some((d) => keys.some((k) => Number(d[k]) !== 0));
}

/** A day as an axis label: "3月10日" / "10 Mar". */
export function shortDay(day, lang = 'zh') {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) return String(day ?? '');
  return new Intl.DateTimeFormat(locale(lang), { timeZone: 'UTC', month: lang === 'en' ? 'short' : 'long', day: 'numeric' })
    .format(new Date(ms));
}
