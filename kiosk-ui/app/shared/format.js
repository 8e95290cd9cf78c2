/**
 * Money, points and dates as the operator reads them. Amounts arrive from the API as decimal
 * strings ("1234.5"): they are formatted from their digits, never through a float, so what is
 * shown is what the server decided to the cent. Dates are shown in the store's time zone.
 */

const LOCALES = { zh: 'zh-CN', en: 'en-GB' };

export function locale(lang) {
  return LOCALES[lang] ?? LOCALES.zh;
}

/** "1234.5" → 123450n (fen). Throws on anything that is not a plain decimal with ≤ 2 places. */
export function toFen(amount) {
  const text = String(amount ?? '').trim();
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) throw new RangeError(`not an amount: ${JSON.stringify(amount)}`);
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] === '-' ? -fen : fen;
}

/** 123450n → "1234.50" (what the API takes back). */
export function fromFen(fen) {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** "1234.5" → "¥1,234.50" (a minus before the sign for a refund: "-¥12.00"). */
export function money(amount, lang = 'zh') {
  const fen = toFen(amount);
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  const yuan = new Intl.NumberFormat(locale(lang), { useGrouping: true }).format(abs / 100n);
  return `${negative ? '-' : ''}¥${yuan}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** 12345 → "12,345" points. */
export function points(value, lang = 'zh') {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 0 }).format(value);
}

/** A calendar date "2026-03-10" (already a store-local day) → "2026年3月10日" / "10 Mar 2026". */
export function date(day, lang = 'zh') {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day ?? ''));
  if (!m) return String(day ?? '');
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone: 'UTC', year: 'numeric', month: lang === 'en' ? 'short' : 'long', day: 'numeric',
  }).format(at);
}

/** An instant ("2026-03-10T02:00:00Z") shown as store-local date and time (offset in minutes). */
export function dateTime(instant, lang = 'zh', utcOffsetMinutes = 480) {
  const ms = Date.parse(String(instant ?? ''));
  if (Number.isNaN(ms)) return String(instant ?? '');
  // Shift to store time and format as UTC: the browser's own zone plays no part.
  const at = new Date(ms + utcOffsetMinutes * 60_000);
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(at);
}

/** The store-local calendar day of an instant (Date or ms), as "YYYY-MM-DD". */
export function storeDay(now, utcOffsetMinutes = 480) {
  const at = new Date(Number(now) + utcOffsetMinutes * 60_000);
  return at.toISOString().slice(0, 10);
}
