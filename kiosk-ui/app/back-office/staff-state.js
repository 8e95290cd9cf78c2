/** A staff account's state as the staff screen shows it. Pure. */

/** 'inactive' | 'locked' | 'active' at `nowMs`. */
export function staffState(account, nowMs) {
  if (!account.active) return 'inactive';
  if (account.locked_until && Date.parse(account.locked_until) > nowMs) return 'locked';
  return 'active';
}

/** The roles a supervisor may give in the store (head-office admins are made at head office). */
export const STORE_ROLES = ['cashier', 'lounge_clerk', 'desk_clerk', 'supervisor'];

/** Accounts sorted for the list: active first, then by staff number. */
export function sortStaff(accounts) {
  return [...accounts].sort((a, b) => (Number(b.active) - Number(a.active))
    || a.staff_number.localeCompare(b.staff_number));
}
