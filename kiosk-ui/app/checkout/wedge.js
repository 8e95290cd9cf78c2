/**
 * Keyboard-wedge scanner input told apart from typing by key timing (pure; no DOM). A scanner
 * "types" a whole code in a few milliseconds per key and ends it with Enter; a person types
 * far slower. Every printable key is held for at most `maxGapMs`: if the next key comes
 * sooner the burst goes on; a burst of at least `minLength` keys ended by Enter is a scan
 * (nothing of it reaches the focused field); otherwise the held keys are released to the
 * field as typed. So a scan never leaks into another field, and typing is delayed by only
 * a few tens of milliseconds.
 */

export const WEDGE_DEFAULTS = { maxGapMs: 50, minLength: 8 };

export function wedgeStart() {
  return { held: [], last: -Infinity };
}

/** Printable: one character, no Ctrl/Alt/Meta (shortcuts and F-keys pass untouched). */
export function isPrintable(key) {
  return typeof key.key === 'string' && [...key.key].length === 1 && !key.ctrlKey && !key.altKey && !key.metaKey;
}

/**
 * One keydown `{key, time, ctrlKey?, altKey?, metaKey?}`. Returns `{state, effect}`:
 * - `{kind: 'hold'}`: keep the key from its field (the caller prevents its default);
 * - `{kind: 'scan', code}`: a scan ended by this Enter (also held);
 * - `{kind: 'pass', release}`: let this key through, after typing `release` (held keys) into the field.
 */
export function wedgeKey(state, key, options = WEDGE_DEFAULTS) {
  const { maxGapMs, minLength } = { ...WEDGE_DEFAULTS, ...options };
  const inBurst = state.held.length > 0 && key.time - state.last <= maxGapMs;
  if (key.key === 'Enter' && inBurst && state.held.length >= minLength) {
    return { state: wedgeStart(), effect: { kind: 'scan', code: state.held.join('') } };
  }
  if (isPrintable(key)) {
    const held = inBurst ? [...state.held, key.key] : [key.key];
    const release = inBurst ? '' : state.held.join('');
    return { state: { held, last: key.time }, effect: release ? { kind: 'hold', release } : { kind: 'hold' } };
  }
  return { state: wedgeStart(), effect: { kind: 'pass', release: state.held.join('') } };
}

/** Time passed with no key: a burst over `maxGapMs` old is released as typing. */
export function wedgeTick(state, time, options = WEDGE_DEFAULTS) {
  const { maxGapMs } = { ...WEDGE_DEFAULTS, ...options };
  if (state.held.length === 0 || time - state.last <= maxGapMs) return { state, release: '' };
  return { state: wedgeStart(), release: state.held.join('') };
}

/** What a scan is: a card number (12–19 digits) or an article code for the line form. */
export function scanTarget(code) {
  return /^\d{12,19}$/.test(code) ? 'card' : 'sku';
}
