/**
 * Member search at the lounge by card number, phone or ID document (R-SVC-1: phone and ID
 * number go in a POST body, never in a URL; results are shown masked), and the contact
 * change of the member found (R-SVC-3: only the changed fields are sent).
 */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get, patch, post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { can } from '../shared/session.js';
import { contactChanges, mask, maskAddress } from './outlook.js';
import { Blocked, FieldError, useWriteBlock } from './common.js';

const BY = ['card', 'phone', 'id_document'];

export function MemberSearch({ who }) {
  const t = useT();
  const [by, setBy] = useState('card');
  const [value, setValue] = useState('');
  const [kind, setKind] = useState('prc_resident');
  const [matches, setMatches] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  const [chosen, setChosen] = useState(null);

  const search = async (e) => {
    e.preventDefault();
    const typed = value.trim();
    if (!typed) return;
    setBusy(true);
    setRefusal(null);
    setMatches(null);
    setChosen(null);
    try {
      if (by === 'card') {
        const card = await get(`/api/cards/${encodeURIComponent(typed)}`);
        const member = await get(`/api/members/${encodeURIComponent(card.member_id)}`);
        const live = member.cards.find((c) => c.state === 'active' || c.state === 'inactive');
        setMatches([{ member, live_card_number: live?.card_number ?? null }]);
      } else {
        const body = by === 'phone' ? { phone: typed } : { id_document: { kind, number: typed } };
        setMatches((await post('/api/members/search', body)).matches);
      }
    } catch (f) {
      setRefusal(f);
    } finally {
      setBusy(false);
    }
  };

  const valueError = refusal ? errorMessage(t, refusal) : null;
  return html`<div class="lounge-form member-search">
    <h2>${t('lounge.search.title')}</h2>
    <form onSubmit=${search} noValidate aria-label=${t('lounge.search.title')}>
      <fieldset class="row by">
        <legend>${t('lounge.search.by')}</legend>
        ${BY.map((b) => html`<label class="radio" key=${b}><input type="radio" name="by" value=${b} checked=${by === b}
          onChange=${() => { setBy(b); setRefusal(null); }} />${t(`lounge.search.by_${b}`)}</label>`)}
      </fieldset>
      <div class="row">
        ${by === 'id_document' && html`<div class="field"><label for="search-id-kind">${t('lounge.field.id_kind')}</label>
          <select id="search-id-kind" name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
            <option value="prc_resident">${t('lounge.id_kind.prc_resident')}</option>
            <option value="passport">${t('lounge.id_kind.passport')}</option>
            <option value="other">${t('lounge.id_kind.other')}</option>
          </select></div>`}
        <label>${t(`lounge.search.value_${by}`)}
          <input name="search_value" autocomplete="off" value=${value} inputmode=${by === 'id_document' ? 'text' : 'numeric'}
            aria-invalid=${valueError ? 'true' : undefined} aria-describedby=${valueError ? 'search-error' : undefined}
            onInput=${(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled=${busy}>${t('lounge.search.submit')}</button>
      </div>
      <${FieldError} id="search-error" text=${valueError} />
    </form>
    ${matches && html`<table class="matches">
      <caption>${t('lounge.search.found', { n: matches.length })}</caption>
      <thead><tr><th scope="col">${t('lounge.field.name')}</th><th scope="col">${t('lounge.field.phone')}</th>
        <th scope="col">${t('lounge.field.id_number')}</th><th scope="col">${t('lounge.card.number')}</th>
        <th scope="col">${t('lounge.card.tier')}</th><th scope="col"><span class="visually-hidden">${t('lounge.search.open')}</span></th></tr></thead>
      <tbody>${matches.map((m) => {
        const live = m.member.cards.find((c) => c.card_number === m.live_card_number);
        return html`<tr key=${m.member.member_id}>
          <td>${m.member.name}</td><td>${mask(m.member.phone)}</td><td>${mask(m.member.id_number)}</td>
          <td>${m.live_card_number ?? t('lounge.search.no_live_card')}</td>
          <td>${live ? t(`lounge.tier.${live.tier}`) : '—'}</td>
          <td><button type="button" onClick=${() => setChosen(m.member)}
            aria-label=${t('lounge.search.open_member', { name: m.member.name })}>${t('lounge.search.open')}</button></td>
        </tr>`;
      })}</tbody>
    </table>`}
    ${chosen && html`<${MemberRecord} key=${chosen.member_id} member=${chosen} mayUpdate=${can(who, 'member.update')}
      onChanged=${(next) => {
        setChosen(next);
        setMatches((ms) => ms?.map((m) => (m.member.member_id === next.member_id ? { ...m, member: next } : m)));
      }} />`}
  </div>`;
}

/** The member found, personal data masked, and the contact change form. */
function MemberRecord({ member, mayUpdate, onChanged }) {
  const t = useT();
  const block = useWriteBlock();
  const start = { phone: '', address: '', clearAddress: false, email: member.email ?? '', preferences: member.preferences ?? '' };
  const [form, setForm] = useState(start);
  const [refusal, setRefusal] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const changes = contactChanges(form, member);
  const set = (field, v) => {
    setSaved(false);
    if (refusal?.field === field) setRefusal(null);
    setForm((f) => ({ ...f, [field]: v }));
  };
  const save = async (e) => {
    e.preventDefault();
    if (Object.keys(changes).length === 0) return;
    setBusy(true);
    setRefusal(null);
    try {
      const next = await patch(`/api/members/${encodeURIComponent(member.member_id)}/contact`, changes);
      onChanged(next);
      setForm({ phone: '', address: '', clearAddress: false, email: next.email ?? '', preferences: next.preferences ?? '' });
      setSaved(true);
    } catch (f) {
      setRefusal(f);
    } finally {
      setBusy(false);
    }
  };
  const errorOf = (field) => (refusal?.field === field ? errorMessage(t, refusal) : null);
  const field = (name, label, { type = 'text', placeholder } = {}) => {
    const text = errorOf(name);
    return html`<div class="field"><label>${label}
      <input name=${name} type=${type} value=${form[name]} placeholder=${placeholder} autocomplete="off" disabled=${!mayUpdate}
        aria-invalid=${text ? 'true' : undefined} aria-describedby=${text ? `contact-${name}-error` : undefined}
        onInput=${(e) => set(name, e.currentTarget.value)} /></label>
      <${FieldError} id=${`contact-${name}-error`} text=${text} />
    </div>`;
  };
  const general = refusal && !['phone', 'address', 'email', 'preferences'].includes(refusal.field) ? refusal : null;
  return html`<form class="member-record" noValidate onSubmit=${save} aria-labelledby="member-record-title">
    <h3 id="member-record-title">${member.name}</h3>
    <dl>
      <dt>${t('lounge.field.phone')}</dt><dd>${mask(member.phone)}</dd>
      <dt>${t('lounge.field.id_number')}</dt><dd>${mask(member.id_number)}</dd>
      <dt>${t('lounge.search.address')}</dt><dd>${member.address ? maskAddress(member.address) : t('lounge.search.none')}</dd>
    </dl>
    <fieldset>
      <legend>${t('lounge.contact.title')}</legend>
      <p class="note">${t('lounge.contact.note')}</p>
      <div class="grid">
        ${field('phone', t('lounge.contact.new_phone'), { type: 'tel', placeholder: mask(member.phone) })}
        ${field('address', t('lounge.contact.new_address'), { placeholder: member.address ? maskAddress(member.address) : '' })}
        ${member.has_address && html`<label class="radio"><input type="checkbox" name="clear_address" checked=${form.clearAddress}
          disabled=${!mayUpdate} onChange=${(e) => set('clearAddress', e.currentTarget.checked)} />${t('lounge.contact.clear_address')}</label>`}
        ${field('email', t('lounge.field.email'), { type: 'email' })}
        ${field('preferences', t('lounge.field.preferences'))}
      </div>
    </fieldset>
    ${general && html`<p class="refusal" role="alert">${errorMessage(t, general)}</p>`}
    ${saved && html`<p class="verdict yes" role="status">${t('lounge.contact.saved')}</p>`}
    ${mayUpdate && html`<button type="submit" class="primary" disabled=${busy || !!block || Object.keys(changes).length === 0}
      aria-describedby="contact-blocked">${t('lounge.contact.save')}</button>
      <${Blocked} id="contact-blocked" text=${block} />`}
  </form>`;
}
