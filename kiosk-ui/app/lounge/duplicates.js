/**
 * Members enrolled twice in the chain (R-ENR-3, found at sync while a store was offline):
 * each open flag with both members (masked as the role allows) and both cards, and the
 * clerk's decision. Nothing is merged: the clerk serves the member with the other screens.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get, post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { OUTCOMES, resolutionBody, sides } from './duplicate-flags.js';

function Resolve({ flag, onDone }) {
  const t = useT();
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const { body, problem: p } = resolutionBody(outcome, note);
    if (p) { setProblem(t(p)); return; }
    setBusy(true);
    setProblem(null);
    try {
      await post(`/api/duplicate-members/${flag.id}/resolution`, body);
      onDone();
    } catch (f) {
      setProblem(errorMessage(t, f));
    } finally {
      setBusy(false);
    }
  };
  const id = `dup-${flag.id}`;
  return html`<form class="row" noValidate onSubmit=${submit}>
    <label for=${`${id}-outcome`}>${t('lounge.duplicates.outcome')}</label>
    <select id=${`${id}-outcome`} value=${outcome} onChange=${(e) => setOutcome(e.currentTarget.value)}>
      <option value="">${t('lounge.field.choose')}</option>
      ${OUTCOMES.map((o) => html`<option value=${o}>${t(`lounge.duplicates.outcome.${o}`)}</option>`)}
    </select>
    <label for=${`${id}-note`}>${t('lounge.duplicates.note')}</label>
    <input id=${`${id}-note`} value=${note} maxLength="200" onInput=${(e) => setNote(e.currentTarget.value)} />
    <button type="submit" disabled=${busy}>${t('lounge.duplicates.resolve')}</button>
    ${problem && html`<p class="refusal" role="alert">${problem}</p>`}
  </form>`;
}

export function DuplicateMembers() {
  const t = useT();
  const [flags, setFlags] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const load = () => {
    setRefusal(null);
    get('/api/duplicate-members').then(setFlags).catch((f) => { setFlags(null); setRefusal(f); });
  };
  useEffect(load, []);
  return html`<div class="lounge-form duplicates">
    <h2>${t('lounge.duplicates.title')}</h2>
    <p>${t('lounge.duplicates.explain')}</p>
    <button type="button" onClick=${load}>${t('lounge.birthdays.refresh')}</button>
    ${refusal && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
    ${flags && flags.length === 0 && html`<p>${t('lounge.duplicates.none')}</p>`}
    ${flags && flags.map((flag) => html`<section key=${flag.id} aria-label=${t('lounge.duplicates.flag', { id: flag.id })}>
      <table>
        <caption>${t('lounge.duplicates.found', { at: flag.found_at.slice(0, 10) })}</caption>
        <thead><tr><th scope="col">${t('lounge.field.name')}</th><th scope="col">${t('lounge.field.id_number')}</th>
          <th scope="col">${t('lounge.field.phone')}</th><th scope="col">${t('lounge.duplicates.home_store')}</th>
          <th scope="col">${t('lounge.card.number')}</th></tr></thead>
        <tbody>${sides(flag).map(({ member, card }) => html`<tr key=${member.member_id}>
          <td>${member.name}</td><td>${member.id_number}</td><td>${member.phone}</td>
          <td>${member.home_store}</td><td>${card ?? t('lounge.search.no_live_card')}</td></tr>`)}</tbody>
      </table>
      <${Resolve} flag=${flag} onDone=${load} />
    </section>`)}
  </div>`;
}
