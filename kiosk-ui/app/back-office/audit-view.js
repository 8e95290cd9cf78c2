/**
 * The audit trail as the back office reads it: rows narrowed by what the supervisor types
 * (staff, action, target, workstation, result), and the chain check put in words. Pure.
 */

/** Rows matching every filter given: `text` (staff, action, target or workstation contain
 * it, any case), `outcome` ('all' | 'refused' | 'done'), `day` (store-local "YYYY-MM-DD",
 * compared with `localDay(row.at)`). */
export function filterAudit(rows, { text = '', outcome = 'all', day = '' } = {}, localDay = (at) => at.slice(0, 10)) {
  const needle = text.trim().toLowerCase();
  return rows.filter((r) => {
    if (outcome === 'refused' && r.result < 400) return false;
    if (outcome === 'done' && r.result >= 400) return false;
    if (day && localDay(r.at) !== day) return false;
    if (!needle) return true;
    return [r.staff_id, r.action, r.target, r.workstation, r.role]
      .some((v) => v && String(v).toLowerCase().includes(needle));
  });
}

/** The chain check in the operator's words: `{ok, key, params}` (a catalog key). */
export function chainVerdict(chain) {
  if (!chain) return { ok: false, key: 'backoffice.audit.chain.unknown', params: {} };
  const base = { rows: chain.rows_checked, anchors: chain.anchors_checked, head: chain.head?.seq ?? 0 };
  if (!chain.broken) return { ok: true, key: 'backoffice.audit.chain.ok', params: base };
  const b = chain.broken;
  const params = { ...base, seq: b.seq, from: b.from ?? '', to: b.to ?? '', last: b.last ?? '' };
  const known = ['edited', 'removed', 'unlinked', 'unkeyed', 'rechained', 'cut'];
  const problem = known.includes(b.problem) ? b.problem : 'other';
  return { ok: false, key: `backoffice.audit.chain.${problem}`, params };
}

/** The `before` of the next (older) page: the smallest seq loaded. */
export function olderThan(rows) {
  return rows.length ? Math.min(...rows.map((r) => r.seq)) : null;
}
