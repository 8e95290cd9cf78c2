/**
 * The till's keyboard (pure): which function key does what, so a whole sale runs without the
 * mouse. The legend on screen is made from this same table.
 */

export const SALE_KEYS = [
  { key: 'F2', action: 'card' },
  { key: 'F4', action: 'add_line' },
  { key: 'F6', action: 'redeem' },
  { key: 'F8', action: 'tenders' },
  { key: 'F9', action: 'commit' },
  { key: 'Escape', action: 'cancel' },
];

export const REFUND_KEYS = [
  { key: 'F2', action: 'receipt' },
  { key: 'F9', action: 'refund' },
  { key: 'Escape', action: 'cancel' },
];

/** The action of a keydown in `table`, or null (modifier chords are left to the browser). */
export function shortcut(table, event) {
  if (event.ctrlKey || event.altKey || event.metaKey) return null;
  return table.find((k) => k.key === event.key)?.action ?? null;
}
