/**
 * What the member panel shows, from the server's word on a card (pure): a reader's check
 * (`CardCheck`, from the card_read event) or a typed/scanned number's lookup (`CardView`).
 * The UI adds nothing: status, reason and rule are the server's; names are shown as given
 * (masked by the server where the role asks for it).
 */

/** Why the card can't be used, as a catalog key part: the ledger's reason, else the read's verdict. */
function reasonOf(check, view) {
  if (view?.unusable?.reason) return view.unusable.reason;
  if (check && check.verdict !== 'active') return check.verdict;
  return null;
}

/**
 * `{source, cardNumber, usable, status, rule, member}`; `member` (name, tier, balance, points
 * usable today, debt, birthday, expiry) is null when the number is not on the ledger (blank,
 * forged, unknown card). `status` is `active` or the reason.
 */
export function memberPanel({ check = null, view = null } = {}) {
  const card = view ?? check?.card ?? null;
  if (!check && !card) return null;
  const reason = reasonOf(check, card);
  const usable = Boolean(check ? check.usable : card.usable);
  return {
    source: check ? 'reader' : 'typed',
    cardNumber: card?.card_number ?? check?.card_number ?? null,
    usable,
    status: usable ? 'active' : reason ?? 'unusable',
    rule: card?.unusable?.rule ?? check?.rule ?? null,
    suspectCopy: Boolean(check?.suspect_copy),
    // Another store's card, offline: it earns at its card's tier only (no redemption).
    earnOnly: check?.verdict === 'earn_only',
    needsRewrite: Boolean(check?.needs_rewrite),
    member: card && {
      name: card.member_name,
      tier: card.tier,
      balance: card.balance,
      redeemableToday: card.redeemable_today,
      debt: card.points_debt,
      birthday: Boolean(card.birthday_today),
      expiry: card.expiry,
      validFrom: card.valid_from,
    },
  };
}

/** The card number a sale is rung with: only a usable card's (an unusable card sells as a guest). */
export function saleCard(panel) {
  return panel?.usable ? panel.cardNumber : null;
}

/** A typed card number cleaned of spaces; null when it can't be one (12–19 digits). */
export function typedCardNumber(text) {
  const digits = String(text ?? '').replace(/[\s-]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : null;
}
