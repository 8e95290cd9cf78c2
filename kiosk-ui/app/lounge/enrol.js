/**
 * Enrolment (R-ENR): the applicant's data checked as the server checks it, today's receipts
 * with the tier thresholds, then the card issue at this workstation's reader with its
 * progress. Every server refusal is shown at its field; a card pulled during the write is
 * said plainly ("nothing was issued") and the same request is sent again once a card is in.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { useReader } from '../shared/reader.js';
import { applicantBody, checkApplicant, formField } from './applicant.js';
import { CARD_FAILURES, cardReadiness } from './card-write.js';
import { enrolThresholds } from './outlook.js';
import {
  Blocked, CardSummary, CardWriteProgress, FieldError, ReceiptList, money, usePolicy, useToday, useWriteBlock,
} from './common.js';

const EMPTY = {
  name: '', sex: '', birth_date: '', phone: '', id_document: { kind: 'prc_resident', number: '' },
  address: '', email: '', preferences: '',
};

/** Input names in the form, in its order (the first with a problem gets the focus). */
const FIELDS = ['name', 'sex', 'birth_date', 'phone', 'id_document.number', 'address', 'email', 'preferences', 'receipts'];

export function Enrol({ store }) {
  const t = useT();
  const policy = usePolicy();
  const day = useToday(store);
  const reader = useReader();
  const block = useWriteBlock();
  const formRef = useRef(null);
  const [form, setForm] = useState(EMPTY);
  const [receipts, setReceipts] = useState([]);
  const [touched, setTouched] = useState(new Set());
  const [tried, setTried] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState(null);
  const [sent, setSent] = useState(null);
  const [result, setResult] = useState(null);

  const minAge = policy?.enrol_min_age ?? 18;
  const problems = checkApplicant(form, day, minAge);
  const problemOf = (field) => problems.find((p) => p.field === field);
  const serverField = formField(refusal?.field);
  const fieldText = (field) => {
    if (serverField === field) return errorMessage(t, refusal);
    if (field === 'receipts') return tried && receipts.length === 0 ? `${t('lounge.check.receipts_missing')} (R-ENR-4)` : null;
    const p = problemOf(field);
    if (p && (tried || touched.has(field))) return `${t(`lounge.check.${p.reason}`, p.params)} (${p.rule})`;
    return null;
  };
  const set = (field, value) => {
    if (serverField === field) setRefusal(null);
    setForm((f) => (field === 'id_document.number' ? { ...f, id_document: { ...f.id_document, number: value } }
      : field === 'id_document.kind' ? { ...f, id_document: { ...f.id_document, kind: value } }
        : { ...f, [field]: value }));
  };
  const touch = (field) => setTouched((s) => (s.has(field) ? s : new Set([...s, field])));

  const send = async (body) => {
    setPending(true);
    setOutcome(null);
    setRefusal(null);
    try {
      const answer = await post('/api/members', body);
      setResult(answer);
      setOutcome('issued');
    } catch (failure) {
      if (CARD_FAILURES.includes(failure.code)) setOutcome(failure.code);
      setRefusal(failure);
      const field = formField(failure.field);
      if (field && FIELDS.includes(field)) focusField(field);
    } finally {
      setPending(false);
    }
  };

  const focusField = (field) => {
    const input = formRef.current?.querySelector(`[name="${field === 'receipts' ? 'receipt' : field}"]`);
    input?.focus();
  };

  const submit = (e) => {
    e.preventDefault();
    if (pending || block) return;
    setTried(true);
    if (problems.length > 0) {
      focusField(problems[0].field);
      return;
    }
    if (receipts.length === 0) {
      focusField('receipts');
      return;
    }
    if (!reader.cardPresent) return;
    const body = { applicant: applicantBody(form), receipts };
    setSent(body);
    send(body);
  };

  // The answer was lost: whether the card was issued is asked by the ID document, never
  // by sending the enrolment again blind.
  const checkIssued = async () => {
    try {
      const found = await post('/api/members/search', { id_document: sent.applicant.id_document });
      const live = found.matches.find((m) => m.live_card_number);
      const card = live?.member.cards.find((c) => c.card_number === live.live_card_number);
      if (card) {
        setResult({ card, tier: card.tier, qualifying_spend: null, welcome_gift: false, recovered: true });
        return;
      }
      setRefusal({ code: 'not_issued_after_all', local: true });
    } catch (failure) {
      setRefusal(failure.code === 'not_found' ? { code: 'not_issued_after_all', local: true } : failure);
    }
  };

  const startOver = () => {
    setForm(EMPTY);
    setReceipts([]);
    setTouched(new Set());
    setTried(false);
    setRefusal(null);
    setOutcome(null);
    setSent(null);
    setResult(null);
  };

  if (result) return html`<${Enrolled} result=${result} onNext=${startOver} />`;

  const readiness = cardReadiness(reader);
  const cardFailed = outcome && CARD_FAILURES.includes(outcome);
  const generalRefusal = refusal && !cardFailed && !(serverField && FIELDS.includes(serverField)) ? refusal : null;
  const locked = pending || cardFailed;
  const issueBlock = block ?? (readiness === 'none' ? t('lounge.blocked.no_card') : null);
  const input = (field, { label, type = 'text', autocomplete = 'off', inputmode } = {}) => {
    const text = fieldText(field);
    const id = `enrol-${field.replace('.', '-')}`;
    const value = field === 'id_document.number' ? form.id_document.number : form[field];
    return html`<div class="field"><label>${label}
      <input name=${field} type=${type} value=${value} autocomplete=${autocomplete} inputmode=${inputmode}
        disabled=${locked} aria-invalid=${text ? 'true' : undefined} aria-describedby=${text ? `${id}-error` : undefined}
        onInput=${(e) => set(field, e.currentTarget.value)} onBlur=${() => touch(field)} /></label>
      <${FieldError} id=${`${id}-error`} text=${text} />
    </div>`;
  };
  const sexText = fieldText('sex');

  return html`<form class="lounge-form enrol" ref=${formRef} onSubmit=${submit} noValidate aria-labelledby="enrol-title">
    <h2 id="enrol-title">${t('lounge.enrol.title')}</h2>
    <fieldset class="applicant">
      <legend>${t('lounge.enrol.applicant')}</legend>
      <div class="grid">
        ${input('name', { label: t('lounge.field.name'), autocomplete: 'name' })}
        <div class="field">
          <label for="enrol-sex">${t('lounge.field.sex')}</label>
          <select id="enrol-sex" name="sex" value=${form.sex} disabled=${locked} aria-invalid=${sexText ? 'true' : undefined}
            aria-describedby=${sexText ? 'enrol-sex-error' : undefined}
            onChange=${(e) => set('sex', e.currentTarget.value)} onBlur=${() => touch('sex')}>
            <option value="">${t('lounge.field.choose')}</option>
            <option value="female">${t('lounge.sex.female')}</option>
            <option value="male">${t('lounge.sex.male')}</option>
          </select>
          <${FieldError} id="enrol-sex-error" text=${sexText} />
        </div>
        ${input('birth_date', { label: t('lounge.field.birth_date'), type: 'date' })}
        ${input('phone', { label: t('lounge.field.phone'), type: 'tel', inputmode: 'tel' })}
        <div class="field">
          <label for="enrol-id-kind">${t('lounge.field.id_kind')}</label>
          <select id="enrol-id-kind" name="id_document.kind" value=${form.id_document.kind} disabled=${locked}
            onChange=${(e) => set('id_document.kind', e.currentTarget.value)}>
            <option value="prc_resident">${t('lounge.id_kind.prc_resident')}</option>
            <option value="passport">${t('lounge.id_kind.passport')}</option>
            <option value="other">${t('lounge.id_kind.other')}</option>
          </select>
        </div>
        ${input('id_document.number', { label: t('lounge.field.id_number') })}
        ${input('address', { label: t('lounge.field.address'), autocomplete: 'street-address' })}
        ${input('email', { label: t('lounge.field.email'), type: 'email', autocomplete: 'email' })}
        ${input('preferences', { label: t('lounge.field.preferences') })}
      </div>
    </fieldset>

    <${ReceiptList} idPrefix="enrol" receipts=${receipts} disabled=${locked}
      onChange=${(r) => { setReceipts(r); if (serverField === 'receipts') setRefusal(null); }}
      error=${fieldText('receipts')} />
    <section class="thresholds" aria-labelledby="enrol-thresholds">
      <h3 id="enrol-thresholds">${t('lounge.enrol.thresholds')}</h3>
      ${policy && html`<table>
        <thead><tr><th scope="col">${t('lounge.card.tier')}</th><th scope="col" class="amount">${t('lounge.enrol.min_spend')}</th></tr></thead>
        <tbody>${enrolThresholds(policy).map((row) => html`<tr key=${row.tier}>
          <td>${t(`lounge.tier.${row.tier}`)}</td><td class="amount">${money(row.min, t.lang)}</td></tr>`)}</tbody>
      </table>`}
      <${ReceiptsQualify} receipts=${receipts} />
      <p class="note">${t('lounge.enrol.tier_note', { n: receipts.length })}</p>
    </section>

    <section class="issue" aria-labelledby="enrol-issue">
      <h3 id="enrol-issue">${t('lounge.issue.title')}</h3>
      <p class="reader-state" role="status" data-readiness=${readiness}>${t(`lounge.issue.reader.${readiness}`)}</p>
      <${CardWriteProgress} pending=${pending} outcome=${outcome} />
      ${cardFailed && html`<div class="recovery" role="alert">
        <p class="refusal">${t(`lounge.issue.failed.${outcome === 'card_removed' || outcome === 'no_card' ? 'removed' : 'other'}`)}</p>
        ${outcome !== 'card_removed' && outcome !== 'no_card' && html`<p>${errorMessage(t, refusal)}</p>`}
        <div class="actions">
          <button type="button" class="primary" disabled=${pending || !!issueBlock} aria-describedby="enrol-retry-blocked"
            onClick=${() => send(sent)}>${t('lounge.issue.retry')}</button>
          <button type="button" disabled=${pending} onClick=${() => { setOutcome(null); setRefusal(null); }}>${t('lounge.issue.edit')}</button>
        </div>
        <${Blocked} id="enrol-retry-blocked" text=${issueBlock} />
      </div>`}
      ${generalRefusal && html`<p class="refusal" role="alert">${generalRefusal.local
        ? t(`lounge.issue.${generalRefusal.code}`) : errorMessage(t, generalRefusal)}</p>`}
      ${refusal?.code === 'result_unknown' && html`<div class="actions">
        <button type="button" class="primary" disabled=${!!block} onClick=${checkIssued}>${t('lounge.issue.check')}</button>
      </div>`}
      ${!cardFailed && html`<div class="actions">
        <button type="submit" disabled=${pending || !!block} aria-describedby="enrol-blocked">
          ${pending ? t('lounge.issue.issuing') : t('lounge.enrol.submit')}</button>
        <button type="button" disabled=${pending} onClick=${startOver}>${t('lounge.enrol.clear')}</button>
      </div>
      <${Blocked} id="enrol-blocked" text=${block ?? (tried && readiness === 'none' ? t('lounge.blocked.no_card') : null)} />`}
    </section>
  </form>`;
}

/** The server's answer: the tier its receipts bought, the card, the welcome gift. */
function Enrolled({ result, onNext }) {
  const t = useT();
  return html`<section class="lounge-form enrolled" aria-labelledby="enrolled-title">
    <h2 id="enrolled-title">${t('lounge.enrolled.title')}</h2>
    <${CardWriteProgress} pending=${false} outcome="issued" />
    <p class="verdict" role="status">${result.qualifying_spend === null
      ? t('lounge.enrolled.tier_only', { tier: t(`lounge.tier.${result.tier}`) })
      : t('lounge.enrolled.tier', { tier: t(`lounge.tier.${result.tier}`), spend: money(result.qualifying_spend, t.lang) })}</p>
    ${result.welcome_gift && html`<p class="gift">${t('lounge.enrolled.welcome_gift')}</p>`}
    <${CardSummary} card=${result.card} />
    <p class="note">${t('lounge.enrolled.take_card')}</p>
    <button type="button" class="primary" onClick=${onNext} autoFocus>${t('lounge.enrolled.next')}</button>
  </section>`;
}

/**
 * What the receipts added so far qualify for, asked of the server as they are added (it reads
 * each receipt's cash; nothing is claimed until the card is issued). Only the latest answer shows.
 */
function ReceiptsQualify({ receipts }) {
  const t = useT();
  const [answer, setAnswer] = useState(null);
  useEffect(() => {
    if (receipts.length === 0) {
      setAnswer(null);
      return undefined;
    }
    let current = true;
    post('/api/members/qualifying-spend', { receipts })
      .then((spend) => current && setAnswer({ spend }))
      .catch((failure) => current && setAnswer({ failure }));
    return () => {
      current = false;
    };
  }, [receipts.join('\n')]);
  if (!answer) return null;
  if (answer.failure) {
    return html`<p class="qualify refusal" role="status">${errorMessage(t, answer.failure)}</p>`;
  }
  const { qualifying_spend: cash, tier, next } = answer.spend;
  return html`<p class="qualify" role="status">
    ${tier
    ? t('lounge.enrol.qualifies', { cash: money(cash, t.lang), tier: t(`lounge.tier.${tier}`) })
    : t('lounge.enrol.qualifies_none', { cash: money(cash, t.lang) })}
    ${next && html` ${t('lounge.enrol.next_tier', { missing: money(next.missing, t.lang), tier: t(`lounge.tier.${next.tier}`) })}`}
  </p>`;
}
