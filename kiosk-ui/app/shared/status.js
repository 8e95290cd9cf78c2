/**
 * What the status bar says and what the screens may do, pure: this workstation's reader state,
 * its printer state from `GET /api/printers`, and whether money, points and card actions are
 * allowed now (never while the server is unreachable: nothing is queued).
 */

/** `none` | `disconnected` | `reading` | `card` | `empty` for `workstation` and the reader store. */
export function readerState(workstation, reader) {
  if (!workstation.reader) return 'none';
  if (!reader.connected) return 'disconnected';
  if (reader.reading) return 'reading';
  return reader.cardPresent ? 'card' : 'empty';
}

/**
 * The printer serving `workstationId` among `statuses` (the `GET /api/printers` answer: its own,
 * else the spool `*` of the others): `unknown` (not asked yet) | `none` | `ready` | `paper_low` |
 * `paper_out` | `cover_open` | `offline` | `spool`.
 */
export function printerState(statuses, workstationId) {
  if (!Array.isArray(statuses)) return 'unknown';
  const mine = statuses.find((s) => s.workstation === workstationId)
    ?? statuses.find((s) => s.workstation === '*');
  if (!mine) return 'none';
  const fault = mine.fault ?? null;
  if (fault === 'paper_out' || fault === 'cover_open') return fault;
  // Refused, timed out, offline or an I/O fault: to the operator, the printer is offline.
  if (fault) return 'offline';
  if (mine.state?.paper_near_end) return 'paper_low';
  return mine.driver === 'spool' ? 'spool' : 'ready';
}

/**
 * Whether a money, points or card action may start: `{allowed, reason}` where `reason` is an
 * error code with an `error.<code>` message (`server_unreachable`, `no_reader`,
 * `reader_unavailable`) or null. `card`: the action uses this workstation's reader.
 */
export function actionsAllowed(link, workstation, reader, { card = false } = {}) {
  if (!link.reachable) return { allowed: false, reason: 'server_unreachable' };
  if (card && !workstation.reader) return { allowed: false, reason: 'no_reader' };
  if (card && !reader.connected) return { allowed: false, reason: 'reader_unavailable' };
  return { allowed: true, reason: null };
}

/**
 * The head-office sync from the `GET /api/health` answer's `sync`: null when not asked yet or
 * not configured (nothing to show), else `{state, backlog, lagMinutes}` where `state` is
 * `online` | `offline` | `conflict`. A backlog is shown only when events wait.
 */
export function syncState(health) {
  const sync = health?.sync;
  if (!sync || sync.state === 'not_configured') return null;
  const state = ['online', 'offline', 'conflict'].includes(sync.state) ? sync.state : 'offline';
  const backlog = Number.isInteger(sync.backlog) && sync.backlog > 0 ? sync.backlog : 0;
  const lagMinutes = Number.isInteger(sync.lag_seconds) ? Math.floor(sync.lag_seconds / 60) : 0;
  return { state, backlog, lagMinutes };
}
