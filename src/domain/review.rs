//! The annual review (R-EXP-1..4) and reactivation (R-EXP-2): plans, as values, what happens
//! to a card whose year has ended.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::card_status::{CardFacts, CardState};
use super::enrolment::card_expiry;
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
/// (expiry ≥ today) or it is not active. The new year starts the day after the old expiry
/// and runs for a card term (`enrolment::card_expiry`). VIP: no purchase in the year →
/// inactive, lapsed the day after expiry (R-EXP-1); else renewed. Gold/Platinum: spend below
/// `renewal_min_spend` of the tier → one tier down (R-EXP-3); else renewed.
///
/// Idempotent (R-EXP-4): a pure function of the facts; applying the outcome makes the card
/// inactive or moves its expiry a year on, so the same year is never reviewed twice. One
/// card year per call: if reviews were missed for more than a year, the new expiry is still
/// before `today`, and the caller applies the outcome and calls again with the next year's
/// spend and purchases, until `None`.
pub fn review_card(policy: &Policy, year: &CardYear, today: NaiveDate) -> Option<ReviewOutcome> {
    let card = &year.card;
    if card.state != CardState::Active || card.expiry >= today {
        return None;
    }
    // expiry < today, so the day after it exists.
    let valid_from = card.expiry.succ_opt()?;
    let expiry = card_expiry(policy, valid_from);
    let renew = ReviewOutcome::Renew {
        tier: card.tier,
        valid_from,
        expiry,
    };
    let outcome = match card.tier.below() {
        // VIP is the lowest tier: it lapses instead of going down (R-EXP-1).
        None if year.purchases == 0 => ReviewOutcome::Inactivate {
            lapsed_on: valid_from,
        },
        None => renew,
        Some(to) if year.spend < policy.renewal_min_spend.get(card.tier) => {
            ReviewOutcome::Downgrade {
                from: card.tier,
                to,
                valid_from,
                expiry,
            }
        }
        Some(_) => renew,
    };
    Some(outcome)
}

/// R-EXP-2: reactivating an inactive VIP card with `cash_spend` proven by same-day receipts.
/// Returns the new term: valid from today through `card_expiry(today)`. Refuses (R-EXP-2):
/// card not inactive or without a lapse day, the window (lapsed_on +
/// `reactivation_window_months`, clamped to the month's end) passed, spend below the minimum
/// (field `receipts`).
pub fn check_reactivation(
    policy: &Policy,
    card: &CardFacts,
    cash_spend: Decimal,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), RuleViolation> {
    if card.state != CardState::Inactive {
        return Err(RuleViolation::new(
            "R-EXP-2",
            format!(
                "only an inactive card can be reactivated; this card is {}",
                card.state.as_str()
            ),
        ));
    }
    let lapsed_on = card
        .lapsed_on
        .ok_or_else(|| RuleViolation::new("R-EXP-2", "the card has no lapse date on record"))?;
    let last_day = lapsed_on
        .checked_add_months(Months::new(policy.reactivation_window_months))
        .unwrap_or(NaiveDate::MAX);
    if today > last_day {
        return Err(RuleViolation::new(
            "R-EXP-2",
            format!("the reactivation window closed on {last_day}; enrol again instead"),
        ));
    }
    if cash_spend < policy.reactivation_min_spend {
        return Err(RuleViolation::new(
            "R-EXP-2",
            format!(
                "same-day cash spend ¥{} is below the ¥{} needed to reactivate",
                cash_spend.round_dp(2),
                policy.reactivation_min_spend
            ),
        )
        .on_field("receipts"));
    }
    Ok((today, card_expiry(policy, today)))
}
