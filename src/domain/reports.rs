//! The back office's reports as pure shapes: the range of store-local days a report covers
//! (defaulted and bounded), and the per-day series built from the store's sparse counts, with
//! every day of the range present so a chart and a CSV show the quiet days too.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::money::round_fen;
use super::policy::Policy;
use super::tier::Tier;

/// Days a report covers when the request names no `from`.
pub const DEFAULT_REPORT_DAYS: i64 = 31;

/// The most days one report covers: a quarter, which keeps a report one quick read.
pub const LONGEST_REPORT_DAYS: i64 = 92;

/// A refused report range: the query parameter at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RangeRefusal {
    pub field: &'static str,
    pub message: String,
}

/// The store-local days a report covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl ReportRange {
    /// The range asked for: `to` defaults to today, `from` to [`DEFAULT_REPORT_DAYS`] days
    /// ending at `to`. Refused: a day after today (nothing to report yet), `from` after `to`,
    /// more than [`LONGEST_REPORT_DAYS`] days.
    pub fn pick(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<ReportRange, RangeRefusal> {
        let to = to.unwrap_or(today);
        if to > today {
            return Err(RangeRefusal {
                field: "to",
                message: "a report cannot end after today".into(),
            });
        }
        let from = from.unwrap_or(to - Duration::days(DEFAULT_REPORT_DAYS - 1));
        if from > to {
            return Err(RangeRefusal {
                field: "from",
                message: "`from` must not be after `to`".into(),
            });
        }
        if (to - from).num_days() + 1 > LONGEST_REPORT_DAYS {
            return Err(RangeRefusal {
                field: "from",
                message: format!("a report covers at most {LONGEST_REPORT_DAYS} days"),
            });
        }
        Ok(ReportRange { from, to })
    }

    /// Every day of the range, oldest first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }
}

/// Members by tier: their cards that still belong to someone, by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierCount {
    pub tier: Tier,
    /// Cards in use.
    pub active: u32,
    /// Lapsed VIP cards (R-EXP-1), still reactivatable or not.
    pub inactive: u32,
    /// Cards reported lost, waiting for their replacement (R-REP-2).
    pub blocked: u32,
    pub total: u32,
}

/// One row per tier, lowest first, from `(tier, state, cards)` counts; other states (reserved,
/// replaced, void) are no member's card and are left out.
pub fn members_by_tier(counts: &[(Tier, String, u32)]) -> Vec<TierCount> {
    Tier::ALL
        .into_iter()
        .map(|tier| {
            let of = |state: &str| -> u32 {
                counts
                    .iter()
                    .filter(|(t, s, _)| *t == tier && s == state)
                    .map(|(_, _, n)| *n)
                    .sum()
            };
            let (active, inactive, blocked) = (of("active"), of("inactive"), of("blocked"));
            TierCount {
                tier,
                active,
                inactive,
                blocked,
                total: active + inactive + blocked,
            }
        })
        .collect()
}

/// Card events of one day, by what happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CardActivityDay {
    pub day: NaiveDate,
    /// First cards of new members (R-ENR).
    pub enrolled: u32,
    pub upgraded: u32,
    /// Downgraded by the annual review (R-EXP-3).
    pub downgraded: u32,
    pub renewed: u32,
    pub inactivated: u32,
    pub reactivated: u32,
    pub loss_reported: u32,
    pub replaced: u32,
    /// Every card event of the day, the ones above and the rest (reservations, rewrites, …).
    pub card_events: u32,
}

/// The card-event kind a report counts an `issued` event as: a first card (`enrolled`) when it
/// carries the enrolment's qualifying spend, else the new card of an exchange (counted by the
/// old card's `upgraded` / `replaced`).
pub const ENROLLED: &str = "enrolled";

/// Every day of `range`, from `(day, kind, events)` counts.
pub fn card_activity_by_day(
    range: &ReportRange,
    counts: &[(NaiveDate, String, u32)],
) -> Vec<CardActivityDay> {
    let mut by_day: HashMap<NaiveDate, CardActivityDay> = HashMap::new();
    for (day, kind, n) in counts {
        let row = by_day.entry(*day).or_default();
        row.card_events += n;
        let slot = match kind.as_str() {
            ENROLLED => &mut row.enrolled,
            "upgraded" => &mut row.upgraded,
            "downgraded" => &mut row.downgraded,
            "renewed" => &mut row.renewed,
            "inactivated" => &mut row.inactivated,
            "reactivated" => &mut row.reactivated,
            "loss_reported" => &mut row.loss_reported,
            "replaced" => &mut row.replaced,
            _ => continue,
        };
        *slot += n;
    }
    range
        .days()
        .map(|day| CardActivityDay {
            day,
            ..by_day.remove(&day).unwrap_or_default()
        })
        .collect()
}

/// One day's points moves as the store's ledger holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsMoves {
    pub day: NaiveDate,
    /// Earned, bonus and added by hand.
    pub issued: i64,
    /// Paid toward sales and exchanged for gifts (a positive count).
    pub redeemed: i64,
    /// Every entry of the day summed (refund reversals and restores, transfers, … included).
    pub net: i64,
}

/// Points of one day, and what the store owes its members in points at the day's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PointsDay {
    pub day: NaiveDate,
    pub issued: i64,
    pub redeemed: i64,
    /// The balance of every card at the day's end (R-PTS-7: the ledger's sum).
    pub outstanding: i64,
    /// `outstanding` valued at the redemption rate in force that day (R-PTS-4), in ¥.
    #[schema(value_type = String, example = "1234.50")]
    pub liability: Decimal,
}

/// What `points` can pay for at the policy's redemption rate, to the fen.
pub fn points_value(points: i64, policy: &Policy) -> Decimal {
    if policy.redeem_unit_points <= 0 {
        return Decimal::ZERO;
    }
    round_fen(
        Decimal::from(points) * policy.redeem_unit_value / Decimal::from(policy.redeem_unit_points),
    )
}

/// Every day of `range`: the day's moves, and the running balance from `opening` (the ledger's
/// sum before the range), valued with the policy in force that day.
pub fn points_by_day<P: AsRef<Policy>>(
    range: &ReportRange,
    opening: i64,
    moves: &[PointsMoves],
    policy_on: impl Fn(NaiveDate) -> P,
) -> Vec<PointsDay> {
    let mut outstanding = opening;
    range
        .days()
        .map(|day| {
            let m = moves.iter().find(|m| m.day == day);
            outstanding += m.map_or(0, |m| m.net);
            PointsDay {
                day,
                issued: m.map_or(0, |m| m.issued),
                redeemed: m.map_or(0, |m| m.redeemed),
                outstanding,
                liability: points_value(outstanding, policy_on(day).as_ref()),
            }
        })
        .collect()
}

/// Receipts and slips of one day at the printers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrintDay {
    pub day: NaiveDate,
    /// Print jobs queued that day.
    pub jobs: u32,
    /// Jobs that printed only after a retry (a fault came first).
    pub printed_after_retry: u32,
    /// Jobs still failed: the paper, cover or printer needs seeing to, then a retry.
    pub failed: u32,
}

/// Every day of `range`, from `(day, jobs, printed after retry, failed)` counts.
pub fn print_by_day(range: &ReportRange, counts: &[(NaiveDate, u32, u32, u32)]) -> Vec<PrintDay> {
    range
        .days()
        .map(|day| {
            counts.iter().find(|c| c.0 == day).map_or_else(
                || PrintDay {
                    day,
                    ..PrintDay::default()
                },
                |&(day, jobs, printed_after_retry, failed)| PrintDay {
                    day,
                    jobs,
                    printed_after_retry,
                    failed,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    #[test]
    fn a_range_defaults_to_the_month_ending_today() {
        let r = ReportRange::pick(None, None, d(3, 10)).expect("range");
        assert_eq!((r.from, r.to), (d(2, 8), d(3, 10)));
        assert_eq!(r.days().count(), 31);
    }

    #[test]
    fn a_range_is_refused_in_the_future_backwards_or_longer_than_a_quarter() {
        let today = d(3, 10);
        assert_eq!(
            ReportRange::pick(None, Some(d(3, 11)), today).map_err(|e| e.field),
            Err("to")
        );
        assert_eq!(
            ReportRange::pick(Some(d(3, 5)), Some(d(3, 4)), today).map_err(|e| e.field),
            Err("from")
        );
        let longest = ReportRange::pick(Some(d(3, 10) - Duration::days(91)), None, today);
        assert_eq!(longest.map(|r| r.days().count()), Ok(92));
        let over = ReportRange::pick(Some(d(3, 10) - Duration::days(92)), None, today);
        assert_eq!(over.map_err(|e| e.field), Err("from"));
        let one = ReportRange::pick(Some(today), Some(today), today).expect("one day");
        assert_eq!(one.days().collect::<Vec<_>>(), vec![today]);
    }

    #[test]
    fn members_by_tier_counts_only_a_members_cards() {
        let counts = vec![
            (Tier::Vip, "active".to_owned(), 5),
            (Tier::Vip, "inactive".to_owned(), 2),
            (Tier::Vip, "replaced".to_owned(), 7),
            (Tier::Gold, "blocked".to_owned(), 1),
        ];
        let rows = members_by_tier(&counts);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].active, rows[0].inactive, rows[0].total), (5, 2, 7));
        assert_eq!(
            (rows[1].tier, rows[1].blocked, rows[1].total),
            (Tier::Gold, 1, 1)
        );
        assert_eq!(rows[2].total, 0);
    }

    #[test]
    fn card_activity_has_every_day_and_counts_all_events() {
        let range = ReportRange::pick(Some(d(3, 8)), Some(d(3, 10)), d(3, 10)).expect("range");
        let counts = vec![
            (d(3, 8), ENROLLED.to_owned(), 2),
            (d(3, 8), "reserved".to_owned(), 3),
            (d(3, 10), "downgraded".to_owned(), 1),
            (d(3, 10), "upgraded".to_owned(), 4),
        ];
        let days = card_activity_by_day(&range, &counts);
        assert_eq!(
            days.iter().map(|r| r.day).collect::<Vec<_>>(),
            vec![d(3, 8), d(3, 9), d(3, 10)]
        );
        assert_eq!((days[0].enrolled, days[0].card_events), (2, 5));
        assert_eq!(
            days[1],
            CardActivityDay {
                day: d(3, 9),
                ..Default::default()
            }
        );
        assert_eq!(
            (days[2].upgraded, days[2].downgraded, days[2].card_events),
            (4, 1, 5)
        );
    }

    #[test]
    fn outstanding_points_run_on_from_the_opening_balance_and_are_valued_per_policy() {
        let range = ReportRange::pick(Some(d(3, 8)), Some(d(3, 10)), d(3, 10)).expect("range");
        let moves = [
            PointsMoves {
                day: d(3, 8),
                issued: 120,
                redeemed: 0,
                net: 120,
            },
            PointsMoves {
                day: d(3, 10),
                issued: 5,
                redeemed: 100,
                net: -97,
            },
        ];
        let policy = std::sync::Arc::new(Policy::charter_default());
        let days = points_by_day(&range, 1000, &moves, |_| policy.clone());
        let outstanding: Vec<i64> = days.iter().map(|p| p.outstanding).collect();
        assert_eq!(outstanding, vec![1120, 1120, 1023]);
        assert_eq!(days[0].liability, dec!(112.00));
        assert_eq!(days[2].liability, dec!(102.30));
        assert_eq!((days[2].issued, days[2].redeemed), (5, 100));
        assert_eq!((days[1].issued, days[1].redeemed), (0, 0));
    }

    #[test]
    fn print_days_fill_the_quiet_days() {
        let range = ReportRange::pick(Some(d(3, 9)), Some(d(3, 10)), d(3, 10)).expect("range");
        let days = print_by_day(&range, &[(d(3, 10), 4, 1, 2)]);
        assert_eq!(
            days[0],
            PrintDay {
                day: d(3, 9),
                ..Default::default()
            }
        );
        assert_eq!(
            (days[1].jobs, days[1].printed_after_retry, days[1].failed),
            (4, 1, 2)
        );
    }
}
