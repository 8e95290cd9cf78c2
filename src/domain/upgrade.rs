//! Upgrades at the lounge (R-UPG-1..4): eligibility by transaction-earned points and the
//! window around expiry.

use chrono::NaiveDate;

use super::card_status::CardFacts;
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// R-UPG-1/3: the tier the card can be upgraded to on `today`. `upgrade_points` comes from
/// `ledger::upgrade_points`. Refuses: Platinum already (R-UPG-1), not enough points
/// (R-UPG-1, message says how many are missing), card blocked/replaced/not issued (R-UPG-2),
/// more than `upgrade_grace_days` after expiry (R-UPG-3). An inactive card inside the window
/// may upgrade. One step at a time (VIP → Gold → Platinum).
pub fn check_upgrade(
    policy: &Policy,
    card: &CardFacts,
    upgrade_points: i64,
    today: NaiveDate,
) -> Result<Tier, RuleViolation> {
    let _ = (policy, card, upgrade_points, today);
    unimplemented!("check_upgrade")
}
