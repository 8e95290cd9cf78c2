/**
 * Tables as CSV files a spreadsheet opens safely: UTF-8 with a byte-order mark (so Excel
 * reads the Chinese right), RFC 4180 quoting (quotes doubled, CRLF rows), and every text
 * cell that a spreadsheet would run as a formula (starting with = + - @, tab or CR) made
 * inert with a leading apostrophe. Plain numbers ("-12.50") are data, not formulas, and
 * stay as they are so they still add up. Pure: no DOM here (download.js saves the file).
 */

export const BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One cell's text: made inert if it could run as a formula, quoted if it must be. */
export function csvCell(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A whole file: `columns` = [{ key, label }] (label = the header, in the operator's
 * language), `rows` = objects; a column's `value(row)` overrides `row[key]`.
 */
export function csvText(columns, rows) {
  const line = (cells) => cells.map(csvCell).join(',');
  const body = rows.map((row) => line(columns.map((c) => (c.value ? c.value(row) : row[c.key]))));
  return `${BOM}${[line(columns.map((c) => c.label)), ...body].join('\r\n')}\r\n`;
}

/** A file name safe on every desktop: `<name>-<from>-<to>.csv` with odd characters dropped. */
export function csvFileName(...parts) {
  const name = parts.filter(Boolean).join('-').replace(/[^\p{L}\p{N}._-]+/gu, '_');
  return `${name || 'table'}.csv`;
}
