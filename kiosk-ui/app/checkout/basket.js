/**
 * The basket as the cashier enters it, and the requests built from it (pure). Prices are only
 * carried, never computed: amounts stay the strings the cashier typed (checked for shape), and
 * the server prices every line. A sale's receipt number is made once and is its idempotency key.
 */

export const GOODS_CLASSES = ['regular', 'special_a', 'special_b', 'special_c', 'sale', 'leased', 'campaign_special'];

/** An amount as the API takes it: digits with at most 2 decimals. */
export function isAmount(text) {
  return /^\d{1,9}(\.\d{1,2})?$/.test(String(text ?? '').trim());
}

/** A quantity: a whole number 1–9,999 (the server's bound). */
export function isQuantity(text) {
  return /^\d{1,4}$/.test(String(text ?? '').trim()) && Number(text) >= 1;
}

export function emptyLine() {
  return { sku: '', class: 'regular', unit_price: '', quantity: '1', original_unit_price: '', other_promotion: false };
}

/**
 * The fields of a line form that are not right yet: `{field: messageKey}` (empty when the line
 * can be added). An original price is asked for marked-down `sale` goods only.
 */
export function lineProblems(line) {
  const problems = {};
  if (!String(line.sku ?? '').trim()) problems.sku = 'checkout.line.need_sku';
  if (!GOODS_CLASSES.includes(line.class)) problems.class = 'checkout.line.need_class';
  if (!isAmount(line.unit_price)) problems.unit_price = 'checkout.line.need_amount';
  if (!isQuantity(line.quantity)) problems.quantity = 'checkout.line.need_quantity';
  if (line.class === 'sale' && !isAmount(line.original_unit_price)) problems.original_unit_price = 'checkout.line.need_original';
  return problems;
}

/** A form line as the API's basket line. */
export function toApiLine(line) {
  const api = {
    sku: String(line.sku).trim(),
    class: line.class,
    unit_price: String(line.unit_price).trim(),
    quantity: Number(String(line.quantity).trim()),
  };
  if (line.class === 'sale') api.original_unit_price = String(line.original_unit_price).trim();
  if (line.other_promotion) api.other_promotion = true;
  return api;
}

/** An API basket line back into the form's shape. */
function fromApiLine(raw, at) {
  if (!raw || typeof raw !== 'object') throw new BasketJsonError(at, 'line');
  const line = {
    sku: String(raw.sku ?? ''),
    class: String(raw.class ?? ''),
    unit_price: String(raw.unit_price ?? ''),
    quantity: String(raw.quantity ?? ''),
    original_unit_price: raw.original_unit_price == null ? '' : String(raw.original_unit_price),
    other_promotion: raw.other_promotion === true,
  };
  const problems = Object.keys(lineProblems(line));
  if (problems.length) throw new BasketJsonError(at, problems[0]);
  return line;
}

export class BasketJsonError extends Error {
  constructor(line, field) {
    super(`basket line ${line}: ${field}`);
    this.line = line;
    this.field = field;
  }
}

/**
 * The till's basket JSON, pasted: `{lines: [...]}` (a quote or sale request) or a bare array
 * of lines. Returns the form lines; throws `BasketJsonError` (line -1: not JSON / no lines).
 */
export function parseBasketJson(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BasketJsonError(-1, 'json');
  }
  const lines = Array.isArray(parsed) ? parsed : parsed?.lines;
  if (!Array.isArray(lines) || lines.length === 0) throw new BasketJsonError(-1, 'lines');
  return lines.map((l, i) => fromApiLine(l, i));
}

/** Tenders the cashier has filled in well enough to send (kind chosen, amount well-formed). */
export function readyTenders(tenders) {
  return tenders
    .filter((t) => t.kind && isAmount(t.amount) && Number(t.amount) > 0)
    .map((t) => ({ kind: t.kind, amount: String(t.amount).trim() }));
}

/** The quote request for the form as it stands (null while there is nothing to price). */
export function quoteRequest({ lines, cardNumber, tenders, redeemPoints }) {
  if (lines.length === 0) return null;
  const body = { lines: lines.map(toApiLine) };
  if (cardNumber) body.card_number = cardNumber;
  const ready = readyTenders(tenders ?? []);
  if (ready.length) body.tenders = ready;
  if (cardNumber && redeemPoints > 0) body.redeem_points = redeemPoints;
  return body;
}

/** The commit body: the quote request with the sale's receipt number and till, and its tenders. */
export function saleRequest({ receiptNo, tillId, lines, cardNumber, tenders, redeemPoints }) {
  const quote = quoteRequest({ lines, cardNumber, tenders, redeemPoints });
  return {
    receipt_no: receiptNo,
    till_id: tillId,
    ...(quote.card_number ? { card_number: quote.card_number } : {}),
    lines: quote.lines,
    tenders: readyTenders(tenders),
    redeem_points: quote.redeem_points ?? 0,
  };
}

/**
 * A new receipt (or refund) number: `<till>-<random hex>` (the API takes 1–40 letters, digits,
 * `-`, `_`, `/`). Made once per sale; a retry sends the same number.
 */
export function newDocumentNo(till, random, prefix = '') {
  const safeTill = String(till).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 12) || 'T';
  return `${prefix}${safeTill}-${random}`.slice(0, 40);
}
