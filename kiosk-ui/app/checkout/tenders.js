/**
 * Splitting the payment over tenders (pure). The payable amount is the server's; the UI only
 * adds up what the customer hands over, in fen (BigInt), to show what is still owed and to
 * fill the last tender with the rest. The server checks the tenders settle its figure.
 */
import { fromFen, toFen } from '../shared/format.js';
import { isAmount } from './basket.js';

/** The fen of an entered tender amount; 0 while it is empty or malformed. */
function entered(amount) {
  return isAmount(amount) ? toFen(String(amount).trim()) : 0n;
}

/** Payable − Σ tenders, as an amount string ("-5.00" when over-tendered). */
export function remaining(payable, tenders) {
  const paid = tenders.reduce((sum, t) => sum + entered(t.amount), 0n);
  return fromFen(toFen(payable) - paid);
}

/** Whether the tenders add up exactly to the payable amount. */
export function settles(payable, tenders) {
  return tenders.length > 0 && toFen(remaining(payable, tenders)) === 0n
    && tenders.every((t) => t.kind && isAmount(t.amount));
}

/**
 * Tender `index` set to what is left once the others are counted (0.00 if they already cover
 * it); the other tenders are kept as they are.
 */
export function fillWithRest(payable, tenders, index) {
  const others = tenders.filter((_, i) => i !== index);
  const rest = toFen(remaining(payable, others));
  return tenders.map((t, i) => (i === index ? { ...t, amount: fromFen(rest > 0n ? rest : 0n) } : t));
}

/** The tender list for a payable amount when the cashier has entered none: all in `kind`. */
export function singleTender(payable, kind = 'cash') {
  return [{ kind, amount: fromFen(toFen(payable)) }];
}
