/**
 * The replacement desk's decisions that need no server and no screen: what a member search
 * sends, which replacement a card's state allows (R-REP-1/2/5) and which fee the policy in
 * force names for its tier (R-REP-1/3), whether a same-day withdrawal is worth offering
 * (R-REP-6), where a card write stands, and why an action is disabled. The server still
 * decides every fee and refusal; these only shape the form. Pure: no IO, no clock.
 */

/** Error codes a card write can end with; every one leaves nothing issued (number voided). */
export const WRITE_FAILURES = [
  'card_removed', 'card_swapped', 'no_card', 'card_not_responding', 'card_verify_failed',
  'card_not_writable', 'card_issue_timed_out', 'card_unsupported', 'reader_unavailable', 'no_reader',
];

/**
 * The body of `POST /api/members/search` for what the clerk typed (the value goes in the
 * body, never a URL), or `{error: <catalog key>, field}` when nothing usable was typed.
 * `by` is `phone` or an ID kind (`prc_resident`, `passport`, `other`).
 */
export function searchBody(by, value) {
  const text = String(value ?? '').trim();
  if (by === 'phone') {
    const digits = text.replace(/[\s-]/g, '');
    if (!/^\+?\d{5,20}$/.test(digits)) return { error: 'desk.search.phone_invalid', field: 'phone' };
    return { body: { phone: digits } };
  }
  if (!['prc_resident', 'passport', 'other'].includes(by)) return { error: 'desk.search.by_invalid', field: 'by' };
  if (!text) return { error: 'desk.search.id_missing', field: 'id_document.number' };
  return { body: { id_document: { kind: by, number: text.toUpperCase() } } };
}

/** A typed card number, digits only (spaces from a printed card are dropped), or null. */
export function cardNumberOf(typed) {
  const digits = String(typed ?? '').replace(/[\s-]/g, '');
  return /^\d{8,24}$/.test(digits) ? digits : null;
}

/** Why a card can't be used today (`unusable.reason`), or its state; `active` when usable. */
export function cardCondition(card) {
  if (!card) return null;
  return card.unusable?.reason ?? card.state;
}

/**
 * What the completion form needs for `card` (a CardView) under `policy` (`GET /api/policy`):
 * - `reason`: `lost` for a blocked card (completes its loss report), `damaged` for an active
 *   (already valid) or inactive one, null when neither is possible;
 * - `refusal`: `{rule, key}` saying why not, when `reason` is null;
 * - `fee`: the policy's replacement fee for the card's tier, as the server wrote it (the
 *   server's answer has the fee actually charged); null when unknown;
 * - `free`: the tier pays nothing (R-REP-3), so no waiver is offered.
 */
export function completionFor(card, policy) {
  const fee = feeFor(card?.tier, policy);
  const free = fee !== null && isZero(fee);
  const base = { fee, free, reason: null, refusal: null };
  switch (cardCondition(card)) {
    case 'blocked':
      return { ...base, reason: 'lost' };
    case 'active':
    case 'inactive':
    case 'expired':
      // An expired card can still be exchanged (the server gives it a fresh term).
      return { ...base, reason: 'damaged' };
    case 'pending':
      return { ...base, refusal: { rule: 'R-REP-5', key: 'desk.refusal.pending' } };
    case 'replaced':
      return { ...base, refusal: { rule: 'R-REP-5', key: 'desk.refusal.replaced' } };
    case 'not_issued':
    case 'reserved':
    case 'void':
      return { ...base, refusal: { rule: 'R-ENR-3', key: 'desk.refusal.not_issued' } };
    default:
      return { ...base, refusal: { rule: null, key: 'desk.refusal.no_card' } };
  }
}

/** The replacement fee the policy names for `tier`, or null. */
export function feeFor(tier, policy) {
  const fee = policy?.replacement_fee?.[tier];
  return fee === undefined || fee === null ? null : String(fee);
}

function isZero(amount) {
  return /^0+(\.0+)?$/.test(String(amount).trim());
}

/** Whether the card may be reported lost now (R-REP-2): active (also pending) or inactive. */
export function reportable(card) {
  return card?.state === 'active' || card?.state === 'inactive';
}

/**
 * Whether to offer the withdrawal of a mistaken report (R-REP-6): the card is blocked. The
 * server checks the report was made today; `reportedOn`/`today` (when the screen knows the
 * report day, e.g. it just made it) hide the offer on a later day.
 */
export function withdrawalOffered(card, reportedOn = null, today = null) {
  if (card?.state !== 'blocked' || card.replaced_by) return false;
  return !(reportedOn && today && reportedOn !== today);
}

/**
 * Where the new card's write stands, for the progress panel: one of
 * `no_reader`, `insert_card`, `reading`, `member_card` (the card in the reader is a member's
 * card, not a blank), `ready`, `writing`, `written` (written and read back, completing), `done`,
 * `removed` (pulled mid-write: nothing was
 * issued, insert it again), `failed` (another write failure: nothing was issued).
 * `phase` is the screen's: `idle`, `writing`, `done`, `failed`; `failure` the ApiFailure.
 */
export function writeStep(reader, phase, failure = null) {
  // The reader says when the card is written and read back; the server then completes.
  if (phase === 'writing') return reader?.writing === 'written' ? 'written' : 'writing';
  if (phase === 'done') return 'done';
  // Until a card is back in the reader, say what happened; then it is ready again.
  if (phase === 'failed' && WRITE_FAILURES.includes(failure?.code) && !reader?.cardPresent) {
    // The card was ready when the write began: "no card" then means it was pulled.
    return ['card_removed', 'card_swapped', 'no_card'].includes(failure.code) ? 'removed' : 'failed';
  }
  if (!reader?.connected) return 'no_reader';
  if (!reader.cardPresent) return 'insert_card';
  if (reader.reading) return 'reading';
  const verdict = reader.check?.verdict;
  if (verdict && !['blank', 'corrupted', 'not_issued', 'unknown'].includes(verdict)) return 'member_card';
  return 'ready';
}

/**
 * Why an action is disabled, as a catalog key, or null when it may run. `needs` lists what the
 * action needs: `server` (money, points and card actions: nothing is queued while the server
 * is unreachable), `card` (a blank card ready in the reader), `supervisor` (staff number and
 * PIN typed).
 */
export function blockedBecause({ connection, step = null, supervisor = null, busy = false }, needs) {
  if (busy) return 'desk.blocked.busy';
  if (needs.includes('server') && connection && !connection.reachable) return 'desk.blocked.server';
  if (needs.includes('card') && step !== 'ready') {
    return step === 'member_card' ? 'desk.blocked.member_card' : 'desk.blocked.card';
  }
  if (needs.includes('supervisor') && !(supervisor?.staff.trim() && supervisor?.pin)) return 'desk.blocked.supervisor';
  return null;
}

/**
 * How the slips of an answer fared (`print: [PrintOutcome]`): `printed`, `failed` (with the
 * fault and the job to retry), `pending`, or `none` when nothing was printed.
 */
export function printState(outcomes) {
  const jobs = Array.isArray(outcomes) ? outcomes : [];
  if (jobs.length === 0) return { state: 'none', jobs };
  const failed = jobs.find((j) => j.state === 'failed');
  if (failed) return { state: 'failed', fault: failed.fault ?? null, jobId: failed.job_id, jobs };
  if (jobs.some((j) => j.state === 'pending')) return { state: 'pending', jobs };
  return { state: 'printed', jobs };
}

/** Whole days from the deadline (a "YYYY-MM-DD" store day) to `today`, for the follow-up list. */
export function daysOverdue(deadline, today) {
  const day = (d) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(deadline)) || !/^\d{4}-\d{2}-\d{2}$/.test(String(today))) return null;
  return Math.round((day(today) - day(deadline)) / 86_400_000);
}

/** The follow-up list oldest deadline first (the longest-waiting member is called first). */
export function followUpOrder(reports) {
  return [...(reports ?? [])].sort((a, b) =>
    a.deadline === b.deadline ? a.id - b.id : a.deadline < b.deadline ? -1 : 1);
}
