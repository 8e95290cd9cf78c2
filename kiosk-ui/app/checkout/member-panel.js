/**
 * The member panel: who the card belongs to, tier, whether it can be used (and why not, with
 * the rule), balance, points usable today, debt and the birthday banner. Painted straight from
 * the reader's card_read event or a lookup; `data-testid="member-panel"` marks it for the
 * benchmark (card inserted → panel painted).
 */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { points, date } from '../shared/format.js';

export function MemberPanel({ panel, reading }) {
  const t = useT();
  const label = t('checkout.member.panel');
  if (!panel) {
    return html`<section class="member-panel empty" aria-label=${label} data-state=${reading ? 'reading' : 'none'}>
      <p>${t(reading ? 'checkout.member.reading' : 'checkout.member.none')}</p>
    </section>`;
  }
  const m = panel.member;
  return html`<section class="member-panel" aria-label=${label} data-testid="member-panel" data-state=${panel.status}
      data-card=${panel.cardNumber ?? ''}>
    ${m?.birthday && html`<p class="birthday-banner" role="note">${t('checkout.member.birthday')}</p>`}
    <div class="member-head">
      <strong class="member-name">${m ? m.name : t('checkout.member.no_member')}</strong>
      ${m && html`<span class="tier-badge" data-tier=${m.tier}>${t(`checkout.tier.${m.tier}`)}</span>`}
    </div>
    <p class="card-status" data-usable=${panel.usable} role=${panel.usable ? undefined : 'alert'}>
      ${t(`checkout.status.${panel.usable ? 'active' : 'unusable'}`)}
      ${!panel.usable && html` — ${t.has(`checkout.reason.${panel.status}`) ? t(`checkout.reason.${panel.status}`) : panel.status}
        ${panel.status === 'pending' && m?.validFrom ? ` (${t('checkout.member.valid_from', { day: date(m.validFrom, t.lang) })})` : ''}
        ${panel.rule ? ` (${panel.rule})` : ''}`}
    </p>
    ${panel.suspectCopy && html`<p class="refusal">${t('checkout.member.suspect_copy')}</p>`}
    ${panel.earnOnly && html`<p class="refusal" role="note">${t('checkout.member.earn_only')}</p>`}
    ${panel.cardNumber && html`<p class="card-number">${t('checkout.member.card', { number: panel.cardNumber })}</p>`}
    ${m && html`<dl class="member-figures">
      <div><dt>${t('checkout.member.balance')}</dt><dd>${points(m.balance, t.lang)}</dd></div>
      <div><dt>${t('checkout.member.redeemable')}</dt><dd data-testid="redeemable">${points(m.redeemableToday, t.lang)}</dd></div>
      <div><dt>${t('checkout.member.debt')}</dt><dd>${points(m.debt, t.lang)}</dd></div>
      <div><dt>${t('checkout.member.expiry')}</dt><dd>${date(m.expiry, t.lang)}</dd></div>
    </dl>`}
  </section>`;
}
