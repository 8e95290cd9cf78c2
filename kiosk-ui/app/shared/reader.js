/**
 * This workstation's card reader as the screens see it, live: connected or not, card present,
 * being read, and the last check of the card in it (`CardCheck` from the server). Fed by the
 * reader event stream and a status read at sign-in; screens read it with `useReader()`.
 */
import { createStore, useStore } from './store.js';
import { get } from './api.js';
import { followReaderEvents } from './events.js';

/**
 * `{connected, cardPresent, reading, check, failure, seq, link, writing}`; `seq` grows with each
 * read; `writing` is a card issue's write at this reader: null, 'writing', 'written' (read back).
 */
export const reader = createStore({
  connected: false, cardPresent: false, reading: false, check: null, failure: null, seq: 0, link: false, writing: null,
});

/** The API error code (`error.<code>` message) of a reader error the event stream names. */
export function readerErrorCode(readerError) {
  const codes = {
    no_reader: 'no_reader', reader_unavailable: 'reader_unavailable', no_card: 'no_card',
    removed: 'card_removed', swapped: 'card_swapped', not_responding: 'card_not_responding',
    unsupported: 'card_unsupported', verify_failed: 'card_verify_failed', service: 'reader_unavailable',
  };
  return codes[readerError] ?? 'reader_unavailable';
}

/** Applies one event for `workstation` to the reader state (pure: returns the next state). */
export function applyReaderEvent(state, workstation, name, payload) {
  if (!payload || payload.workstation !== workstation) return state;
  switch (name) {
    case 'reader_connected':
      return { ...state, connected: true };
    case 'reader_disconnected':
      return { ...state, connected: false, cardPresent: false, reading: false, check: null };
    case 'card_inserted':
      return { ...state, cardPresent: true, reading: true, check: null, failure: null, writing: null };
    case 'card_removed':
      return { ...state, cardPresent: false, reading: false, check: null, failure: null, writing: null };
    case 'card_writing':
      return { ...state, writing: 'writing' };
    case 'card_written':
      return { ...state, writing: 'written' };
    case 'card_read':
      return { ...state, cardPresent: true, reading: false, check: payload.check, failure: null, seq: state.seq + 1 };
    case 'card_read_failed':
      return { ...state, reading: false, check: null, failure: { code: readerErrorCode(payload.error?.reader_error) }, seq: state.seq + 1 };
    default:
      return state;
  }
}

/** Follows `workstation`'s reader until `signal` aborts. */
export async function followReader(workstation, signal) {
  try {
    const statuses = await get('/api/readers');
    const mine = statuses.find((s) => s.workstation === workstation);
    if (mine) {
      reader.update((s) => ({
        ...s, connected: mine.connected, cardPresent: mine.card_present, check: mine.last_check ?? null,
      }));
    }
  } catch {
    // The stream below brings the state once the server answers.
  }
  await followReaderEvents({
    signal,
    onLink: (link) => reader.update((s) => ({ ...s, link })),
    onEvent: (name, payload) => reader.update((s) => applyReaderEvent(s, workstation, name, payload)),
  });
}

export function useReader() {
  return useStore(reader);
}
