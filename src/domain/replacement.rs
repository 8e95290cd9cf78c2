//! Loss reports and replacement cards at the desk (R-REP-1..6).

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::card_status::{CardFacts, CardState};
use super::enrolment::card_expiry;
use super::money::two_places;
use super::policy::Policy;
use super::rule::RuleViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementReason {
    /// R-REP-1: member brings the damaged card.
    Damaged,
    /// R-REP-2: completes a loss report.
    Lost,
}

/// A phone loss report on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossReport {
    pub reported_on: NaiveDate,
    pub completed: bool,
}

/// The new card's terms and the fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReplacementPlan {
    #[schema(value_type = String)]
    pub fee: Decimal,
    /// R-REP-5: the new card works from the next day.
    pub valid_from: NaiveDate,
    /// The new card keeps the old card's year.
    pub expiry: NaiveDate,
    /// Completed after the loss-report deadline (it was flagged for follow-up).
    pub late: bool,
}

/// R-REP-2: a card can be reported lost while active (also a replacement not yet valid) or
/// inactive. Refuses: already blocked (R-REP-2), replaced (R-REP-5: the old number is never
/// valid again), never issued (R-ENR-3, as `card_status::Unusable::NotIssued`).
pub fn check_loss_report(card: &CardFacts) -> Result<(), RuleViolation> {
    match card.state {
        CardState::Active | CardState::Inactive => Ok(()),
        CardState::Blocked => Err(RuleViolation::new(
            "R-REP-2",
            "card is already reported lost and blocked",
        )),
        CardState::Replaced => Err(RuleViolation::new(
            "R-REP-5",
            "card was replaced by a newer card and is no longer valid; report the newer card",
        )),
        CardState::Reserved | CardState::Void => {
            Err(RuleViolation::new("R-ENR-3", "card was never issued"))
        }
    }
}

/// R-REP-2: last day to complete a report made on `reported_on`
/// (`reported_on` + `loss_completion_days`; the last representable day if that overflows).
pub fn loss_report_deadline(policy: &Policy, reported_on: NaiveDate) -> NaiveDate {
    reported_on
        .checked_add_days(Days::new(u64::from(policy.loss_completion_days)))
        .unwrap_or(NaiveDate::MAX)
}

/// R-REP-2: the report is past its deadline and still open: flag it for a follow-up call.
pub fn needs_follow_up(policy: &Policy, report: &LossReport, today: NaiveDate) -> bool {
    !report.completed && today > loss_report_deadline(policy, report.reported_on)
}

/// R-REP-1/2/3/5: plans replacing `card` for `reason` on `today`. `Lost` needs an open loss
/// report (card blocked); a completion after the deadline is allowed and marked `late`
/// (the card stays blocked meanwhile, R-REP-2). `Damaged` needs an active or inactive card
/// (not blocked, replaced, pending, void). Fee per tier (R-REP-1/3) unless `waive_fee`.
/// The new card is valid from tomorrow (R-REP-5) and keeps the old expiry; if that is
/// before tomorrow (an expired or inactive card), it gets a fresh card term from tomorrow.
pub fn plan_replacement(
    policy: &Policy,
    card: &CardFacts,
    reason: ReplacementReason,
    report: Option<&LossReport>,
    waive_fee: bool,
    today: NaiveDate,
) -> Result<ReplacementPlan, RuleViolation> {
    let late = match reason {
        ReplacementReason::Lost => {
            if card.state != CardState::Blocked {
                return Err(RuleViolation::new(
                    "R-REP-2",
                    "a lost card must be reported (and blocked) before it is replaced",
                ));
            }
            let report = report.filter(|r| !r.completed).ok_or_else(|| {
                RuleViolation::new("R-REP-2", "no open loss report for this card")
            })?;
            today > loss_report_deadline(policy, report.reported_on)
        }
        ReplacementReason::Damaged => {
            check_damaged(card, today)?;
            false
        }
    };
    // Written with 2 places like every amount on a receipt or in the API ("10.00", not "10").
    let fee = two_places(if waive_fee {
        Decimal::ZERO
    } else {
        policy.replacement_fee.get(card.tier)
    });
    // R-REP-5: works from the next day; `today` only at the very end of the calendar.
    let valid_from = today.succ_opt().unwrap_or(today);
    let expiry = if card.expiry < valid_from {
        card_expiry(policy, valid_from)
    } else {
        card.expiry
    };
    Ok(ReplacementPlan {
        fee,
        valid_from,
        expiry,
        late,
    })
}

/// R-REP-1: a damaged card can be exchanged while active (and already valid) or inactive.
fn check_damaged(card: &CardFacts, today: NaiveDate) -> Result<(), RuleViolation> {
    match card.state {
        CardState::Active if today < card.valid_from => Err(RuleViolation::new(
            "R-REP-5",
            "card is a replacement not yet valid; it cannot be replaced again before it starts",
        )),
        CardState::Active | CardState::Inactive => Ok(()),
        CardState::Blocked => Err(RuleViolation::new(
            "R-REP-2",
            "card is reported lost; complete the loss report instead",
        )),
        CardState::Replaced => Err(RuleViolation::new(
            "R-REP-5",
            "card was already replaced by a newer card",
        )),
        CardState::Reserved | CardState::Void => {
            Err(RuleViolation::new("R-ENR-3", "card was never issued"))
        }
    }
}

/// R-REP-6 (and the supervisor's same-day exception, README "Charter ambiguities"): a loss
/// report made by mistake may be withdrawn, unblocking the card, only on the day it was made
/// and only while the card is still just blocked (not yet replaced). After that the found
/// card stays invalid and the member completes the replacement.
pub fn check_unblock(
    card: CardState,
    reported_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), RuleViolation> {
    if card != CardState::Blocked {
        return Err(RuleViolation::new(
            "R-REP-6",
            "only a blocked card with an open loss report can be unblocked",
        ));
    }
    match reported_on {
        Some(day) if day == today => Ok(()),
        Some(_) => Err(RuleViolation::new(
            "R-REP-6",
            "a loss report can be withdrawn only on the day it was made; the found card stays invalid",
        )),
        None => Err(RuleViolation::new(
            "R-REP-6",
            "the card has no open loss report to withdraw",
        )),
    }
}
