/**
 * The shell's light background polls: the store server (public `GET /api/health`, so "server
 * unreachable" shows even when nobody is working, and clears when it is back; its answer also
 * carries the head-office sync the status bar shows) and the
 * printers (`GET /api/printers`, while signed in). Quiet: they never show progress.
 */
import { ApiFailure } from './errors.js';
import { get, markReachable } from './api.js';
import { createStore } from './store.js';

/** Health poll interval while the server answers, and while it does not (to clear fast). */
export const HEALTH_EVERY_MS = 5000;
export const HEALTH_DOWN_EVERY_MS = 2000;
/** A health check unanswered this long counts as the server being down. */
export const HEALTH_TIMEOUT_MS = 4000;
export const PRINTERS_EVERY_MS = 10_000;

/** The last `GET /api/health` answer (null until answered); see status.js `syncState`. */
export const health = createStore(null);

/** The last `GET /api/printers` answer (null until asked); see status.js `printerState`. */
export const printers = createStore(null);

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Polls the server's health until `signal` aborts. */
export async function watchServer(signal) {
  while (!signal.aborted) {
    let up = true;
    try {
      health.set(await get('/api/health', { quiet: true, signal, timeoutMs: HEALTH_TIMEOUT_MS }));
    } catch (f) {
      // An error answer is still an answer; only no answer means the server is away.
      up = !(f instanceof ApiFailure && f.code === 'server_unreachable');
      if (!up && !signal.aborted) markReachable(false);
    }
    await pause(up ? HEALTH_EVERY_MS : HEALTH_DOWN_EVERY_MS, signal);
  }
}

/** Polls the printers' state until `signal` aborts (the last answer stays while the server is away). */
export async function watchPrinters(signal) {
  while (!signal.aborted) {
    try {
      printers.set(await get('/api/printers', { quiet: true, signal }));
    } catch {
      // Unreachable: the server indicator says so. Signed out (401): the shell locks.
    }
    await pause(PRINTERS_EVERY_MS, signal);
  }
}
