/**
 * Which workstation this page is: set by the page's configuration — `?workstation=T01` on the
 * bookmark a device is set up with, remembered in this browser — and checked against the
 * store's list (`GET /api/store`). Staff never type it at sign-in.
 */

export const STORAGE_KEY = 'kiosk.workstation';

/**
 * The workstation for `search` (the page's query string) and what `remembered` holds, among
 * `workstations` ([{id, kind, reader, printer}]); null when it must be chosen at set-up.
 */
export function resolveWorkstation(search, remembered, workstations) {
  const asked = new URLSearchParams(search).get('workstation');
  const find = (id) => workstations.find((w) => w.id === id) ?? null;
  return (asked && find(asked)) || (remembered && find(remembered)) || null;
}

/** The screens' folder for a workstation kind. */
export function folderOf(kind) {
  return { checkout: 'checkout', lounge: 'lounge', desk: 'desk', back_office: 'back-office' }[kind] ?? null;
}
