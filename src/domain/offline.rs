//! The offline redemption bounds (docs/sync.md §6): whether a store may let a card redeem
//! points while head office can't confirm them. Earning is never bounded; only redemption is,
//! so an overdraft across stores stays within the allowance and is flagged as debt later.

use chrono::{DateTime, Duration, Utc};

use super::policy::OfflineLimits;
use super::rule::RuleViolation;

/// The rule id of every offline-bound refusal: the bounds are how R-PTS-7 (a balance never
/// below zero) holds chain-wide while head office can't confirm the balance.
pub const RULE: &str = "R-PTS-7";

/// What the store knows about its own offline standing when a redemption is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineStanding {
    pub now: DateTime<Utc>,
    /// Last successful pull of the change feed (the hotlist's age); None: never.
    pub hotlist_at: Option<DateTime<Utc>>,
    /// Since when head office has been unreachable; None: never reached it at all.
    pub offline_since: Option<DateTime<Utc>>,
    /// Points this card redeemed offline in this store, not yet acknowledged by head office.
    pub card_offline_points: i64,
    /// Points the whole store redeemed offline, not yet acknowledged.
    pub store_offline_points: i64,
}

/// Whether `points` may be redeemed offline on one card. Each bound refuses on its own, with
/// a message naming it (the till shows it; paying otherwise is always possible).
pub fn redemption_allowed(
    limits: &OfflineLimits,
    standing: &OfflineStanding,
    points: i64,
) -> Result<(), RuleViolation> {
    if points <= 0 {
        return Ok(());
    }
    let refuse = |message: String| Err(RuleViolation::new(RULE, message));
    let hotlist_limit = Duration::minutes(i64::from(limits.hotlist_max_age_minutes));
    match standing.hotlist_at {
        Some(at) if standing.now - at <= hotlist_limit => {}
        _ => {
            return refuse(format!(
                "head office unreachable and the hotlist is older than {} minutes: no redemption offline",
                limits.hotlist_max_age_minutes
            ))
        }
    }
    let age_limit = Duration::hours(i64::from(limits.max_age_hours));
    if let Some(since) = standing.offline_since {
        if standing.now - since > age_limit {
            return refuse(format!(
                "the store has been offline over {} hours: no redemption offline",
                limits.max_age_hours
            ));
        }
    }
    within_allowance(
        limits,
        standing.card_offline_points,
        standing.store_offline_points,
        points,
    )
}

/// The amount bounds alone: the card's allowance and the store's budget, given what the card
/// and the store already redeemed offline and head office has not acknowledged. Checked
/// again where the sale is written (one writer), so concurrent tills can't pass one check
/// together.
pub fn within_allowance(
    limits: &OfflineLimits,
    card_offline_points: i64,
    store_offline_points: i64,
    points: i64,
) -> Result<(), RuleViolation> {
    if points <= 0 {
        return Ok(());
    }
    if card_offline_points + points > limits.card_allowance_points {
        return Err(RuleViolation::new(
            RULE,
            format!(
                "offline, a card may redeem at most {} points until head office confirms (already {})",
                limits.card_allowance_points, card_offline_points
            ),
        ));
    }
    if store_offline_points + points > limits.store_budget_points {
        return Err(RuleViolation::new(
            RULE,
            format!(
                "offline, the store may redeem at most {} points until head office confirms",
                limits.store_budget_points
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    fn fresh() -> OfflineStanding {
        OfflineStanding {
            now: at(0),
            hotlist_at: Some(at(-5)),
            offline_since: Some(at(-5)),
            card_offline_points: 0,
            store_offline_points: 0,
        }
    }

    #[test]
    fn within_every_bound_is_allowed_and_earning_is_never_bounded() {
        let limits = OfflineLimits::default();
        assert!(redemption_allowed(&limits, &fresh(), 500).is_ok());
        let never = OfflineStanding {
            hotlist_at: None,
            ..fresh()
        };
        assert!(
            redemption_allowed(&limits, &never, 0).is_ok(),
            "no redemption"
        );
    }

    #[test]
    fn the_amount_bounds_alone_as_the_writer_checks_them() {
        let limits = OfflineLimits::default();
        assert!(within_allowance(&limits, 400, 400, 100).is_ok());
        let card = within_allowance(&limits, 500, 500, 100).unwrap_err();
        assert_eq!(card.rule, RULE);
        assert!(card.message.contains("a card"), "{}", card.message);
        let store = within_allowance(&limits, 0, limits.store_budget_points, 100).unwrap_err();
        assert!(store.message.contains("the store"), "{}", store.message);
        assert!(
            within_allowance(&limits, 10_000, 10_000_000, 0).is_ok(),
            "no redemption"
        );
    }

    #[test]
    fn a_stale_hotlist_refuses() {
        let limits = OfflineLimits::default();
        let stale = OfflineStanding {
            hotlist_at: Some(at(-16)),
            ..fresh()
        };
        let e = redemption_allowed(&limits, &stale, 100).unwrap_err();
        assert_eq!(e.rule, RULE);
        assert!(e.message.contains("hotlist"));
        let never = OfflineStanding {
            hotlist_at: None,
            ..fresh()
        };
        assert!(redemption_allowed(&limits, &never, 100).is_err());
        let edge = OfflineStanding {
            hotlist_at: Some(at(-15)),
            ..fresh()
        };
        assert!(redemption_allowed(&limits, &edge, 100).is_ok());
    }

    #[test]
    fn offline_too_long_refuses() {
        // The hotlist bound is looser here so only the age bound can refuse.
        let limits = OfflineLimits {
            hotlist_max_age_minutes: 60 * 48,
            ..OfflineLimits::default()
        };
        let long = OfflineStanding {
            hotlist_at: Some(at(-60)),
            offline_since: Some(at(-24 * 60 - 1)),
            ..fresh()
        };
        let e = redemption_allowed(&limits, &long, 100).unwrap_err();
        assert!(e.message.contains("24 hours"), "{e}");
    }

    #[test]
    fn the_card_allowance_counts_earlier_offline_redemptions() {
        let limits = OfflineLimits::default();
        let used = OfflineStanding {
            card_offline_points: 400,
            ..fresh()
        };
        assert!(redemption_allowed(&limits, &used, 100).is_ok());
        let e = redemption_allowed(&limits, &used, 200).unwrap_err();
        assert!(e.message.contains("500"), "{e}");
    }

    #[test]
    fn the_store_budget_bounds_all_cards_together() {
        let limits = OfflineLimits::default();
        let spent = OfflineStanding {
            store_offline_points: 19_900,
            ..fresh()
        };
        assert!(redemption_allowed(&limits, &spent, 100).is_ok());
        let e = redemption_allowed(&limits, &spent, 200).unwrap_err();
        assert!(e.message.contains("20000"), "{e}");
    }
}
