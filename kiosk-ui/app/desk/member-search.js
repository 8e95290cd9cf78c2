/**
 * Finding a member at the desk by phone or ID document (`POST /api/members/search`: the value
 * travels in the body, never in a URL). The answer is masked as the clerk's role allows; each
 * card is listed with its condition, and `pickLabel`/`canPick` say which cards can be chosen.
 */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { post } from '../shared/api.js';
import { errorField, errorMessage } from '../shared/errors.js';
import { points } from '../shared/format.js';
import { cardCondition, searchBody } from './desk-logic.js';

const SEARCH_BY = ['phone', 'prc_resident', 'passport', 'other'];

export function MemberSearch({ idPrefix, canPick, pickLabel, onPick }) {
  const t = useT();
  const [by, setBy] = useState('phone');
  const [value, setValue] = useState('');
  const [matches, setMatches] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const query = searchBody(by, value);
    if (query.error) {
      setFailure({ key: query.error, field: query.field });
      return;
    }
    setBusy(true);
    setFailure(null);
    setMatches(null);
    try {
      const answer = await post('/api/members/search', query.body);
      setMatches(answer.matches);
    } catch (f) {
      setFailure(f.code === 'not_found' ? { key: 'desk.search.none' } : f);
    } finally {
      setBusy(false);
    }
  };
  const message = failure && (failure.key ? t(failure.key) : errorMessage(t, failure));
  const field = failure?.key ? failure.field : errorField(failure);
  const valueInvalid = !!field && field !== 'by';
  return html`<div class="member-search">
    <form class="search-form" onSubmit=${submit} aria-label=${t('desk.search.title')}>
      <label>${t('desk.search.by')}
        <select name="search_by" value=${by} onChange=${(e) => setBy(e.currentTarget.value)}>
          ${SEARCH_BY.map((k) => html`<option value=${k}>${t(`desk.search.by.${k}`)}</option>`)}
        </select>
      </label>
      <label>${t(by === 'phone' ? 'desk.search.phone' : 'desk.search.id_number')}
        <input name="search_value" autocomplete="off" inputmode=${by === 'phone' ? 'tel' : 'text'} value=${value}
          aria-invalid=${valueInvalid} aria-describedby=${failure ? `${idPrefix}-search-refusal` : undefined}
          onInput=${(e) => setValue(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled=${busy}>${t('desk.search.submit')}</button>
    </form>
    ${message && html`<p class="refusal" role="alert" id=${`${idPrefix}-search-refusal`}>${message}</p>`}
    ${matches && matches.map((m) => html`<${Match} key=${m.member.member_id} match=${m}
      canPick=${canPick} pickLabel=${pickLabel} onPick=${onPick} />`)}
  </div>`;
}

function Match({ match, canPick, pickLabel, onPick }) {
  const t = useT();
  const { member } = match;
  return html`<article class="match" aria-label=${member.name}>
    <h3>${member.name}</h3>
    <p class="masked">${t('desk.search.phone')}: ${member.phone} · ${t('desk.search.id_number')}: ${member.id_number}</p>
    <table>
      <caption>${t('desk.search.cards', { name: member.name })}</caption>
      <thead><tr>
        <th scope="col">${t('desk.card.number')}</th><th scope="col">${t('desk.card.tier')}</th>
        <th scope="col">${t('desk.card.condition')}</th><th scope="col" class="amount">${t('desk.card.balance')}</th>
        <th scope="col"><span class="visually-hidden">${t('desk.search.action')}</span></th>
      </tr></thead>
      <tbody>
        ${member.cards.map((c) => {
          const condition = cardCondition(c);
          return html`<tr key=${c.card_number} data-condition=${condition}>
            <td class="card-number">${c.card_number}</td>
            <td>${t(`desk.tier.${c.tier}`)}</td>
            <td>${t(`desk.condition.${condition}`)}</td>
            <td class="amount">${points(c.balance, t.lang)}</td>
            <td>${canPick(c) && html`<button type="button" onClick=${() => onPick(c, member)}
              aria-label=${`${pickLabel} ${c.card_number}`}>${pickLabel}</button>`}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </article>`;
}
