//! Enrolment at the lounge (R-ENR-1..7): who may join, which tier their same-day cash
//! receipts buy, and the new card's term.

use std::collections::HashSet;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::birthday::age_on;
use super::id_document::{validate, IdDocument};
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
    #[serde(deserialize_with = "super::confidential::text")]
    pub phone: String,
    pub id_document: IdDocument,
    #[serde(default, deserialize_with = "super::confidential::optional_text")]
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

/// R-ENR-1/2/5: checks the applicant and returns it normalised (trimmed name; phone without
/// spaces and dashes; trimmed, upper-cased ID number; optional fields trimmed, blank → `None`).
/// Refusals name the rule and the field: `name` (1–50 characters, R-ENR-5), `phone`
/// (11-digit mainland mobile starting with 1, or `+` then 7–15 digits, R-ENR-5),
/// `birth_date` (not in the future R-ENR-5; age R-ENR-1), `id_document.number` (R-ENR-2),
/// `email` (one `@` with text on both sides, R-ENR-5). Messages never repeat the ID number
/// or phone.
pub fn check_applicant(
    policy: &Policy,
    applicant: &Applicant,
    today: NaiveDate,
) -> Result<Applicant, RuleViolation> {
    let name = applicant.name.trim();
    if name.is_empty() {
        return Err(RuleViolation::new("R-ENR-5", "name is required").on_field("name"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(RuleViolation::new(
            "R-ENR-5",
            format!("name is longer than {NAME_MAX_CHARS} characters"),
        )
        .on_field("name"));
    }

    let phone = normalise_phone(&applicant.phone)?;

    if applicant.birth_date > today {
        return Err(
            RuleViolation::new("R-ENR-5", "birth date is in the future").on_field("birth_date")
        );
    }
    let min_age = i32::try_from(policy.enrol_min_age).unwrap_or(i32::MAX);
    if age_on(applicant.birth_date, today) < min_age {
        return Err(RuleViolation::new(
            "R-ENR-1",
            format!("applicant must be at least {min_age} years old on the day of application"),
        )
        .on_field("birth_date"));
    }

    let id_document = validate(&applicant.id_document, applicant.birth_date)?;

    let email = optional_text(applicant.email.as_deref());
    if let Some(email) = &email {
        if !is_plausible_email(email) {
            return Err(RuleViolation::new(
                "R-ENR-5",
                "e-mail address must have one @ with text on both sides",
            )
            .on_field("email"));
        }
    }

    Ok(Applicant {
        name: name.to_owned(),
        sex: applicant.sex,
        birth_date: applicant.birth_date,
        phone,
        id_document,
        address: optional_text(applicant.address.as_deref()),
        email,
        preferences: optional_text(applicant.preferences.as_deref()),
    })
}

const NAME_MAX_CHARS: usize = 50;

/// Spaces and dashes removed; 11-digit mainland mobile (starts with 1) or `+` and 7–15 digits.
fn normalise_phone(raw: &str) -> Result<String, RuleViolation> {
    let phone: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if phone.is_empty() {
        return Err(RuleViolation::new("R-ENR-5", "phone number is required").on_field("phone"));
    }
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = match phone.strip_prefix('+') {
        Some(rest) => (7..=15).contains(&rest.len()) && all_digits(rest),
        None => phone.len() == 11 && phone.starts_with('1') && all_digits(&phone),
    };
    if !ok {
        return Err(RuleViolation::new(
            "R-ENR-5",
            "phone must be an 11-digit mobile number starting with 1, or + and 7 to 15 digits",
        )
        .on_field("phone"));
    }
    Ok(phone)
}

/// Trimmed; blank counts as not given.
fn optional_text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Exactly one `@`, text on both sides, no whitespace. Deliverability is not our concern.
fn is_plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// R-ENR-4 (also used by R-EXP-2): the cash spend proven by `receipts` on `today`. Refuses
/// (rule R-ENR-4, field `receipts`) none given, a receipt named twice, a receipt from another
/// day, one already used, a negative cash amount, or a sum too large to represent.
pub fn same_day_cash_spend(
    receipts: &[PresentedReceipt],
    today: NaiveDate,
) -> Result<Decimal, RuleViolation> {
    let refuse = |message: String| Err(RuleViolation::new("R-ENR-4", message).on_field("receipts"));
    if receipts.is_empty() {
        return refuse("no receipt presented".to_owned());
    }
    let mut seen = HashSet::new();
    let mut total = Decimal::ZERO;
    for receipt in receipts {
        let no = receipt.receipt_no.trim();
        if !seen.insert(no) {
            return refuse(format!("receipt {no} is presented twice"));
        }
        if receipt.sale_day != today {
            return refuse(format!("receipt {no} is not from today"));
        }
        if receipt.already_used {
            return refuse(format!("receipt {no} has already qualified a card"));
        }
        if receipt.cash_paid < Decimal::ZERO {
            return refuse(format!("receipt {no} has a negative cash amount"));
        }
        total = match total.checked_add(receipt.cash_paid) {
            Some(t) => t,
            None => return refuse("receipt amounts are too large".to_owned()),
        };
    }
    Ok(total)
}

/// R-ENR-4: the highest tier the spend reaches; refuses (field `receipts`) below the VIP
/// threshold.
pub fn tier_for_spend(policy: &Policy, cash_spend: Decimal) -> Result<Tier, RuleViolation> {
    Tier::ALL
        .into_iter()
        .rev()
        .find(|tier| cash_spend >= policy.enrol_min_spend.get(*tier))
        .ok_or_else(|| {
            RuleViolation::new(
                "R-ENR-4",
                format!(
                    "same-day cash spend ¥{} is below the ¥{} needed for a VIP card",
                    cash_spend.round_dp(2),
                    policy.enrol_min_spend.vip
                ),
            )
            .on_field("receipts")
        })
}

/// R-ENR-7: a card issued on `issued` is valid through the day before its anniversary
/// `card_validity_years` later (issue + years − 1 day). The anniversary of 29 Feb in a
/// common year is taken as 28 Feb, so a card issued on 29 Feb 2028 expires on 27 Feb 2029.
/// Never before `issued` (a policy of 0 years gives a one-day card); if the date falls
/// outside the calendar chrono can represent, the card runs to the last representable day.
pub fn card_expiry(policy: &Policy, issued: NaiveDate) -> NaiveDate {
    policy
        .card_validity_years
        .checked_mul(12)
        .and_then(|months| issued.checked_add_months(Months::new(months)))
        .map_or(NaiveDate::MAX, |anniversary| {
            anniversary.pred_opt().unwrap_or(anniversary)
        })
        .max(issued)
}

/// R-ENR-6: whether enrolment at `tier` grants a welcome gift voucher.
pub fn welcome_gift(policy: &Policy, tier: Tier) -> bool {
    policy.welcome_gift.get(tier)
}
