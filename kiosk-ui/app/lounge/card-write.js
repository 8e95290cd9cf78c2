/**
 * The progress of a card issue (enrolment or upgrade), as the clerk sees it: the request
 * that issues the card also writes it at this workstation's reader, then reads it back. The
 * steps come from the reader's event stream (card present; `card_writing` when the write
 * starts, `card_written` once it is written and read back) and the request (not sent,
 * running, answered). Pure: the screen passes the state in.
 */

export const STEPS = ['card', 'write', 'verify', 'done'];

/** Refusals that mean the card write did not happen; running the issue again is safe. */
export const CARD_FAILURES = [
  'no_card', 'card_removed', 'card_swapped', 'card_not_responding', 'card_verify_failed',
  'card_not_writable', 'card_unsupported', 'card_issue_timed_out', 'no_reader', 'reader_unavailable',
];

/** The step a card failure stopped at. */
function failedStep(code) {
  if (code === 'no_card' || code === 'card_not_writable' || code === 'card_unsupported'
    || code === 'no_reader' || code === 'reader_unavailable') return 'card';
  if (code === 'card_verify_failed') return 'verify';
  return 'write';
}

/**
 * Each step's state, `{id, state}` with state `waiting | current | done | failed`:
 * - `cardPresent`: the reader has a card;
 * - `pending`: the issue request is running;
 * - `outcome`: null (not answered), `'issued'`, or the failure's code;
 * - `writing`: the reader's write phase, null, `'writing'` or `'written'` (read back).
 * A card pulled while the request runs shows at once, before the server's answer.
 */
export function issueSteps({ cardPresent, pending, outcome, writing = null }) {
  const states = { card: 'waiting', write: 'waiting', verify: 'waiting', done: 'waiting' };
  if (outcome === 'issued') {
    return STEPS.map((id) => ({ id, state: 'done' }));
  }
  if (outcome && CARD_FAILURES.includes(outcome)) {
    const stop = failedStep(outcome);
    for (const id of STEPS) {
      if (id === stop) {
        states[id] = 'failed';
        break;
      }
      states[id] = 'done';
    }
    return STEPS.map((id) => ({ id, state: states[id] }));
  }
  if (pending) {
    if (!cardPresent) {
      states.card = 'failed';
      return STEPS.map((id) => ({ id, state: states[id] }));
    }
    states.card = 'done';
    if (writing === 'written') {
      // Written and read back: the server is completing the issue.
      states.write = 'done';
      states.verify = 'done';
      states.done = 'current';
    } else if (writing === 'writing') {
      states.write = 'current';
    }
    return STEPS.map((id) => ({ id, state: states[id] }));
  }
  states.card = cardPresent ? 'done' : 'current';
  return STEPS.map((id) => ({ id, state: states[id] }));
}

/**
 * What the clerk is told about the card in the reader before issuing: `ready` (a blank
 * card), `not_blank` (it carries a record: the server will refuse a member card in use),
 * `reading`, `none`.
 */
export function cardReadiness({ cardPresent, reading, check }) {
  if (!cardPresent) return 'none';
  if (reading || !check) return 'reading';
  return check.verdict === 'blank' || check.verdict === 'not_issued' || check.verdict === 'corrupted'
    ? 'ready' : 'not_blank';
}
