//! The annual review (R-EXP-1..4) and reactivation (R-EXP-2): plans, as values, what happens
//! to a card whose year has ended.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::card_status::CardFacts;
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// A card's year as the review sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardYear {
    pub card: CardFacts,
    /// Net purchases (after refunds) with the card between valid_from and expiry.
    pub spend: Decimal,
    /// Purchases with the card in that period.
    pub purchases: u32,
}

/// What the review does to one card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// R-EXP-3: same tier for another year.
    Renew {
        tier: Tier,
        valid_from: NaiveDate,
        expiry: NaiveDate,
    },
    /// R-EXP-3: Gold → VIP or Platinum → Gold, for another year; points kept.
    Downgrade {
        from: Tier,
        to: Tier,
        valid_from: NaiveDate,
        expiry: NaiveDate,
    },
    /// R-EXP-1: VIP card with no purchase in its year.
    Inactivate { lapsed_on: NaiveDate },
}

/// R-EXP-1/3/4: the outcome for a card on `today`, or `None` if its year has not ended
/// (expiry ≥ today) or it is not active. Idempotent by construction: applying an outcome
/// moves expiry past `today` or makes the card inactive. A card whose review was missed for
/// several days is still reviewed (its new year starts the day after its old expiry).
pub fn review_card(policy: &Policy, year: &CardYear, today: NaiveDate) -> Option<ReviewOutcome> {
    let _ = (policy, year, today);
    unimplemented!("review_card")
}

/// R-EXP-2: reactivating an inactive VIP card with `cash_spend` proven by same-day receipts.
/// Returns the new term (valid from today, for a card year). Refuses: card not inactive,
/// window (lapsed_on + months) passed, spend below the minimum (field `receipts`).
pub fn check_reactivation(
    policy: &Policy,
    card: &CardFacts,
    cash_spend: Decimal,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), RuleViolation> {
    let _ = (policy, card, cash_spend, today);
    unimplemented!("check_reactivation")
}
