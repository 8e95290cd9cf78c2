//! Property tests for the rules engine's invariants: a receipt adds up to the cent (R-DSC-6),
//! no discount raises a price, quoting is deterministic, the points ledger never goes below
//! zero (R-PTS-7/9), and refunding everything in any chunks returns exactly what was paid.

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

use member_kiosk::domain::adjustment::{plan_adjustment, AdjustmentReason};
use member_kiosk::domain::basket::{Basket, BasketLine, GoodsClass, Tender};
use member_kiosk::domain::ledger::{
    balance, plan_earning, plan_reversal, redeemable_on, Entry, EntryKind,
};
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::quote::{quote, MemberContext, Quote};
use member_kiosk::domain::refund::{plan_refund, RefundLineRequest, SoldLine};
use member_kiosk::domain::Tier;

fn fen(f: i64) -> Decimal {
    Decimal::new(f, 2)
}

fn tier() -> impl Strategy<Value = Tier> {
    prop::sample::select(Tier::ALL.to_vec())
}

fn class() -> impl Strategy<Value = GoodsClass> {
    prop::sample::select(vec![
        GoodsClass::Regular,
        GoodsClass::SpecialA,
        GoodsClass::SpecialB,
        GoodsClass::SpecialC,
        GoodsClass::Sale,
        GoodsClass::Leased,
        GoodsClass::CampaignSpecial,
    ])
}

/// Mostly everyday lines; now and then a dear or bulk one, so some baskets are group purchases.
fn basket_line() -> impl Strategy<Value = BasketLine> {
    (
        class(),
        prop_oneof![9 => 0i64..=30_000, 1 => 0i64..=300_000],
        prop_oneof![9 => 1u32..=3, 1 => 1u32..=12],
        0i64..=300_000,
        any::<bool>(),
    )
        .prop_map(
            |(class, price, quantity, markdown, other_promotion)| BasketLine {
                sku: format!("SKU-{price}"),
                class,
                unit_price: fen(price),
                quantity,
                original_unit_price: (class == GoodsClass::Sale).then(|| fen(price + markdown)),
                other_promotion,
            },
        )
}

fn tenders() -> impl Strategy<Value = Vec<Tender>> {
    let kind = prop_oneof![
        3 => prop::sample::select(vec!["cash", "bank_card", "mobile_wallet"]),
        1 => prop::sample::select(vec!["gift_voucher", "coupon", "store_credit"]),
    ];
    prop::collection::vec(
        (kind, 1i64..=500_000).prop_map(|(k, a)| Tender {
            kind: k.to_string(),
            amount: fen(a),
        }),
        0..=3,
    )
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (0i64..(3 * 366))
        .prop_map(|n| NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days(n))
}

/// A member (or a guest), with a birth date that is today's month-day when `on_birthday`.
fn member_on(today: NaiveDate) -> impl Strategy<Value = Option<MemberContext>> {
    prop::option::of((tier(), any::<bool>(), day(), 0i64..=5_000).prop_map(
        move |(tier, on_birthday, other, redeemable_points)| {
            let birth_date = if on_birthday {
                NaiveDate::from_ymd_opt(1980, today.month(), today.day())
                    .unwrap_or_else(|| NaiveDate::from_ymd_opt(1980, 2, 29).unwrap())
            } else {
                other.with_year(1975).unwrap_or(other)
            };
            MemberContext {
                tier,
                birth_date: Some(birth_date),
                redeemable_points,
                earned_today: 0,
            }
        },
    ))
}

#[derive(Debug, Clone)]
struct Case {
    basket: Basket,
    member: Option<MemberContext>,
    today: NaiveDate,
}

/// A basket with a redemption the member can make on it (picked from 0..=max redeemable).
fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(basket_line(), 1..=8),
        tenders(),
        day(),
        any::<u16>(),
    )
        .prop_flat_map(|(lines, tenders, today, pick)| {
            member_on(today).prop_map(move |member| {
                let mut basket = Basket {
                    lines: lines.clone(),
                    tenders: tenders.clone(),
                    redeem_points: 0,
                };
                let policy = Policy::charter_default();
                if let Ok(q) = quote(&policy, &basket, member.as_ref(), today) {
                    let units = q.max_redeemable_points / policy.redeem_unit_points;
                    basket.redeem_points =
                        (i64::from(pick) % (units + 1)) * policy.redeem_unit_points;
                }
                Case {
                    basket,
                    member,
                    today,
                }
            })
        })
}

fn priced(c: &Case) -> Quote {
    quote(
        &Policy::charter_default(),
        &c.basket,
        c.member.as_ref(),
        c.today,
    )
    .unwrap()
}

proptest! {
    #[test]
    fn r_dsc_6_receipt_adds_up_to_the_cent(c in case()) {
        let q = priced(&c);
        let sum = |f: fn(&member_kiosk::domain::quote::QuotedLine) -> Decimal| -> Decimal {
            q.lines.iter().map(f).sum()
        };
        prop_assert_eq!(sum(|l| l.gross), q.gross_total);
        prop_assert_eq!(sum(|l| l.discount), q.discount_total);
        prop_assert_eq!(sum(|l| l.net), q.net_total);
        prop_assert_eq!(sum(|l| l.redemption_share), q.redeem_value);
        prop_assert_eq!(sum(|l| l.paid), q.payable);
        prop_assert_eq!(q.payable, q.net_total - q.redeem_value);
        prop_assert_eq!(q.gross_total - q.discount_total, q.net_total);
        prop_assert_eq!(
            q.lines.iter().map(|l| l.points_earned).sum::<i64>(),
            q.points_earned
        );
        prop_assert_eq!(
            q.lines.iter().map(|l| l.redemption_points).sum::<i64>(),
            q.redeem_points
        );
        prop_assert_eq!(q.redeem_points, c.basket.redeem_points);
        for l in &q.lines {
            prop_assert_eq!(l.net, l.net.round_dp(2));
            prop_assert_eq!(l.redemption_share, l.redemption_share.round_dp(2));
            prop_assert_eq!(l.discount, l.gross - l.net);
            prop_assert_eq!(l.paid, l.net - l.redemption_share);
            prop_assert!(l.redemption_share >= Decimal::ZERO);
            prop_assert!(l.redemption_points >= 0);
            prop_assert!(l.points_earned >= 0);
        }
        if q.group_purchase {
            prop_assert_eq!(q.points_earned, 0);
            prop_assert_eq!(q.discount_total, Decimal::ZERO);
        }
    }

    #[test]
    fn no_discount_raises_a_price(c in case()) {
        let q = priced(&c);
        for l in &q.lines {
            prop_assert!(l.net <= l.gross, "line {} net {} > gross {}", l.index, l.net, l.gross);
            prop_assert!(l.net >= Decimal::ZERO);
            prop_assert!(l.paid >= Decimal::ZERO, "line {} paid {}", l.index, l.paid);
        }
        prop_assert!(q.payable >= Decimal::ZERO);
        prop_assert!(q.cash_share > Decimal::ZERO || q.non_cash_tender);
        prop_assert!(q.cash_share <= Decimal::ONE);
    }

    #[test]
    fn quoting_is_deterministic(c in case()) {
        let policy = Policy::charter_default();
        let first = quote(&policy, &c.basket, c.member.as_ref(), c.today);
        let second = quote(&policy, &c.basket, c.member.as_ref(), c.today);
        prop_assert_eq!(first, second);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Earn(i64),
    Redeem(i64),
    Refund {
        reverse: i64,
        restore: i64,
    },
    /// A supervisor's manual adjustment, either way.
    Adjust(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..=500).prop_map(Op::Earn),
        (0i64..=800).prop_map(Op::Redeem),
        (0i64..=600, 0i64..=300).prop_map(|(reverse, restore)| Op::Refund { reverse, restore }),
        (-1000i64..=1000).prop_map(Op::Adjust),
    ]
}

fn sign_ok(kind: EntryKind, points: i64) -> bool {
    match kind {
        EntryKind::Earn
        | EntryKind::Bonus
        | EntryKind::RedemptionRestore
        | EntryKind::TransferIn
        | EntryKind::TransferInFresh => points > 0,
        EntryKind::Redeem
        | EntryKind::GiftExchange
        | EntryKind::Reversal
        | EntryKind::TransferOut
        | EntryKind::DebtRepayment => points < 0,
        EntryKind::Adjustment => points != 0,
    }
}

proptest! {
    #[test]
    fn r_pts_7_ledger_never_goes_below_zero_and_debt_is_kept(ops in prop::collection::vec(op(), 0..40)) {
        let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let mut entries: Vec<Entry> = Vec::new();
        let mut running = 0i64;
        let mut debt = 0i64;
        for (n, op) in ops.into_iter().enumerate() {
            let today = start + chrono::Duration::days(i64::try_from(n / 3).unwrap());
            let before = balance(&entries);
            let planned = match op {
                Op::Earn(points) => {
                    let (planned, left) = plan_earning(points, debt);
                    prop_assert!(left <= debt);
                    debt = left;
                    planned
                }
                Op::Redeem(points) => {
                    let points = points.min(redeemable_on(&entries, today));
                    let mut planned = Vec::new();
                    if points > 0 {
                        planned.push(member_kiosk::domain::ledger::PlannedEntry {
                            kind: EntryKind::Redeem,
                            points: -points,
                        });
                    }
                    planned
                }
                Op::Refund { reverse, restore } => {
                    let (planned, new_debt) = plan_reversal(before, reverse, restore);
                    let taken: i64 = planned
                        .iter()
                        .filter(|p| p.kind == EntryKind::Reversal)
                        .map(|p| -p.points)
                        .sum();
                    prop_assert_eq!(taken + new_debt, reverse);
                    debt += new_debt;
                    planned
                }
                Op::Adjust(points) => {
                    match plan_adjustment(before, points, AdjustmentReason::Goodwill, None) {
                        Ok(entry) => vec![entry],
                        Err(refused) => {
                            prop_assert!(points == 0 || before + points < 0, "{refused:?}");
                            Vec::new()
                        }
                    }
                }
            };
            for p in planned {
                prop_assert!(sign_ok(p.kind, p.points), "{:?}", p);
                running += p.points;
                entries.push(Entry { kind: p.kind, points: p.points, day: today });
            }
            prop_assert_eq!(balance(&entries), running);
            prop_assert!(running >= 0, "balance {}", running);
            prop_assert!(debt >= 0, "debt {}", debt);
            let redeemable = redeemable_on(&entries, today);
            prop_assert!((0..=running).contains(&redeemable));
        }
    }
}

fn sold_lines() -> impl Strategy<Value = Vec<SoldLine>> {
    prop::collection::vec(
        (1u32..=25, 0i64..=10_000_000, 0i64..=5_000, 0i64..=5_000),
        1..=6,
    )
    .prop_map(|lines| {
        lines
            .into_iter()
            .enumerate()
            .map(
                |(index, (quantity, paid, redemption_points, points_earned))| SoldLine {
                    index: index * 10,
                    quantity,
                    paid: fen(paid),
                    redemption_points,
                    points_earned,
                    refunded_quantity: 0,
                },
            )
            .collect()
    })
}

proptest! {
    #[test]
    fn r_pts_9_refunding_everything_in_chunks_returns_exactly_what_was_paid(
        mut sold in sold_lines(),
        picks in prop::collection::vec((any::<bool>(), any::<u32>()), 0..60),
    ) {
        let mut amount = Decimal::ZERO;
        let mut reversed = 0i64;
        let mut restored = 0i64;
        let mut picks = picks.into_iter();
        while sold.iter().any(|l| l.refunded_quantity < l.quantity) {
            let mut request = Vec::new();
            for l in &sold {
                let left = l.quantity - l.refunded_quantity;
                if left == 0 {
                    continue;
                }
                // Once the picks run out, everything left goes back in one refund.
                let (take, n) = picks.next().unwrap_or((true, u32::MAX));
                if take {
                    let quantity = if n == u32::MAX { left } else { 1 + n % left };
                    request.push(RefundLineRequest { index: l.index, quantity });
                }
            }
            if request.is_empty() {
                continue;
            }
            let plan = plan_refund(&sold, &request).unwrap();
            for r in &plan.lines {
                let line = sold.iter_mut().find(|l| l.index == r.index).unwrap();
                prop_assert!(r.amount >= Decimal::ZERO && r.amount <= line.paid);
                prop_assert!(r.points_reversed >= 0 && r.points_restored >= 0);
                line.refunded_quantity += r.quantity;
            }
            prop_assert_eq!(plan.amount, plan.lines.iter().map(|l| l.amount).sum::<Decimal>());
            amount += plan.amount;
            reversed += plan.points_reversed;
            restored += plan.points_restored;
        }
        prop_assert_eq!(amount, sold.iter().map(|l| l.paid).sum::<Decimal>());
        prop_assert_eq!(reversed, sold.iter().map(|l| l.points_earned).sum::<i64>());
        prop_assert_eq!(restored, sold.iter().map(|l| l.redemption_points).sum::<i64>());
    }

    #[test]
    fn r_pts_9_refunding_a_quoted_sale_returns_its_payable_and_points(c in case()) {
        let q = priced(&c);
        let sold: Vec<SoldLine> = q
            .lines
            .iter()
            .map(|l| SoldLine {
                index: l.index,
                quantity: l.quantity,
                paid: l.paid,
                redemption_points: l.redemption_points,
                points_earned: l.points_earned,
                refunded_quantity: 0,
            })
            .collect();
        let request: Vec<RefundLineRequest> = sold
            .iter()
            .map(|l| RefundLineRequest { index: l.index, quantity: l.quantity })
            .collect();
        let plan = plan_refund(&sold, &request).unwrap();
        prop_assert_eq!(plan.amount, q.payable);
        prop_assert_eq!(plan.points_reversed, q.points_earned);
        prop_assert_eq!(plan.points_restored, q.redeem_points);
    }
}
