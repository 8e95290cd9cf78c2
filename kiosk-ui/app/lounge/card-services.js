/**
 * A member's card at the lounge: the card in the reader (or a number typed or scanned), its
 * summary, and what can be done with it — upgrade (R-UPG, with the points counted and the
 * window), reactivation (R-EXP-2), parking tickets (R-SRV-1), the birthday gift (R-SRV-2) and
 * gift exchange from the catalogue (R-PTS-6). What is shown before an action is the outlook
 * from the lookup and the policy; the server's answer decides.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get, post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { useReader } from '../shared/reader.js';
import { can } from '../shared/session.js';
import { CARD_FAILURES, cardReadiness } from './card-write.js';
import { mayReactivate, tierServices, upgradeOutlook } from './outlook.js';
import {
  Blocked, CardSummary, CardWriteProgress, FieldError, ReceiptList, date, points, usePolicy, useToday, useWriteBlock,
} from './common.js';

export function CardServices({ store, who }) {
  const t = useT();
  const reader = useReader();
  const [card, setCard] = useState(null);
  const [typed, setTyped] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  // While a new card is being issued for this one, the reader's card is the new card.
  const [issuing, setIssuing] = useState(false);

  useEffect(() => {
    if (!issuing && reader.check?.card) {
      setCard(reader.check.card);
      setFailure(null);
    }
  }, [reader.seq]);

  const lookUp = async (number) => {
    setBusy(true);
    setFailure(null);
    try {
      setCard(await get(`/api/cards/${encodeURIComponent(number)}`));
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  const refresh = (number) => get(`/api/cards/${encodeURIComponent(number)}`).then(setCard).catch(() => {});

  return html`<div class="lounge-form card-services">
    <h2>${t('lounge.card.title')}</h2>
    <form class="row lookup" noValidate onSubmit=${(e) => { e.preventDefault(); if (typed.trim()) lookUp(typed.trim()); }}>
      <label>${t('lounge.card.typed')}
        <input name="card_number" inputmode="numeric" autocomplete="off" value=${typed}
          aria-invalid=${failure ? 'true' : undefined} aria-describedby=${failure ? 'card-lookup-error' : undefined}
          onInput=${(e) => setTyped(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled=${busy}>${t('lounge.card.look_up')}</button>
    </form>
    <${FieldError} id="card-lookup-error" text=${failure && errorMessage(t, failure)} />
    ${!card && html`<p class="note">${t('lounge.card.insert_or_type')}</p>`}
    ${card && html`
      <${CardSummary} card=${card} />
      ${can(who, 'card.upgrade') && html`<${Upgrade} store=${store} card=${card} onIssuing=${setIssuing}
        onDone=${(next) => setCard(next)} />`}
      ${can(who, 'card.reactivate') && mayReactivate(card) && html`<${Reactivation} card=${card} onDone=${setCard} />`}
      ${card.usable && !issuing && html`<div class="services" key=${card.card_number}>
        ${can(who, 'parking.issue') && html`<${Parking} card=${card} />`}
        ${can(who, 'gift.issue') && html`<${BirthdayGift} card=${card} />`}
      </div>`}
      ${card.usable && !issuing && can(who, 'gift.issue') && html`<${GiftExchange} key=${card.card_number} card=${card}
        onDone=${() => refresh(card.card_number)} />`}
    `}
  </div>`;
}

/** R-UPG-1..4: the outlook, then the new card written at this reader. */
function Upgrade({ store, card, onIssuing, onDone }) {
  const t = useT();
  const policy = usePolicy();
  const day = useToday(store);
  const reader = useReader();
  const block = useWriteBlock();
  const [step, setStep] = useState('outlook');
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [result, setResult] = useState(null);
  useEffect(() => {
    setStep('outlook');
    setOutcome(null);
    setRefusal(null);
    setResult(null);
  }, [card.card_number]);
  if (!policy) return null;
  const outlook = upgradeOutlook(card, policy, day);
  const lang = t.lang;

  const send = async () => {
    setPending(true);
    setOutcome(null);
    setRefusal(null);
    try {
      const answer = await post(`/api/cards/${encodeURIComponent(card.card_number)}/upgrade`, {});
      setResult(answer);
      setOutcome('issued');
    } catch (f) {
      if (CARD_FAILURES.includes(f.code)) setOutcome(f.code);
      setRefusal(f);
    } finally {
      setPending(false);
    }
  };
  const finish = () => {
    onIssuing(false);
    onDone(result.new_card);
  };
  const readiness = cardReadiness(reader);
  const issueBlock = block ?? (readiness === 'none' ? t('lounge.blocked.no_card') : null);
  const cardFailed = outcome && CARD_FAILURES.includes(outcome);

  return html`<section class="upgrade" aria-labelledby="upgrade-title">
    <h3 id="upgrade-title">${t('lounge.upgrade.title')}</h3>
    <dl class="outlook">
      ${outlook.next && html`<dt>${t('lounge.upgrade.points')}</dt>
        <dd>${t('lounge.upgrade.points_counted', {
          counted: points(outlook.counted, lang), needed: points(outlook.needed, lang), tier: t(`lounge.tier.${outlook.next}`),
        })}${outlook.missing > 0 ? ` — ${t('lounge.upgrade.missing', { n: points(outlook.missing, lang) })}` : ''} (R-UPG-1)</dd>`}
      <dt>${t('lounge.upgrade.window')}</dt>
      <dd>${t('lounge.upgrade.window_until', { day: date(outlook.lastDay, lang), grace: policy.upgrade_grace_days })} (R-UPG-3)</dd>
    </dl>
    <p class=${outlook.blocked ? 'verdict no' : 'verdict yes'} role="status">
      ${outlook.blocked ? t(`lounge.upgrade.blocked.${outlook.blocked.startsWith('state_') ? 'state' : outlook.blocked}`, {
        state: t(`lounge.state.${card.state}`),
      }) : t('lounge.upgrade.eligible', { tier: t(`lounge.tier.${outlook.next}`) })}
    </p>
    ${step === 'outlook' && html`<button type="button" disabled=${!!block || !outlook.next} aria-describedby="upgrade-blocked"
      onClick=${() => { setStep('issue'); onIssuing(true); }}>${t('lounge.upgrade.start')}</button>
      <${Blocked} id="upgrade-blocked" text=${block} />`}
    ${step === 'issue' && !result && html`<div class="issue">
      <p class="instruction">${t('lounge.upgrade.swap')}</p>
      <p class="reader-state" role="status" data-readiness=${readiness}>${t(`lounge.issue.reader.${readiness}`)}</p>
      <${CardWriteProgress} pending=${pending} outcome=${outcome} />
      ${cardFailed && html`<p class="refusal" role="alert">${t(`lounge.issue.failed.${outcome === 'card_removed' || outcome === 'no_card' ? 'removed' : 'other'}`)}</p>`}
      ${refusal && outcome !== 'card_removed' && outcome !== 'no_card' && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
      <div class="actions">
        <button type="button" class="primary" disabled=${pending || !!issueBlock} aria-describedby="upgrade-issue-blocked"
          onClick=${send}>${cardFailed ? t('lounge.issue.retry') : t('lounge.upgrade.submit', { tier: t(`lounge.tier.${outlook.next}`) })}</button>
        <button type="button" disabled=${pending} onClick=${() => { setStep('outlook'); onIssuing(false); }}>${t('lounge.cancel')}</button>
      </div>
      <${Blocked} id="upgrade-issue-blocked" text=${issueBlock} />
    </div>`}
    ${result && html`<div class="done" role="status">
      <${CardWriteProgress} pending=${false} outcome="issued" />
      <p class="verdict yes">${t('lounge.upgrade.done', {
        from: t(`lounge.tier.${result.from}`), to: t(`lounge.tier.${result.to}`), points: points(result.qualifying_points, lang),
      })}</p>
      <p>${t('lounge.upgrade.moved', { n: points(result.points_moved, lang), old: result.old_card_number })}</p>
      <button type="button" class="primary" onClick=${finish}>${t('lounge.upgrade.show_new')}</button>
    </div>`}
  </section>`;
}

/** R-EXP-2: an inactive VIP card back in use with today's cash receipts. */
function Reactivation({ card, onDone }) {
  const t = useT();
  const policy = usePolicy();
  const block = useWriteBlock();
  const [receipts, setReceipts] = useState([]);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      onDone(await post(`/api/cards/${encodeURIComponent(card.card_number)}/reactivation`, { receipts }));
    } catch (f) {
      setRefusal(f);
    } finally {
      setBusy(false);
    }
  };
  const onReceipts = refusal?.field === 'receipts' ? errorMessage(t, refusal) : null;
  return html`<section class="reactivation" aria-labelledby="reactivation-title">
    <h3 id="reactivation-title">${t('lounge.reactivation.title')}</h3>
    ${policy && html`<p class="note">${t('lounge.reactivation.rule', {
      months: policy.reactivation_window_months, min: policy.reactivation_min_spend,
    })}</p>`}
    <${ReceiptList} idPrefix="reactivation" receipts=${receipts} onChange=${setReceipts} error=${onReceipts} disabled=${busy} />
    ${refusal && !onReceipts && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
    <button type="button" class="primary" disabled=${busy || !!block || receipts.length === 0} aria-describedby="reactivation-blocked"
      onClick=${send}>${t('lounge.reactivation.submit')}</button>
    <${Blocked} id="reactivation-blocked" text=${block} />
  </section>`;
}

/** A one-button grant (parking, birthday gift): the answer or the refusal. */
function Grant({ card, path, id, title, note, done, notForTier = null }) {
  const t = useT();
  const block = useWriteBlock();
  const [answer, setAnswer] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setAnswer(null);
    setRefusal(null);
  }, [card.card_number]);
  const send = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      setAnswer(await post(`/api/cards/${encodeURIComponent(card.card_number)}/${path}`, {}));
    } catch (f) {
      setRefusal(f);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="grant" aria-labelledby=${`${id}-title`}>
    <h3 id=${`${id}-title`}>${title}</h3>
    ${!notForTier && html`<p class="note">${note}</p>`}
    <button type="button" disabled=${busy || !!block || !!notForTier} aria-describedby=${`${id}-blocked`} onClick=${send}>${title}</button>
    <${Blocked} id=${`${id}-blocked`} text=${block ?? notForTier} />
    ${answer && html`<p class="verdict yes" role="status">${done(answer)}</p>`}
    ${refusal && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
  </section>`;
}

function Parking({ card }) {
  const t = useT();
  const policy = usePolicy();
  const services = tierServices(card.tier, policy);
  return html`<${Grant} card=${card} path="parking" id="parking" title=${t('lounge.parking.title')}
    note=${t('lounge.parking.note', { n: services.parkingTickets, tier: t(`lounge.tier.${card.tier}`) })}
    notForTier=${policy && services.parkingTickets === 0 ? t('lounge.parking.not_tier', { tier: t(`lounge.tier.${card.tier}`) }) : null}
    done=${(a) => t('lounge.parking.done', { n: a.quantity })} />`;
}

function BirthdayGift({ card }) {
  const t = useT();
  const policy = usePolicy();
  const services = tierServices(card.tier, policy);
  return html`<${Grant} card=${card} path="birthday-gift" id="birthday-gift" title=${t('lounge.birthday_gift.title')}
    note=${t('lounge.birthday_gift.note', { tier: t(`lounge.tier.${card.tier}`) })}
    notForTier=${policy && !services.birthdayGift ? t('lounge.birthday_gift.not_tier', { tier: t(`lounge.tier.${card.tier}`) }) : null}
    done=${() => t('lounge.birthday_gift.done')} />`;
}

/** R-PTS-6: a catalogue gift for points. */
function GiftExchange({ card, onDone }) {
  const t = useT();
  const block = useWriteBlock();
  const [gifts, setGifts] = useState(null);
  const [code, setCode] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [answer, setAnswer] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  const loadGifts = () => get('/api/gifts').then(setGifts).catch(setRefusal);
  useEffect(() => {
    loadGifts();
  }, []);
  const lang = t.lang;
  const send = async (e) => {
    e.preventDefault();
    setBusy(true);
    setRefusal(null);
    setAnswer(null);
    try {
      setAnswer(await post(`/api/cards/${encodeURIComponent(card.card_number)}/gift-exchanges`, {
        gift_code: code, quantity: Number(quantity),
      }));
      onDone();
      loadGifts();
    } catch (f) {
      setRefusal(f);
    } finally {
      setBusy(false);
    }
  };
  const qtyError = refusal?.field === 'quantity' ? errorMessage(t, refusal) : null;
  return html`<form class="gift-exchange" noValidate onSubmit=${send} aria-labelledby="gift-title">
    <h3 id="gift-title">${t('lounge.gifts.title')}</h3>
    <p class="note">${t('lounge.gifts.note', { n: points(card.redeemable_today, lang) })}</p>
    ${gifts && html`<table>
      <caption class="visually-hidden">${t('lounge.gifts.title')}</caption>
      <thead><tr><th scope="col">${t('lounge.gifts.choose')}</th><th scope="col">${t('lounge.gifts.name')}</th>
        <th scope="col" class="amount">${t('lounge.gifts.points')}</th><th scope="col" class="amount">${t('lounge.gifts.stock')}</th>
        <th scope="col">${t('lounge.gifts.available')}</th></tr></thead>
      <tbody>${gifts.map((g) => html`<tr key=${g.code}>
        <td><label class="radio"><input type="radio" name="gift" value=${g.code} checked=${code === g.code}
          onChange=${() => setCode(g.code)} /><span class="visually-hidden">${g.name}</span></label></td>
        <td>${g.name}</td><td class="amount">${points(g.points_price, lang)}</td><td class="amount">${points(g.stock, lang)}</td>
        <td>${date(g.available_from, lang)} – ${date(g.available_until, lang)}</td></tr>`)}</tbody>
    </table>`}
    <div class="row">
      <label>${t('lounge.gifts.quantity')}
        <input name="quantity" type="number" min="1" step="1" value=${quantity}
          aria-invalid=${qtyError ? 'true' : undefined} aria-describedby=${qtyError ? 'gift-qty-error' : undefined}
          onInput=${(e) => setQuantity(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled=${busy || !code || !!block} aria-describedby="gift-blocked">${t('lounge.gifts.submit')}</button>
    </div>
    <${FieldError} id="gift-qty-error" text=${qtyError} />
    <${Blocked} id="gift-blocked" text=${block} />
    ${answer && html`<p class="verdict yes" role="status">${t('lounge.gifts.done', {
      name: answer.gift_name, quantity: answer.quantity, points: points(answer.points, lang), balance: points(answer.balance, lang),
    })}</p>`}
    ${refusal && !qtyError && html`<p class="refusal" role="alert">${errorMessage(t, refusal)}</p>`}
  </form>`;
}
