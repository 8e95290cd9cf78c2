/** The birthday greeting list (R-SRV-3): members whose birthday is the chosen day, all tiers. */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { date, useToday } from './common.js';

export function Birthdays({ store }) {
  const t = useT();
  const today = useToday(store);
  const [day, setDay] = useState(today);
  const [list, setList] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const load = (d) => {
    setRefusal(null);
    get(`/api/birthdays?date=${encodeURIComponent(d)}`).then(setList).catch((f) => { setList(null); setRefusal(f); });
  };
  useEffect(() => load(day), [day]);
  return html`<div class="lounge-form birthdays">
    <h2>${t('lounge.birthdays.title')}</h2>
    <form class="row" noValidate onSubmit=${(e) => { e.preventDefault(); load(day); }}>
      <label>${t('lounge.birthdays.day')}
        <input type="date" name="day" value=${day} onChange=${(e) => e.currentTarget.value && setDay(e.currentTarget.value)} />
      </label>
      <button type="button" onClick=${() => setDay(today)}>${t('lounge.birthdays.today')}</button>
      <button type="submit">${t('lounge.birthdays.refresh')}</button>
    </form>
    ${refusal && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
    ${list && html`<table>
      <caption>${t('lounge.birthdays.count', { n: list.length, day: date(day, t.lang) })}</caption>
      <thead><tr><th scope="col">${t('lounge.field.name')}</th><th scope="col">${t('lounge.card.number')}</th>
        <th scope="col">${t('lounge.card.tier')}</th></tr></thead>
      <tbody>${list.map((g) => html`<tr key=${g.member_id}><td>${g.name}</td>
        <td>${g.card_number ?? t('lounge.search.no_live_card')}</td>
        <td>${g.tier ? t(`lounge.tier.${g.tier}`) : '—'}</td></tr>`)}</tbody>
    </table>`}
  </div>`;
}
