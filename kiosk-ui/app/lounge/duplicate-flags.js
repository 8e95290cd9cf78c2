/** Pure helpers of the duplicate-member list: the two sides of a flag and a resolution's body. */

export const OUTCOMES = ['not_duplicate', 'handled'];
export const NOTE_MAX = 200;

/** The flag's two sides, each a member with the card it had when the flag was raised. */
export function sides(flag) {
  return [
    { member: flag.member_a, card: flag.card_a ?? null },
    { member: flag.member_b, card: flag.card_b ?? null },
  ];
}

/**
 * The body of `POST /api/duplicate-members/{id}/resolution`, or the problem (a catalog key):
 * an outcome is chosen, the note is trimmed, empty means none, at most 200 characters.
 */
export function resolutionBody(outcome, note) {
  if (!OUTCOMES.includes(outcome)) return { problem: 'lounge.duplicates.choose_outcome' };
  const text = (note ?? '').trim();
  if ([...text].length > NOTE_MAX) return { problem: 'lounge.duplicates.note_too_long' };
  return { body: text ? { outcome, note: text } : { outcome } };
}
