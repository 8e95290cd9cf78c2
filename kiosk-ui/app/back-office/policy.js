/**
 * The policy in force, readable: per-tier thresholds, rates and fees side by side, then the
 * store-wide values. Read-only; a role that may publish (head office) also gets the form to
 * publish a new version, which the server checks (a later version, not in the past).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get, post } from '../shared/api.js';
import { can } from '../shared/session.js';
import { errorMessage } from '../shared/errors.js';
import { date, money, points, storeDay } from '../shared/format.js';
import { DataTable } from './data-table.js';
import { nextVersion, policyRows, rate } from './policy-view.js';

export function PolicyScreen({ store, who }) {
  const t = useT();
  const [policy, setPolicy] = useState(null);
  const [failure, setFailure] = useState(null);
  const load = () => get('/api/policy').then(setPolicy, setFailure);
  useEffect(() => { load(); }, []);
  if (failure) return html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`;
  if (!policy) return html`<p aria-live="polite">${t('backoffice.loading')}</p>`;

  const show = (kind, v) => {
    if (kind === 'money') return money(v, t.lang);
    if (kind === 'rate') return rate(v);
    if (kind === 'yes') return t(v ? 'backoffice.yes' : 'backoffice.no');
    if (kind === 'points') return points(v, t.lang);
    return String(v);
  };
  const { perTier, storeWide } = policyRows(policy);
  const tiers = ['vip', 'gold', 'platinum'];
  return html`<div class="policy">
    <h2>${t('backoffice.policy.title')}</h2>
    <p>${t('backoffice.policy.in_force', { version: policy.version, day: date(policy.effective_from, t.lang) })}</p>
    <${DataTable} caption=${t('backoffice.policy.per_tier')} exportName=${['policy-tiers', `v${policy.version}`]}
      rows=${perTier.map((r) => ({ ...r, key: r.name }))}
      columns=${[{ key: 'name', label: 'backoffice.policy.col.what', cell: (r) => html`${t(`backoffice.policy.${r.name}`)} <span class="rule">${r.rule}</span>`,
        csv: (r) => `${t(`backoffice.policy.${r.name}`)} (${r.rule})` },
      ...tiers.map((tier) => ({ key: tier, label: `backoffice.tier.${tier}`, amount: true,
        cell: (r) => (r.values[tier] == null ? '—' : show(r.kind, r.values[tier])), csv: (r) => r.values[tier] ?? '' }))]} />
    <${DataTable} caption=${t('backoffice.policy.store_wide')} exportName=${['policy', `v${policy.version}`]}
      rows=${storeWide.map((r) => ({ ...r, key: r.name }))}
      columns=${[{ key: 'name', label: 'backoffice.policy.col.what', cell: (r) => html`${t(`backoffice.policy.${r.name}`)} <span class="rule">${r.rule}</span>`,
        csv: (r) => `${t(`backoffice.policy.${r.name}`)} (${r.rule})` },
      { key: 'value', label: 'backoffice.policy.col.value', amount: true, cell: (r) => show(r.kind, r.value), csv: (r) => String(r.value) }]} />
    ${can(who, 'policy.manage')
      ? html`<${Publish} policy=${policy} today=${storeDay(Date.now(), store.utc_offset_minutes)} onPublished=${load} />`
      : html`<p class="muted">${t('backoffice.policy.read_only')}</p>`}
  </div>`;
}

/** Publishing a new version (head office): the current one as JSON to edit. */
function Publish({ policy, today, onPublished }) {
  const t = useT();
  const [text, setText] = useState(() => JSON.stringify(nextVersion(policy, today), null, 2));
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    setFailure(null);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      setFailure({ code: 'invalid_body' });
      return;
    }
    try {
      const published = await post('/api/policy', body);
      setDone(t('backoffice.policy.published', { version: published.version }));
      onPublished();
    } catch (f) {
      setFailure(f);
    }
  };
  return html`<form class="publish" onSubmit=${submit} aria-labelledby="publish-title">
    <h3 id="publish-title">${t('backoffice.policy.publish')}</h3>
    <label>${t('backoffice.policy.publish_json')}
      <textarea name="policy" rows="16" spellcheck="false" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></label>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    <p role="status">${done}</p>
    <button type="submit">${t('backoffice.policy.publish_submit')}</button>
  </form>`;
}
