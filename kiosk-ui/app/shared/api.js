/**
 * The one API client: every component calls the kiosk through it, never `fetch` directly.
 * It adds the bearer token, turns error bodies into `ApiFailure {code, rule, field}`, tells
 * the shell when a call has taken over 200 ms (progress) and when the server can't be reached
 * (money, points and card actions are then disabled; nothing is queued), and re-asks a
 * request whose answer was lost (`once`) with the same idempotency key rather than a new one.
 */
import { ApiFailure, failureFromBody } from './errors.js';
import { createStore } from './store.js';

/** Calls running longer than this show progress. */
export const PROGRESS_AFTER_MS = 200;
/** A call with no answer after this long counts as "result unknown". */
export const ANSWER_TIMEOUT_MS = 15_000;

/** Connectivity and progress, for the status bar and for disabling actions. */
export const connection = createStore({ reachable: true, busy: false });

let token = null;
let onSignedOut = () => {};
let running = 0;

export function setToken(value) {
  token = value;
}

export function getToken() {
  return token;
}

/** Called when the server says the session is over (401): the shell shows sign-in. */
export function onSessionEnded(callback) {
  onSignedOut = callback;
}

/** Records whether the server answered (the shell's health poll also calls it on a timeout). */
export function markReachable(reachable) {
  if (connection.get().reachable !== reachable) connection.update((c) => ({ ...c, reachable }));
}

function startProgress() {
  running += 1;
  const timer = setTimeout(() => {
    if (running > 0 && !connection.get().busy) connection.update((c) => ({ ...c, busy: true }));
  }, PROGRESS_AFTER_MS);
  return () => {
    clearTimeout(timer);
    running -= 1;
    if (running === 0 && connection.get().busy) connection.update((c) => ({ ...c, busy: false }));
  };
}

/**
 * One request. `body` is sent as JSON; `headers` adds e.g. the supervisor's PIN headers;
 * `signal` lets a screen give up; `quiet` (background polls) shows no progress. Resolves to the parsed answer (null for 204), or throws
 * ApiFailure: a refusal (status + code), `server_unreachable` (nothing was sent or the
 * server is down) or `result_unknown` (sent, but no answer: it may have happened).
 */
export async function request(method, path, { body, headers = {}, signal, timeoutMs = ANSWER_TIMEOUT_MS, quiet = false } = {}) {
  const done = quiet ? () => {} : startProgress();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const sendsData = method !== 'GET' && method !== 'HEAD';
  try {
    let answer;
    try {
      answer = await fetch(path, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      const timedOut = abort.signal.aborted;
      if (!timedOut) markReachable(false);
      // A read that failed can simply be asked again; a write may have happened.
      throw new ApiFailure({ code: sendsData && timedOut ? 'result_unknown' : 'server_unreachable' });
    }
    markReachable(true);
    if (answer.status === 204) return null;
    let parsed = null;
    try {
      parsed = await answer.json();
    } catch {
      if (answer.ok) throw new ApiFailure({ status: answer.status, code: 'bad_answer' });
    }
    if (answer.ok) return parsed;
    const failure = failureFromBody(answer.status, parsed);
    // A supervisor's wrong PIN is a 401 too, but the clerk's own session is still good.
    if (answer.status === 401 && token && failure.code !== 'sign_in_failed') onSignedOut(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
    done();
  }
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body = {}, options = {}) => request('POST', path, { ...options, body });
export const patch = (path, body = {}, options = {}) => request('PATCH', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

/**
 * A write that must happen exactly once (a sale keyed by its receipt number, a refund by its
 * refund number): if its answer is lost, the same request is sent again, and the server
 * answers what it already did. `onChecking()` is called while re-asking ("result unknown —
 * checking"). Gives up with `result_unknown` after `attempts`.
 */
export async function once(path, body, { headers, onChecking = () => {}, attempts = 5, pauseMs = 1000 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request('POST', path, { body, headers });
    } catch (failure) {
      const lost = failure instanceof ApiFailure && (failure.unknown || failure.code === 'server_unreachable');
      if (!lost || attempt >= attempts) throw failure.code === 'server_unreachable' && attempt > 1
        ? new ApiFailure({ code: 'result_unknown' })
        : failure;
      onChecking(attempt);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** Supervisor approval headers (PIN entered on this screen, never stored). */
export function supervisorHeaders(staffNumber, pin) {
  return { 'x-supervisor': staffNumber, 'x-supervisor-pin': pin };
}

/** A random id from `crypto.getRandomValues` (plain http on the LAN has no `randomUUID`). */
export function randomId(bytes = 8) {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}
