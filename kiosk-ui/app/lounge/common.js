/**
 * What the lounge's screens share: the reason writes are disabled (the server unreachable:
 * nothing is queued), the policy in force (thresholds and tier services to show), today's
 * store day, and small views (a field's refusal, the card-write progress, a receipt list,
 * a card's summary).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { createStore, useStore } from '../shared/store.js';
import { connection, get } from '../shared/api.js';
import { useReader } from '../shared/reader.js';
import { money, points, date, storeDay } from '../shared/format.js';
import { issueSteps } from './card-write.js';
import { addReceipt } from './applicant.js';

/** Why money, points and card actions are disabled right now (a message), or null. */
export function useWriteBlock() {
  const t = useT();
  const link = useStore(connection);
  return link.reachable ? null : t('lounge.blocked.offline');
}

const policyStore = createStore(null);
let policyLoading = null;

/** The policy in force (`GET /api/policy`), loaded once per page; null until it arrives. */
export function usePolicy() {
  const policy = useStore(policyStore);
  useEffect(() => {
    if (!policy && !policyLoading) {
      policyLoading = get('/api/policy')
        .then((p) => policyStore.set(p))
        .catch(() => {})
        .finally(() => { policyLoading = null; });
    }
  }, [policy]);
  return policy;
}

/** Today in the store's time zone, "YYYY-MM-DD". */
export function today(store) {
  return storeDay(Date.now(), store?.utc_offset_minutes ?? 480);
}

/** Re-renders every minute so "today" follows midnight. */
export function useToday(store) {
  const [day, setDay] = useState(() => today(store));
  useEffect(() => {
    const timer = setInterval(() => setDay(today(store)), 60_000);
    return () => clearInterval(timer);
  }, [store]);
  return day;
}

/** A field's refusal, linked to its input by `id` (aria-describedby). */
export function FieldError({ id, text }) {
  return text ? html`<p class="field-error refusal" id=${id} role="alert">${text}</p>` : null;
}

/** The reason an action is disabled, shown beside it. */
export function Blocked({ id, text }) {
  return text ? html`<p class="blocked" id=${id} role="status">${text}</p>` : null;
}

/** Steps of the card write: waiting for card / writing / verifying / done. */
export function CardWriteProgress({ pending, outcome }) {
  const t = useT();
  const reader = useReader();
  const steps = issueSteps({ cardPresent: reader.cardPresent, pending, outcome, writing: reader.writing });
  return html`<ol class="card-steps" aria-label=${t('lounge.issue.steps')}>
    ${steps.map((s) => html`<li key=${s.id} data-state=${s.state} aria-current=${s.state === 'current' ? 'step' : undefined}>
      <span class="mark" aria-hidden="true">${{ done: '✓', failed: '✕', current: '…', waiting: '○' }[s.state]}</span>
      ${t(`lounge.issue.step.${s.id}`)}<span class="visually-hidden"> — ${t(`lounge.issue.state.${s.state}`)}</span>
    </li>`)}
  </ol>`;
}

/**
 * Today's receipts: typed or scanned, Enter adds (it never submits the surrounding form),
 * each can be taken off again. `error` is the server's refusal for `receipts`.
 */
export function ReceiptList({ receipts, onChange, error, idPrefix, disabled = false }) {
  const t = useT();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState(null);
  const add = () => {
    const next = addReceipt(receipts, draft);
    setProblem(next.problem);
    if (!next.problem) {
      onChange(next.receipts);
      setDraft('');
    }
  };
  const errorId = `${idPrefix}-receipts-error`;
  const shown = problem ? t(`lounge.check.${problem}`) : error;
  return html`<fieldset class="receipts">
    <legend>${t('lounge.receipts.title')}</legend>
    <div class="row">
      <label>${t('lounge.receipts.number')}
        <input name="receipt" value=${draft} disabled=${disabled} autocomplete="off"
          aria-invalid=${shown ? 'true' : undefined} aria-describedby=${shown ? errorId : undefined}
          onInput=${(e) => setDraft(e.currentTarget.value)}
          onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
      </label>
      <button type="button" onClick=${add} disabled=${disabled}>${t('lounge.receipts.add')}</button>
    </div>
    <${FieldError} id=${errorId} text=${shown} />
    ${receipts.length > 0 && html`<ul class="receipt-list">
      ${receipts.map((no) => html`<li key=${no}><span>${no}</span>
        <button type="button" disabled=${disabled} aria-label=${t('lounge.receipts.remove', { no })}
          onClick=${() => onChange(receipts.filter((r) => r !== no))}>${t('lounge.receipts.remove_short')}</button></li>`)}
    </ul>`}
  </fieldset>`;
}

/** A card as the lounge sees it: number, member, tier, state (with why), balance, term. */
export function CardSummary({ card }) {
  const t = useT();
  const lang = t.lang;
  return html`<dl class="card-summary">
    <dt>${t('lounge.card.number')}</dt><dd>${card.card_number}</dd>
    <dt>${t('lounge.card.member')}</dt><dd>${card.member_name}</dd>
    <dt>${t('lounge.card.tier')}</dt><dd><span class="tier" data-tier=${card.tier}>${t(`lounge.tier.${card.tier}`)}</span></dd>
    <dt>${t('lounge.card.state')}</dt><dd>${t(`lounge.state.${card.state}`)}${card.unusable ? html` — <span class="refusal">${t(`lounge.unusable.${card.unusable.reason}`)} (${card.unusable.rule})</span>` : ''}</dd>
    <dt>${t('lounge.card.balance')}</dt><dd>${points(card.balance, lang)} (${t('lounge.card.redeemable', { n: points(card.redeemable_today, lang) })})</dd>
    ${card.points_debt > 0 && html`<dt>${t('lounge.card.debt')}</dt><dd>${points(card.points_debt, lang)}</dd>`}
    <dt>${t('lounge.card.term')}</dt><dd>${date(card.valid_from, lang)} – ${date(card.expiry, lang)}</dd>
    ${card.birthday_today && html`<dt>${t('lounge.card.birthday')}</dt><dd class="birthday">${t('lounge.card.birthday_today')}</dd>`}
  </dl>`;
}

export { money, points, date };
