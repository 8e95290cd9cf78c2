//! Tier services recorded at the lounge (R-SRV-1..3): parking tickets, the birthday gift and
//! the birthday greeting list.

use chrono::NaiveDate;

use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// R-SRV-1: tickets to hand out; refuses a tier with none, or a second time the same day.
pub fn parking_tickets(
    policy: &Policy,
    tier: Tier,
    already_today: bool,
) -> Result<u32, RuleViolation> {
    let _ = (policy, tier, already_today);
    unimplemented!("parking_tickets")
}

/// R-SRV-2: the birthday gift on `today` — tier entitled, on or after the birthday
/// (29 Feb → 28 Feb in common years) and within the birth month, not yet given this year.
pub fn check_birthday_gift(
    policy: &Policy,
    tier: Tier,
    birth_date: NaiveDate,
    given_this_year: bool,
    today: NaiveDate,
) -> Result<(), RuleViolation> {
    let _ = (policy, tier, birth_date, given_this_year, today);
    unimplemented!("check_birthday_gift")
}

/// R-SRV-3: whether the member belongs on `today`'s greeting list (all tiers).
pub fn on_greeting_list(birth_date: NaiveDate, today: NaiveDate) -> bool {
    super::birthday::is_birthday(birth_date, today)
}
