/**
 * A loss report (R-REP-2), usually by phone: find the member, choose the card, block it now.
 * The answer is the report number and the day by which the member must come in with ID
 * (the server's deadline); the confirmation slip prints, and its print state is shown. A
 * report made by mistake can be withdrawn the same day with a supervisor's PIN.
 */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, get, post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { date } from '../shared/format.js';
import { blockedBecause, reportable, withdrawalOffered } from './desk-logic.js';
import { MemberSearch } from './member-search.js';
import { CardPanel } from './card-panel.js';
import { PrintStatus } from './print-status.js';
import { Withdrawal } from './withdrawal.js';

export function LossReportScreen() {
  const t = useT();
  const link = useStore(connection);
  const [card, setCard] = useState(null);
  const [channel, setChannel] = useState('phone');
  const [report, setReport] = useState(null);
  const [withdrawn, setWithdrawn] = useState(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const [round, setRound] = useState(0);

  const startAgain = () => {
    setCard(null);
    setReport(null);
    setWithdrawn(null);
    setFailure(null);
    setChannel('phone');
    setRound((r) => r + 1);
  };
  const blocked = blockedBecause({ connection: link, busy }, ['server']);
  const submit = async (e) => {
    e.preventDefault();
    if (blocked) return;
    setBusy(true);
    setFailure(null);
    try {
      setReport(await post(`/api/cards/${card.card_number}/loss-report`, { channel }));
    } catch (f) {
      setFailure(f);
      // The answer was lost: show the card as it is now (blocked if the report went through).
      if (f.unknown) get(`/api/cards/${card.card_number}`).then(setCard, () => {});
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="desk-screen loss-report">
    <h2>${t('desk.loss.title')}</h2>
    ${!card && html`<p class="hint">${t('desk.loss.hint')}</p>
      <${MemberSearch} key=${round} idPrefix="loss" canPick=${reportable} pickLabel=${t('desk.loss.pick')}
        onPick=${(c) => setCard(c)} />`}

    ${card && !report && html`<form class="confirm" onSubmit=${submit} aria-label=${t('desk.loss.confirm')}>
      <${CardPanel} card=${card} heading=${t('desk.loss.confirm')} />
      <fieldset>
        <legend>${t('desk.loss.channel')}</legend>
        ${['phone', 'counter'].map((c) => html`<label class="choice" key=${c}>
          <input type="radio" name="channel" value=${c} checked=${channel === c} onChange=${() => setChannel(c)} />
          ${t(`desk.loss.channel.${c}`)}
        </label>`)}
      </fieldset>
      <p class="warning">${t('desk.loss.warning')}</p>
      <div class="actions">
        <button type="submit" class="primary" autoFocus disabled=${!!blocked || !reportable(card)}>${t('desk.loss.submit')}</button>
        <button type="button" onClick=${startAgain}>${t('desk.cancel')}</button>
        ${blocked && !busy && html`<span class="why-disabled">${t(blocked)}</span>`}
      </div>
      ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
      ${failure?.unknown && card.state === 'blocked' && html`<p class="warning">${t('desk.loss.unknown_blocked')}</p>`}
    </form>`}

    ${report && html`<section class="outcome" aria-label=${t('desk.loss.done')}>
      <h3><span role="status">${withdrawn ? t('desk.withdraw.done') : t('desk.loss.done')}</span></h3>
      ${!withdrawn && html`<dl class="facts">
        <dt>${t('desk.loss.report_no')}</dt><dd class="report-no">${report.report_no}</dd>
        <dt>${t('desk.loss.reported_on')}</dt><dd>${date(report.reported_on, t.lang)}</dd>
        <dt>${t('desk.loss.deadline')}</dt><dd class="deadline">${date(report.deadline, t.lang)}</dd>
      </dl>
      <p class="say-to-member">${t('desk.loss.tell_member', { deadline: date(report.deadline, t.lang) })}</p>
      <${PrintStatus} outcomes=${report.print} />`}
      <${CardPanel} card=${withdrawn ?? report.card} />
      ${!withdrawn && withdrawalOffered(report.card, report.reported_on, report.reported_on) && html`<details class="mistake">
        <summary>${t('desk.withdraw.open')}</summary>
        <${Withdrawal} card=${report.card} onWithdrawn=${setWithdrawn} />
      </details>`}
      <div class="actions"><button type="button" class="primary" autoFocus onClick=${startAgain}>${t('desk.next')}</button></div>
    </section>`}
  </div>`;
}
