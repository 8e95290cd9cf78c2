/** One card as the desk sees it: number, member, tier, condition (with the rule), balance, term. */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { date, points } from '../shared/format.js';
import { cardCondition } from './desk-logic.js';

export function CardPanel({ card, heading = null }) {
  const t = useT();
  if (!card) return null;
  const condition = cardCondition(card);
  return html`<div class="card-panel" data-condition=${condition}>
    ${heading && html`<h3>${heading}</h3>`}
    <dl>
      <dt>${t('desk.card.number')}</dt><dd class="card-number">${card.card_number}</dd>
      <dt>${t('desk.card.member')}</dt><dd>${card.member_name}</dd>
      <dt>${t('desk.card.tier')}</dt><dd><span class="tier" data-tier=${card.tier}>${t(`desk.tier.${card.tier}`)}</span></dd>
      <dt>${t('desk.card.condition')}</dt>
      <dd class="condition" data-condition=${condition}>${t(`desk.condition.${condition}`)}${card.unusable?.rule ? ` (${card.unusable.rule})` : ''}</dd>
      <dt>${t('desk.card.balance')}</dt><dd>${t('desk.points', { n: points(card.balance, t.lang) })}</dd>
      <dt>${t('desk.card.term')}</dt><dd>${t('desk.card.term_value', { from: date(card.valid_from, t.lang), to: date(card.expiry, t.lang) })}</dd>
      ${card.replaced_by && html`<dt>${t('desk.card.replaced_by')}</dt><dd>${card.replaced_by}</dd>`}
    </dl>
  </div>`;
}
