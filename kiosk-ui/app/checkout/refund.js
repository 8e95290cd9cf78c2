/** The refund request from the lines the cashier picked (pure). */

/** `chosen` ({line index: units}) as refund lines, within what is left of each sold line. */
export function refundLines(lines, chosen) {
  return lines
    .map((l) => ({ index: l.index, quantity: Math.min(chosen[l.index] ?? 0, l.quantity - l.refunded_quantity) }))
    .filter((l) => l.quantity > 0);
}

export function refundRequest({ refundNo, tillId, lines }) {
  return { refund_no: refundNo, till_id: tillId, lines };
}
