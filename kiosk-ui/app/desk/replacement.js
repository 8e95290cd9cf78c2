/**
 * Completing a loss report or exchanging a damaged card (R-REP-1/2/3/5): find the card, see
 * the fee the policy names for its tier (a waiver needs a supervisor's PIN), write the new
 * card at this desk's reader with live progress, and tell the member plainly that the new
 * card works from tomorrow and the balance moved. The server's answer is what is shown: the
 * fee charged, the points moved, the new card's first day.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, get, post, supervisorHeaders } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { useReader } from '../shared/reader.js';
import { date, money, points } from '../shared/format.js';
import {
  WRITE_FAILURES, blockedBecause, cardNumberOf, completionFor, withdrawalOffered, writeStep,
} from './desk-logic.js';
import { MemberSearch } from './member-search.js';
import { CardPanel } from './card-panel.js';
import { PrintStatus } from './print-status.js';
import { SupervisorPin, NO_SUPERVISOR } from './supervisor-pin.js';
import { WriteProgress } from './write-progress.js';
import { Withdrawal } from './withdrawal.js';

export function ReplacementScreen() {
  const t = useT();
  const link = useStore(connection);
  const policy = usePolicy(link.reachable);
  const [card, setCard] = useState(null);
  const [round, setRound] = useState(0);
  const startAgain = () => {
    setCard(null);
    setRound((r) => r + 1);
  };
  return html`<div class="desk-screen replacement">
    <h2>${t('desk.replace.title')}</h2>
    ${card
      ? html`<${Completion} key=${`${round}-${card.card_number}`} card=${card} policy=${policy}
          onCard=${setCard} onNext=${startAgain} />`
      : html`<${FindCard} key=${round} policy=${policy} onCard=${setCard} />`}
  </div>`;
}

/** The policy in force (`GET /api/policy`), read again once the server is back if it failed. */
function usePolicy(reachable) {
  const [policy, setPolicy] = useState(null);
  useEffect(() => {
    if (policy || !reachable) return;
    get('/api/policy').then(setPolicy, () => {});
  }, [reachable, policy]);
  return policy;
}

function FindCard({ policy, onCard }) {
  const t = useT();
  const reader = useReader();
  const [typed, setTyped] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const lookUp = async (e) => {
    e.preventDefault();
    const number = cardNumberOf(typed);
    if (!number) {
      setFailure({ key: 'desk.replace.number_invalid' });
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      onCard(await get(`/api/cards/${number}`));
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  const inReader = reader.check?.card;
  return html`<div class="find-card">
    <form class="card-number-form" onSubmit=${lookUp} aria-label=${t('desk.replace.by_number')}>
      <label>${t('desk.replace.card_number')}
        <input name="card_number" inputmode="numeric" autocomplete="off" value=${typed}
          aria-invalid=${!!failure} onInput=${(e) => setTyped(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled=${busy}>${t('desk.replace.look_up')}</button>
      ${inReader && html`<button type="button" onClick=${() => onCard(inReader)}>
        ${t('desk.replace.use_reader', { number: inReader.card_number })}</button>`}
    </form>
    ${failure && html`<p class="refusal" role="alert">${failure.key ? t(failure.key) : errorMessage(t, failure)}</p>`}
    <h3>${t('desk.replace.or_search')}</h3>
    <${MemberSearch} idPrefix="replace" canPick=${(c) => completionFor(c, policy).reason !== null}
      pickLabel=${t('desk.replace.pick')} onPick=${(c) => onCard(c)} />
  </div>`;
}

function Completion({ card, policy, onCard, onNext }) {
  const t = useT();
  const link = useStore(connection);
  const reader = useReader();
  const [waive, setWaive] = useState(false);
  const [supervisor, setSupervisor] = useState(NO_SUPERVISOR);
  const [phase, setPhase] = useState('idle');
  const [failure, setFailure] = useState(null);
  const [result, setResult] = useState(null);
  const plan = completionFor(card, policy);
  const step = writeStep(reader, phase, failure);
  const needs = ['server', 'card', ...(waive ? ['supervisor'] : [])];
  const blocked = blockedBecause({ connection: link, step, supervisor, busy: phase === 'writing' }, needs);

  const write = async (e) => {
    e.preventDefault();
    if (blocked || !plan.reason) return;
    setPhase('writing');
    setFailure(null);
    try {
      const answer = await post(`/api/cards/${card.card_number}/replacement`,
        { reason: plan.reason, waive_fee: waive },
        { headers: waive ? supervisorHeaders(supervisor.staff.trim(), supervisor.pin) : {} });
      setResult(answer);
      setPhase('done');
    } catch (f) {
      setFailure(f);
      setPhase('failed');
      if (f.unknown) recover();
    } finally {
      setSupervisor((s) => ({ ...s, pin: '' }));
    }
  };
  // The answer was lost: the old card says whether the new one was issued.
  const recover = async () => {
    try {
      const old = await get(`/api/cards/${card.card_number}`);
      if (old.replaced_by) {
        setResult({ recovered: true, old_card_number: old.card_number, new_card: await get(`/api/cards/${old.replaced_by}`) });
        setPhase('done');
      }
    } catch {
      // Still no answer: the message asks the clerk to check the card before trying again.
    }
  };

  if (result) return html`<${Outcome} result=${result} reason=${plan.reason} onNext=${onNext} />`;
  return html`<div class="completion">
    <${CardPanel} card=${card} heading=${t('desk.replace.old_card')} />
    ${plan.refusal
      ? html`<p class="refusal" role="alert">${t(plan.refusal.key)}${plan.refusal.rule ? ` (${plan.refusal.rule})` : ''}</p>`
      : html`<form class="replace-form" onSubmit=${write} aria-label=${t('desk.replace.form')}>
        <p class="reason" data-reason=${plan.reason}>${t(`desk.replace.reason.${plan.reason}`)}</p>
        <${Fee} plan=${plan} tier=${card.tier} waive=${waive} />
        ${!plan.free && plan.fee !== null && html`<label class="choice">
          <input type="checkbox" name="waive_fee" checked=${waive} onChange=${(e) => setWaive(e.currentTarget.checked)} />
          ${t('desk.replace.waive')}
        </label>`}
        ${waive && html`<${SupervisorPin} value=${supervisor} onChange=${setSupervisor} legend=${t('desk.replace.waive_approval')} />`}
        <${WriteProgress} step=${step} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${!!blocked}>${t(phase === 'failed' ? 'desk.replace.write_again' : 'desk.replace.write')}</button>
          <button type="button" onClick=${onNext} disabled=${phase === 'writing'}>${t('desk.cancel')}</button>
          ${blocked && phase !== 'writing' && html`<span class="why-disabled">${t(blocked)}</span>`}
        </div>
        ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}${WRITE_FAILURES.includes(failure.code) ? ` ${t('desk.write.nothing_issued')}` : ''}</p>`}
      </form>`}
    ${withdrawalOffered(card) && html`<details class="mistake">
      <summary>${t('desk.withdraw.open')}</summary>
      <${Withdrawal} card=${card} onWithdrawn=${onCard} />
    </details>`}
  </div>`;
}

/** The fee the policy names for the tier; the server's answer has the fee actually charged. */
function Fee({ plan, tier, waive }) {
  const t = useT();
  if (waive) return html`<p class="fee">${t('desk.replace.fee_waiving', { fee: money(plan.fee, t.lang) })}</p>`;
  if (plan.fee === null) return html`<p class="fee">${t('desk.replace.fee_unknown')}</p>`;
  if (plan.free) return html`<p class="fee" data-free="true">${t('desk.replace.fee_free', { tier: t(`desk.tier.${tier}`) })}</p>`;
  return html`<p class="fee">${t('desk.replace.fee', { fee: money(plan.fee, t.lang) })}</p>`;
}

function Outcome({ result, reason, onNext }) {
  const t = useT();
  const card = result.new_card;
  const pending = card.unusable?.reason === 'pending';
  return html`<section class="outcome" aria-label=${t('desk.replace.done')}>
    <h3>${t('desk.replace.done')}</h3>
    <${WriteProgress} step="done" />
    <p class="valid-from" data-pending=${pending}>${pending
      ? t('desk.replace.valid_from', { date: date(card.valid_from, t.lang) })
      : t(`desk.replace.valid_state.${card.unusable?.reason ?? 'usable'}`)}</p>
    <dl class="facts">
      <dt>${t('desk.replace.new_number')}</dt><dd class="card-number new-card">${card.card_number}</dd>
      <dt>${t('desk.replace.first_day')}</dt><dd>${date(card.valid_from, t.lang)}</dd>
      <dt>${t('desk.card.term')}</dt><dd>${t('desk.card.term_value', { from: date(card.valid_from, t.lang), to: date(card.expiry, t.lang) })}</dd>
      ${!result.recovered && html`<dt>${t('desk.replace.points_moved')}</dt><dd>${t('desk.points', { n: points(result.points_moved, t.lang) })}</dd>`}
      <dt>${t('desk.card.balance')}</dt><dd>${t('desk.points', { n: points(card.balance, t.lang) })}</dd>
      ${!result.recovered && html`<dt>${t('desk.replace.fee_charged')}</dt><dd class="fee-charged">${money(result.fee, t.lang)}${result.fee_waived ? ` · ${t('desk.replace.waived')}` : ''}</dd>`}
      <dt>${t('desk.replace.old_number')}</dt><dd class="card-number">${result.old_card_number} · ${t(`desk.replace.old_now.${reason}`)}</dd>
    </dl>
    ${result.late && html`<p class="warning">${t('desk.replace.late')}</p>`}
    ${result.recovered
      ? html`<p class="warning">${t('desk.replace.recovered')}</p>`
      : html`<${PrintStatus} outcomes=${result.print} />`}
    <div class="actions"><button type="button" class="primary" autoFocus onClick=${onNext}>${t('desk.next')}</button></div>
  </section>`;
}
