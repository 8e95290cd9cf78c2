/**
 * The idle lock's timing, pure (no clock, no DOM): from the last activity, the time now and
 * the session's idle limit, whether the kiosk is in use, warning (seconds left) or locked.
 */

/** The warning shows this long before the lock. */
export const WARNING_MS = 30_000;

/** The idle limit in milliseconds for `minutes` (`store.session_idle_minutes`; at least one minute). */
export function idleLimitMs(minutes) {
  const whole = Number.isFinite(minutes) ? Math.floor(minutes) : 0;
  return Math.max(whole, 1) * 60_000;
}

/**
 * `{phase: 'active' | 'warning' | 'locked', secondsLeft}` at `now` for activity last seen at
 * `lastActivity` (both epoch ms) and a limit of `limitMs`. The warning covers the last
 * `warningMs` (never more than half the limit, so a short limit still has a quiet time).
 */
export function idlePhase(lastActivity, now, limitMs, warningMs = WARNING_MS) {
  const left = lastActivity + limitMs - now;
  if (left <= 0) return { phase: 'locked', secondsLeft: 0 };
  const secondsLeft = Math.ceil(left / 1000);
  return { phase: left <= Math.min(warningMs, limitMs / 2) ? 'warning' : 'active', secondsLeft };
}
