//! Enrolment at the lounge (R-ENR-1..7): who may join, which tier their same-day cash
//! receipts buy, and the new card's term.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::id_document::IdDocument;
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// The applicant's data as the clerk entered it (R-ENR-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: String,
    pub id_document: IdDocument,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferences: Option<String>,
}

/// A receipt the applicant presents (R-ENR-4), as the store recorded the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedReceipt {
    pub receipt_no: String,
    pub sale_day: NaiveDate,
    /// Cash-like tenders of the sale, less refunds (R-PAY-1).
    pub cash_paid: Decimal,
    /// The receipt already qualified an enrolment or reactivation.
    pub already_used: bool,
}

/// R-ENR-1/2/5: checks the applicant and returns it normalised (trimmed name and phone,
/// upper-cased ID number). Refusals name the rule and the field: `name`, `phone` (11-digit
/// mainland mobile, or 7–20 digits with an optional leading `+`), `birth_date` (age),
/// `id_document.number`, `email`.
pub fn check_applicant(
    policy: &Policy,
    applicant: &Applicant,
    today: NaiveDate,
) -> Result<Applicant, RuleViolation> {
    let _ = (policy, applicant, today);
    unimplemented!("check_applicant")
}

/// R-ENR-4 (also used by R-EXP-2): the cash spend proven by `receipts` on `today`. Refuses
/// (field `receipts`) none given, a receipt named twice, a receipt from another day, or one
/// already used.
pub fn same_day_cash_spend(
    receipts: &[PresentedReceipt],
    today: NaiveDate,
) -> Result<Decimal, RuleViolation> {
    let _ = (receipts, today);
    unimplemented!("same_day_cash_spend")
}

/// R-ENR-4: the highest tier the spend reaches; refuses below the VIP threshold.
pub fn tier_for_spend(policy: &Policy, cash_spend: Decimal) -> Result<Tier, RuleViolation> {
    let _ = (policy, cash_spend);
    unimplemented!("tier_for_spend")
}

/// R-ENR-7: a card issued on `issued` is valid through issued + years − 1 day
/// (29 Feb + 1 year → 28 Feb − … i.e. the day before the anniversary, clamped).
pub fn card_expiry(policy: &Policy, issued: NaiveDate) -> NaiveDate {
    let _ = (policy, issued);
    unimplemented!("card_expiry")
}

/// R-ENR-6: whether enrolment at `tier` grants a welcome gift voucher.
pub fn welcome_gift(policy: &Policy, tier: Tier) -> bool {
    policy.welcome_gift.get(tier)
}
