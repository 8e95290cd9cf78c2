/**
 * The audit trail: the newest rows first with the chain check above them (rows added since
 * the last check, or the whole chain and its anchors on demand), narrowed by what the
 * supervisor types, older pages loaded on request, the rows shown exported as CSV.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { dateTime, storeDay } from '../shared/format.js';
import { DataTable } from './data-table.js';
import { chainVerdict, filterAudit, olderThan } from './audit-view.js';

const PAGE = 200;

export function AuditScreen({ store }) {
  const t = useT();
  const offset = store.utc_offset_minutes;
  const [rows, setRows] = useState([]);
  const [chain, setChain] = useState(null);
  const [more, setMore] = useState(false);
  const [failure, setFailure] = useState(null);
  const [filter, setFilter] = useState({ text: '', outcome: 'all', day: '' });

  const load = async ({ full = false, older = false } = {}) => {
    setFailure(null);
    const before = older ? olderThan(rows) : null;
    const query = [`limit=${PAGE}`, before !== null && `before=${before}`, full && 'full=true'].filter(Boolean).join('&');
    try {
      const page = await get(`/api/audit?${query}`);
      setRows(older ? [...rows, ...page.rows] : page.rows);
      setChain(page.chain);
      setMore(page.rows.length === PAGE);
    } catch (f) {
      setFailure(f);
    }
  };
  useEffect(() => { load(); }, []);

  const localDay = (at) => storeDay(Date.parse(at), offset);
  const shown = filterAudit(rows, filter, localDay);
  const verdict = chainVerdict(chain);
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.currentTarget.value });

  return html`<div class="audit">
    <h2>${t('backoffice.audit.title')}</h2>
    ${chain && html`<div class=${verdict.ok ? 'chain ok' : 'chain broken'} role=${verdict.ok ? 'status' : 'alert'}>
      <strong>${t(verdict.ok ? 'backoffice.audit.chain.whole' : 'backoffice.audit.chain.broken')}</strong>
      <span>${t(verdict.key, verdict.params)}</span>
      <button type="button" onClick=${() => load({ full: true })}>${t('backoffice.audit.check_all')}</button>
    </div>`}
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label=${t('backoffice.audit.filters')}>
      <label>${t('backoffice.audit.search')}<input type="search" name="text" value=${filter.text} onInput=${set('text')} /></label>
      <label>${t('backoffice.audit.outcome')}
        <select name="outcome" value=${filter.outcome} onChange=${set('outcome')}>
          ${['all', 'done', 'refused'].map((o) => html`<option value=${o}>${t(`backoffice.audit.outcome.${o}`)}</option>`)}
        </select></label>
      <label>${t('backoffice.audit.day')}<input type="date" name="day" value=${filter.day} onInput=${set('day')} /></label>
    </form>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    <p class="muted">${t('backoffice.audit.count', { shown: shown.length, loaded: rows.length })}</p>
    <${DataTable} caption=${t('backoffice.audit.table')} exportName=${['audit', filter.day]} rows=${shown.map((r) => ({ ...r, key: r.seq }))}
      columns=${[
        { key: 'seq', label: 'backoffice.audit.col.seq', amount: true },
        { key: 'at', label: 'backoffice.audit.col.at', cell: (r) => dateTime(r.at, t.lang, offset), csv: (r) => dateTime(r.at, t.lang, offset) },
        { key: 'staff_id', label: 'backoffice.audit.col.staff' },
        { key: 'role', label: 'backoffice.audit.col.role', cell: (r) => (r.role ? t(`role.${r.role}`) : ''), csv: (r) => r.role ?? '' },
        { key: 'workstation', label: 'backoffice.audit.col.workstation' },
        { key: 'action', label: 'backoffice.audit.col.action' },
        { key: 'target', label: 'backoffice.audit.col.target' },
        { key: 'result', label: 'backoffice.audit.col.result', amount: true },
        { key: 'hash', label: 'backoffice.audit.col.hash', cell: (r) => html`<code>${r.hash.slice(0, 12)}</code>` },
      ]} />
    ${more && html`<button type="button" onClick=${() => load({ older: true })}>${t('backoffice.audit.older')}</button>`}
  </div>`;
}
