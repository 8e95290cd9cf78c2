//! Upgrades at the lounge (R-UPG-1..4): eligibility by transaction-earned points and the
//! window around expiry.

use chrono::{Days, NaiveDate};

use super::card_status::{CardFacts, CardState};
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// R-UPG-1/3: the tier the card can be upgraded to on `today`. `upgrade_points` comes from
/// `ledger::upgrade_points`. Refuses, in this order: card blocked/replaced/not issued or a
/// replacement not yet valid (R-UPG-2), Platinum already (R-UPG-1), more than
/// `upgrade_grace_days` after expiry (R-UPG-3), not enough points (R-UPG-1, message says how
/// many are missing). An active or inactive card inside the window may upgrade. One step at
/// a time (VIP → Gold → Platinum). R-UPG-4 (the balance moves) is booked by the caller as a
/// `TransferOut`/`TransferIn` pair.
pub fn check_upgrade(
    policy: &Policy,
    card: &CardFacts,
    upgrade_points: i64,
    today: NaiveDate,
) -> Result<Tier, RuleViolation> {
    match card.state {
        CardState::Active if today < card.valid_from => {
            return Err(RuleViolation::new(
                "R-UPG-2",
                "this card is only valid from a later day; upgrade once it is in use",
            ))
        }
        CardState::Active | CardState::Inactive => {}
        CardState::Blocked => {
            return Err(RuleViolation::new(
                "R-UPG-2",
                "card is reported lost; replace it before upgrading",
            ))
        }
        CardState::Replaced => {
            return Err(RuleViolation::new(
                "R-UPG-2",
                "card was replaced by a newer card; upgrade the newer card",
            ))
        }
        CardState::Reserved | CardState::Void => {
            return Err(RuleViolation::new("R-UPG-2", "card was never issued"))
        }
    }
    let next = card.tier.next().ok_or_else(|| {
        RuleViolation::new("R-UPG-1", "card is already Platinum, the highest tier")
    })?;
    let last_day = card
        .expiry
        .checked_add_days(Days::new(u64::from(policy.upgrade_grace_days)))
        .unwrap_or(NaiveDate::MAX);
    if today > last_day {
        return Err(RuleViolation::new(
            "R-UPG-3",
            format!(
                "upgrade entitlement lapsed {} days after the card expired (last day {last_day})",
                policy.upgrade_grace_days
            ),
        ));
    }
    let needed = policy.upgrade_points.get(card.tier);
    if upgrade_points < needed {
        return Err(RuleViolation::new(
            "R-UPG-1",
            format!(
                "{} more transaction points needed for {} ({upgrade_points} of {needed})",
                needed.saturating_sub(upgrade_points),
                next.as_str()
            ),
        ));
    }
    Ok(next)
}
