//! Loss reports and replacement cards at the desk (R-REP-1..6).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::card_status::CardFacts;
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

/// R-REP-2: a card can be reported lost unless it is already blocked, replaced or void.
pub fn check_loss_report(card: &CardFacts) -> Result<(), RuleViolation> {
    let _ = card;
    unimplemented!("check_loss_report")
}

/// R-REP-2: last day to complete a report made on `reported_on`.
pub fn loss_report_deadline(policy: &Policy, reported_on: NaiveDate) -> NaiveDate {
    let _ = (policy, reported_on);
    unimplemented!("loss_report_deadline")
}

/// R-REP-2: the report is past its deadline and still open: flag it for a follow-up call.
pub fn needs_follow_up(policy: &Policy, report: &LossReport, today: NaiveDate) -> bool {
    let _ = (policy, report, today);
    unimplemented!("needs_follow_up")
}

/// R-REP-1/2/3/5: plans replacing `card` for `reason` on `today`. `Lost` needs an open loss
/// report (card blocked); a completion after the deadline is allowed and marked `late`
/// (the card stays blocked meanwhile, R-REP-2). `Damaged` needs an active or inactive card
/// (not blocked, replaced, pending, void). Fee per tier (R-REP-1/3) unless `waive_fee`.
pub fn plan_replacement(
    policy: &Policy,
    card: &CardFacts,
    reason: ReplacementReason,
    report: Option<&LossReport>,
    waive_fee: bool,
    today: NaiveDate,
) -> Result<ReplacementPlan, RuleViolation> {
    let _ = (policy, card, reason, report, waive_fee, today);
    unimplemented!("plan_replacement")
}
