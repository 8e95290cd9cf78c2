//! Tier services recorded at the lounge (R-SRV-1..3): parking tickets, the birthday gift and
//! the birthday greeting list.

use chrono::{Datelike, NaiveDate};

use super::birthday::birthday_in_year;
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// R-SRV-1: tickets to hand out; refuses a tier with none, or a second time the same day.
pub fn parking_tickets(
    policy: &Policy,
    tier: Tier,
    already_today: bool,
) -> Result<u32, RuleViolation> {
    let tickets = policy.parking_tickets.get(tier);
    if tickets == 0 {
        return Err(RuleViolation::new(
            "R-SRV-1",
            format!("{} cards get no parking tickets", tier.as_str()),
        ));
    }
    if already_today {
        return Err(RuleViolation::new(
            "R-SRV-1",
            "parking tickets were already given on this card today",
        ));
    }
    Ok(tickets)
}

/// R-SRV-2: the birthday gift on `today` — tier entitled, on or after the birthday
/// (29 Feb → 28 Feb in common years) and within the birth month, not yet given this year.
/// The refusal's message says which condition failed.
pub fn check_birthday_gift(
    policy: &Policy,
    tier: Tier,
    birth_date: NaiveDate,
    given_this_year: bool,
    today: NaiveDate,
) -> Result<(), RuleViolation> {
    let refuse = |message: &str| Err(RuleViolation::new("R-SRV-2", message));
    if !policy.birthday_gift.get(tier) {
        return refuse(&format!("{} cards get no birthday gift", tier.as_str()));
    }
    if given_this_year {
        return refuse("the birthday gift was already given this year");
    }
    let birthday = birthday_in_year(birth_date, today.year());
    if today < birthday {
        return refuse("the birthday gift is given from the birthday on, not before");
    }
    if today.month() != birthday.month() {
        return refuse("the birthday gift is only given within the birthday month");
    }
    Ok(())
}

/// R-SRV-3: whether the member belongs on `today`'s greeting list (all tiers).
pub fn on_greeting_list(birth_date: NaiveDate, today: NaiveDate) -> bool {
    super::birthday::is_birthday(birth_date, today)
}
