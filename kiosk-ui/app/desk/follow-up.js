/**
 * Loss reports past their 7-day deadline (R-REP-2), for the follow-up calls: the member has
 * not come in to complete the replacement. Oldest deadline first, each with the member's name
 * and phone to call (the server gives them with the list, to the roles that take loss reports).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, get } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { date, storeDay } from '../shared/format.js';
import { daysOverdue, followUpOrder } from './desk-logic.js';

export function FollowUpScreen({ store }) {
  const t = useT();
  const link = useStore(connection);
  const [reports, setReports] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    setFailure(null);
    try {
      setReports(followUpOrder(await get('/api/loss-reports/overdue')));
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const today = storeDay(Date.now(), store.utc_offset_minutes);
  return html`<div class="desk-screen follow-up">
    <h2>${t('desk.follow.title')}</h2>
    <p class="hint">${t('desk.follow.hint')}</p>
    <div class="actions">
      <button type="button" onClick=${load} disabled=${busy || !link.reachable}>${t('desk.follow.refresh')}</button>
      ${!link.reachable && html`<span class="why-disabled">${t('desk.blocked.server')}</span>`}
    </div>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    ${reports && reports.length === 0 && html`<p class="empty" role="status">${t('desk.follow.none')}</p>`}
    ${reports && reports.length > 0 && html`<table class="overdue">
      <caption>${t('desk.follow.caption', { n: reports.length })}</caption>
      <thead><tr>
        <th scope="col">${t('desk.card.number')}</th>
        <th scope="col">${t('desk.loss.reported_on')}</th>
        <th scope="col">${t('desk.loss.deadline')}</th>
        <th scope="col" class="amount">${t('desk.follow.days_over')}</th>
        <th scope="col">${t('desk.loss.channel')}</th>
        <th scope="col">${t('desk.follow.member')}</th>
        <th scope="col">${t('desk.follow.phone')}</th>
      </tr></thead>
      <tbody>
        ${reports.map((r) => html`<tr key=${r.id}>
            <td class="card-number">${r.card_number}</td>
            <td>${date(r.reported_on, t.lang)}</td>
            <td>${date(r.deadline, t.lang)}</td>
            <td class="amount">${daysOverdue(r.deadline, today) ?? ''}</td>
            <td>${t(`desk.loss.channel.${r.channel}`)}</td>
            <td>${r.member_name}</td>
            <td class="phone">${r.phone}</td>
          </tr>`)}
      </tbody>
    </table>`}
  </div>`;
}
