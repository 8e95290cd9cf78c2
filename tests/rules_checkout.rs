//! Rule tests for checkout: member discounts (R-DSC-1..6), the tender rule (R-PAY-1), points
//! earning and redemption (R-PTS-1..5), the ledger (R-PTS-7/8) and returns (R-PTS-9), with
//! the charter's own numbers (`Policy::charter_default()`).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use member_kiosk::domain::basket::{Basket, BasketLine, GoodsClass, Tender};
use member_kiosk::domain::ledger::{
    balance, plan_earning, plan_reversal, redeemable_on, upgrade_points, Entry, EntryKind,
    PlannedEntry,
};
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::quote::{check_tenders_settle, quote, LineBenefit, MemberContext, Quote};
use member_kiosk::domain::refund::{plan_refund, RefundLineRequest, SoldLine};
use member_kiosk::domain::{RuleViolation, Tier};

// ---- helpers ----------------------------------------------------------------------------

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An ordinary trading day, nobody's birthday below unless asked.
fn today() -> NaiveDate {
    day(2025, 6, 15)
}

fn ordinary_birth() -> NaiveDate {
    day(1980, 1, 10)
}

fn birthday_birth() -> NaiveDate {
    day(1985, 6, 15)
}

fn line(class: GoodsClass, unit_price: Decimal, quantity: u32) -> BasketLine {
    BasketLine {
        sku: format!("{}-{unit_price}", class.as_str()),
        class,
        unit_price,
        quantity,
        original_unit_price: None,
        other_promotion: false,
    }
}

fn regular(unit_price: Decimal, quantity: u32) -> BasketLine {
    line(GoodsClass::Regular, unit_price, quantity)
}

fn sale(unit_price: Decimal, original: Decimal) -> BasketLine {
    BasketLine {
        original_unit_price: Some(original),
        ..line(GoodsClass::Sale, unit_price, 1)
    }
}

fn tender(kind: &str, amount: Decimal) -> Tender {
    Tender {
        kind: kind.into(),
        amount,
    }
}

fn basket(lines: Vec<BasketLine>) -> Basket {
    Basket {
        lines,
        tenders: vec![],
        redeem_points: 0,
    }
}

fn member(tier: Tier) -> MemberContext {
    MemberContext {
        tier,
        birth_date: Some(ordinary_birth()),
        redeemable_points: 0,
        earned_today: 0,
    }
}

fn birthday_member(tier: Tier) -> MemberContext {
    MemberContext {
        birth_date: Some(birthday_birth()),
        ..member(tier)
    }
}

fn with_points(tier: Tier, redeemable_points: i64) -> MemberContext {
    MemberContext {
        redeemable_points,
        ..member(tier)
    }
}

fn price(basket: &Basket, member: Option<&MemberContext>) -> Quote {
    quote(&Policy::charter_default(), basket, member, today()).unwrap()
}

fn price_on(basket: &Basket, member: &MemberContext, on: NaiveDate) -> Quote {
    quote(&Policy::charter_default(), basket, Some(member), on).unwrap()
}

fn refusal(basket: &Basket, member: Option<&MemberContext>) -> RuleViolation {
    quote(&Policy::charter_default(), basket, member, today()).unwrap_err()
}

fn assert_refused(err: &RuleViolation, rule: &str, field: &str) {
    assert_eq!(err.rule, rule, "{err:?}");
    assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
}

fn entry(kind: EntryKind, points: i64, on: NaiveDate) -> Entry {
    Entry {
        kind,
        points,
        day: on,
    }
}

fn planned(kind: EntryKind, points: i64) -> PlannedEntry {
    PlannedEntry { kind, points }
}

// ---- R-DSC-1 tier discount on regular goods -----------------------------------------------

#[test]
fn r_dsc_1_gold_pays_90_percent_on_regular_goods() {
    let q = price(
        &basket(vec![regular(dec!(1000), 1)]),
        Some(&member(Tier::Gold)),
    );
    let l = &q.lines[0];
    assert_eq!(l.rate, dec!(0.90));
    assert_eq!(l.benefit, LineBenefit::Tier);
    assert_eq!(l.net, dec!(900.00));
    assert_eq!(l.discount, dec!(100.00));
    assert_eq!(q.net_total, dec!(900.00));
    assert_eq!(q.payable, dec!(900.00));
    assert_eq!(q.points_earned, 180);
    assert_eq!(q.tier, Some(Tier::Gold));
}

#[test]
fn r_dsc_1_vip_pays_95_percent_on_99_yuan() {
    let q = price(
        &basket(vec![regular(dec!(99), 1)]),
        Some(&member(Tier::Vip)),
    );
    assert_eq!(q.net_total, dec!(94.05));
    assert_eq!(q.discount_total, dec!(4.95));
    assert_eq!(q.points_earned, 9);
}

#[test]
fn r_dsc_1_platinum_pays_88_percent() {
    let q = price(
        &basket(vec![regular(dec!(125), 2)]),
        Some(&member(Tier::Platinum)),
    );
    assert_eq!(q.gross_total, dec!(250));
    assert_eq!(q.net_total, dec!(220.00));
    assert_eq!(q.points_earned, 66);
}

#[test]
fn r_dsc_1_guest_pays_full_price_and_earns_nothing() {
    let q = price(&basket(vec![regular(dec!(1000), 1)]), None);
    assert_eq!(q.tier, None);
    assert_eq!(q.lines[0].benefit, LineBenefit::None);
    assert_eq!(q.net_total, dec!(1000));
    assert_eq!(q.points_earned, 0);
    assert_eq!(q.max_redeemable_points, 0);
}

// ---- R-DSC-2 no discount on other classes on an ordinary day --------------------------------

#[test]
fn r_dsc_2_no_member_discount_on_special_sale_leased_and_campaign_goods() {
    let q = price(
        &basket(vec![
            line(GoodsClass::SpecialA, dec!(100), 1),
            line(GoodsClass::SpecialB, dec!(100), 1),
            line(GoodsClass::SpecialC, dec!(100), 1),
            sale(dec!(100), dec!(150)),
            line(GoodsClass::Leased, dec!(100), 1),
            line(GoodsClass::CampaignSpecial, dec!(100), 1),
        ]),
        Some(&member(Tier::Platinum)),
    );
    for l in &q.lines {
        assert_eq!(l.rate, Decimal::ONE, "{:?}", l.class);
        assert_eq!(l.net, dec!(100), "{:?}", l.class);
        assert_eq!(l.benefit, LineBenefit::None, "{:?}", l.class);
    }
    assert_eq!(q.discount_total, Decimal::ZERO);
    assert!(!q.birthday);
}

// ---- R-DSC-3 birthday ----------------------------------------------------------------------

#[test]
fn r_dsc_3_birthday_rates_replace_tier_rates() {
    for (tier, net) in [
        (Tier::Vip, dec!(900.00)),
        (Tier::Gold, dec!(880.00)),
        (Tier::Platinum, dec!(850.00)),
    ] {
        let q = price(
            &basket(vec![regular(dec!(1000), 1)]),
            Some(&birthday_member(tier)),
        );
        assert!(q.birthday);
        // Replaced, not stacked: Gold would be 792.00 if ×0.90 then ×0.88.
        assert_eq!(q.lines[0].net, net, "{tier:?}");
        assert_eq!(q.lines[0].benefit, LineBenefit::Birthday);
    }
}

#[test]
fn r_dsc_3_birthday_discount_on_special_c_but_not_a_or_b() {
    for (tier, net) in [
        (Tier::Vip, dec!(95.00)),
        (Tier::Gold, dec!(90.00)),
        (Tier::Platinum, dec!(88.00)),
    ] {
        let q = price(
            &basket(vec![
                line(GoodsClass::SpecialC, dec!(100), 1),
                line(GoodsClass::SpecialA, dec!(100), 1),
                line(GoodsClass::SpecialB, dec!(100), 1),
            ]),
            Some(&birthday_member(tier)),
        );
        assert_eq!(q.lines[0].net, net, "{tier:?}");
        assert_eq!(q.lines[0].benefit, LineBenefit::Birthday);
        assert_eq!(q.lines[1].net, dec!(100));
        assert_eq!(q.lines[1].benefit, LineBenefit::None);
        assert_eq!(q.lines[2].net, dec!(100));
    }
}

#[test]
fn r_dsc_3_birthday_sale_item_at_half_price_or_more_gets_extra_5_percent() {
    let q = price(
        &basket(vec![
            sale(dec!(50.00), dec!(100.00)),
            sale(dec!(49.99), dec!(100.00)),
        ]),
        Some(&birthday_member(Tier::Vip)),
    );
    assert_eq!(q.lines[0].benefit, LineBenefit::BirthdaySale);
    assert_eq!(q.lines[0].net, dec!(47.50));
    assert_eq!(q.lines[1].benefit, LineBenefit::None);
    assert_eq!(q.lines[1].net, dec!(49.99));
}

#[test]
fn r_dsc_3_29_feb_birthday_on_28_feb() {
    let leapling = MemberContext {
        birth_date: Some(day(2000, 2, 29)),
        ..member(Tier::Gold)
    };
    let b = basket(vec![regular(dec!(100), 1)]);
    let common_year = price_on(&b, &leapling, day(2025, 2, 28));
    assert!(common_year.birthday);
    assert_eq!(common_year.net_total, dec!(88.00));
    let leap_year_28th = price_on(&b, &leapling, day(2024, 2, 28));
    assert!(!leap_year_28th.birthday);
    assert_eq!(leap_year_28th.net_total, dec!(90.00));
    let leap_day = price_on(&b, &leapling, day(2024, 2, 29));
    assert!(leap_day.birthday);
    assert_eq!(leap_day.net_total, dec!(88.00));
}

#[test]
fn r_dsc_3_birthday_is_the_month_and_day_only() {
    let b = basket(vec![regular(dec!(100), 1)]);
    let m = birthday_member(Tier::Gold);
    assert!(price_on(&b, &m, day(2030, 6, 15)).birthday);
    assert!(!price_on(&b, &m, day(2030, 6, 16)).birthday);
}

// ---- R-DSC-4 group purchase ----------------------------------------------------------------

#[test]
fn r_dsc_4_group_purchase_gets_no_discount_and_no_points() {
    let q = price(
        &basket(vec![regular(dec!(1000), 5)]),
        Some(&member(Tier::Gold)),
    );
    assert!(q.group_purchase);
    assert_eq!(q.gross_total, dec!(5000));
    assert_eq!(q.net_total, dec!(5000));
    assert_eq!(q.discount_total, Decimal::ZERO);
    assert_eq!(q.points_earned, 0);
    assert_eq!(q.lines[0].benefit, LineBenefit::GroupPurchase);
    assert_eq!(q.lines[0].points_earned, 0);
}

#[test]
fn r_dsc_4_needs_both_the_amount_and_five_items() {
    let gold = member(Tier::Gold);
    // ¥4,999.99 with 5 items: not a group purchase.
    let q = price(
        &basket(vec![regular(dec!(1000), 4), regular(dec!(999.99), 1)]),
        Some(&gold),
    );
    assert!(!q.group_purchase);
    assert_eq!(q.net_total, dec!(4499.99));
    // ¥10,000 with 4 items: not a group purchase either.
    let q = price(&basket(vec![regular(dec!(2500), 4)]), Some(&gold));
    assert!(!q.group_purchase);
    assert_eq!(q.net_total, dec!(9000.00));
    assert_eq!(q.points_earned, 1800);
}

#[test]
fn r_dsc_4_birthday_never_applies_to_a_group_purchase() {
    let q = price(
        &basket(vec![
            regular(dec!(1000), 3),
            line(GoodsClass::SpecialC, dec!(1000), 2),
        ]),
        Some(&birthday_member(Tier::Platinum)),
    );
    assert!(q.group_purchase);
    assert!(!q.birthday);
    assert_eq!(q.net_total, dec!(5000));
    assert_eq!(q.points_earned, 0);
}

// ---- R-DSC-5 other promotion ---------------------------------------------------------------

#[test]
fn r_dsc_5_line_under_another_promotion_gets_no_member_discount() {
    let mut promoted = regular(dec!(100), 1);
    promoted.other_promotion = true;
    let q = price(
        &basket(vec![promoted, regular(dec!(100), 1)]),
        Some(&birthday_member(Tier::Gold)),
    );
    assert_eq!(q.lines[0].benefit, LineBenefit::OtherPromotion);
    assert_eq!(q.lines[0].net, dec!(100));
    assert_eq!(q.lines[1].net, dec!(88.00));
    // The promoted line still earns points with its class: (100 + 88) / 10 = 18 steps × 2.
    assert_eq!(q.points_earned, 36);
}

// ---- R-DSC-6 rounding and receipt shape ----------------------------------------------------

#[test]
fn r_dsc_6_each_line_rounds_half_up_and_totals_sum_rounded_lines() {
    let q = price(
        &basket(vec![regular(dec!(0.10), 1), regular(dec!(0.30), 1)]),
        Some(&member(Tier::Vip)),
    );
    assert_eq!(q.lines[0].net, dec!(0.10)); // 0.095 → 0.10
    assert_eq!(q.lines[1].net, dec!(0.29)); // 0.285 → 0.29
                                            // Sum of rounded lines, not the rounded sum (0.40 × 0.95 = 0.38).
    assert_eq!(q.net_total, dec!(0.39));
    assert_eq!(q.discount_total, dec!(0.01));
}

#[test]
fn r_dsc_6_refuses_a_price_with_more_than_two_places() {
    let err = refusal(&basket(vec![regular(dec!(1.005), 1)]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].unit_price");
}

#[test]
fn r_dsc_6_refuses_a_negative_price() {
    let err = refusal(
        &basket(vec![regular(dec!(1), 1), regular(dec!(-1), 1)]),
        None,
    );
    assert_refused(&err, "R-DSC-6", "lines[1].unit_price");
}

#[test]
fn r_dsc_6_refuses_zero_or_absurd_quantities() {
    let err = refusal(&basket(vec![regular(dec!(1), 0)]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].quantity");
    let err = refusal(&basket(vec![regular(dec!(1), 10_000)]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].quantity");
}

#[test]
fn r_dsc_6_refuses_an_empty_basket() {
    let err = refusal(&basket(vec![]), None);
    assert_refused(&err, "R-DSC-6", "lines");
}

#[test]
fn r_dsc_6_sale_line_needs_a_valid_original_price() {
    let missing = line(GoodsClass::Sale, dec!(10), 1);
    let err = refusal(&basket(vec![missing]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].original_unit_price");
    let below_current = sale(dec!(10), dec!(9.99));
    let err = refusal(&basket(vec![below_current]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].original_unit_price");
}

#[test]
fn r_dsc_6_refuses_a_zero_tender() {
    let mut b = basket(vec![regular(dec!(10), 1)]);
    b.tenders = vec![tender("cash", dec!(10)), tender("cash", dec!(0))];
    let err = refusal(&b, None);
    assert_refused(&err, "R-DSC-6", "tenders[1].amount");
}

#[test]
fn r_dsc_6_an_amount_of_100_million_or_more_is_refused_as_too_large() {
    // ¥100,000,000.00 is a well-formed amount: the refusal must say it is too large, not
    // that it needs "at most 2 decimal places".
    let mut b = basket(vec![regular(dec!(10), 1)]);
    b.tenders = vec![tender("cash", dec!(100000000.00))];
    let err = refusal(&b, None);
    assert_refused(&err, "R-DSC-6", "tenders[0].amount");
    assert!(err.message.contains("100,000,000"), "{err:?}");
    assert!(!err.message.contains("decimal places"), "{err:?}");

    let err = refusal(&basket(vec![regular(dec!(100000000), 1)]), None);
    assert_refused(&err, "R-DSC-6", "lines[0].unit_price");
    assert!(err.message.contains("100,000,000"), "{err:?}");
    assert!(!err.message.contains("decimal places"), "{err:?}");

    // Just below the limit is fine.
    let mut b = basket(vec![regular(dec!(99999999.99), 1)]);
    b.tenders = vec![tender("cash", dec!(99999999.99))];
    assert_eq!(price(&b, None).payable, dec!(99999999.99));
}

// ---- R-PAY-1 tenders -----------------------------------------------------------------------

#[test]
fn r_pay_1_gift_voucher_removes_discount_and_scales_points() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.tenders = vec![tender("cash", dec!(600)), tender("gift_voucher", dec!(400))];
    let q = price(&b, Some(&member(Tier::Gold)));
    assert!(q.non_cash_tender);
    assert_eq!(q.lines[0].benefit, LineBenefit::NonCashTender);
    assert_eq!(q.net_total, dec!(1000));
    assert_eq!(q.payable, dec!(1000));
    assert_eq!(q.cash_share, dec!(0.6));
    // 1000 × 0.6 = 600 → 60 steps × 2.
    assert_eq!(q.points_earned, 120);
    assert_eq!(q.lines[0].points_earned, 120);
    check_tenders_settle(&q, &b).unwrap();
}

#[test]
fn r_pay_1_cash_share_scales_the_pool_before_flooring() {
    let mut b = basket(vec![regular(dec!(19), 1)]);
    b.tenders = vec![tender("cash", dec!(11.40)), tender("coupon", dec!(7.60))];
    let q = price(&b, Some(&member(Tier::Vip)));
    // 19 × 0.6 = 11.40 → 1 full ¥10 (flooring the steps first would give 0).
    assert_eq!(q.points_earned, 1);
}

#[test]
fn r_pay_1_cash_like_tenders_keep_the_discount() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.tenders = vec![
        tender("bank_card", dec!(500)),
        tender("mobile_wallet", dec!(400)),
    ];
    let q = price(&b, Some(&member(Tier::Gold)));
    assert!(!q.non_cash_tender);
    assert_eq!(q.net_total, dec!(900.00));
    assert_eq!(q.cash_share, Decimal::ONE);
    assert_eq!(q.points_earned, 180);
}

#[test]
fn r_pay_1_refuses_an_unknown_tender_kind() {
    let mut b = basket(vec![regular(dec!(10), 1)]);
    b.tenders = vec![tender("cash", dec!(5)), tender("bitcoin", dec!(5))];
    let err = refusal(&b, Some(&member(Tier::Vip)));
    assert_refused(&err, "R-PAY-1", "tenders[1].kind");
}

#[test]
fn r_pay_1_tenders_must_add_up_to_the_payable_amount() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    let q = price(&b, Some(&member(Tier::Gold)));
    let err = check_tenders_settle(&q, &b).unwrap_err();
    assert_refused(&err, "R-PAY-1", "tenders");

    b.tenders = vec![tender("cash", dec!(899.99))];
    let err = check_tenders_settle(&q, &b).unwrap_err();
    assert_refused(&err, "R-PAY-1", "tenders");

    b.tenders = vec![tender("cash", dec!(900.01))];
    assert!(check_tenders_settle(&q, &b).is_err());

    b.tenders = vec![tender("cash", dec!(500)), tender("bank_card", dec!(400.00))];
    check_tenders_settle(&q, &b).unwrap();
}

#[test]
fn r_pay_1_nothing_payable_needs_no_tender() {
    // Gold ¥11.11 → 9.999 → ¥10.00, paid entirely with 100 points.
    let mut b = basket(vec![regular(dec!(11.11), 1)]);
    b.redeem_points = 100;
    let q = price(&b, Some(&with_points(Tier::Gold, 100)));
    assert_eq!(q.payable, Decimal::ZERO);
    assert_eq!(q.points_earned, 0);
    check_tenders_settle(&q, &b).unwrap();
}

// ---- R-PTS-1 / R-PTS-2 earning pools --------------------------------------------------------

#[test]
fn r_pts_1_every_full_10_yuan_earns_tier_points_and_remainders_are_lost() {
    for (tier, points) in [(Tier::Vip, 1), (Tier::Gold, 2), (Tier::Platinum, 3)] {
        // A sale item gets no discount on an ordinary day: ¥19.99 paid is one full ¥10.
        let q = price(
            &basket(vec![sale(dec!(19.99), dec!(25))]),
            Some(&member(tier)),
        );
        assert_eq!(q.points_earned, points, "{tier:?}");
    }
    // Platinum ¥11.36 × 0.88 = 9.9968 → ¥10.00: exactly one full step.
    let q = price(
        &basket(vec![regular(dec!(11.36), 1)]),
        Some(&member(Tier::Platinum)),
    );
    assert_eq!(q.net_total, dec!(10.00));
    assert_eq!(q.points_earned, 3);
}

#[test]
fn r_pts_1_sale_goods_join_the_regular_pool() {
    // 4.50 + 6.00 = 10.50 → one step; apart, neither line would reach ¥10.
    let q = price(
        &basket(vec![regular(dec!(5), 1), sale(dec!(6), dec!(10))]),
        Some(&member(Tier::Gold)),
    );
    assert_eq!(q.points_earned, 2);
    let per_line: i64 = q.lines.iter().map(|l| l.points_earned).sum();
    assert_eq!(per_line, 2);
}

#[test]
fn r_pts_2_special_a_and_c_pool_every_full_50_yuan() {
    let q = price(
        &basket(vec![line(GoodsClass::SpecialA, dec!(120), 1)]),
        Some(&member(Tier::Platinum)),
    );
    assert_eq!(q.points_earned, 6);
    let q = price(
        &basket(vec![
            line(GoodsClass::SpecialA, dec!(30), 1),
            line(GoodsClass::SpecialC, dec!(30), 1),
        ]),
        Some(&member(Tier::Platinum)),
    );
    assert_eq!(q.points_earned, 3);
}

#[test]
fn r_pts_2_pools_are_counted_separately() {
    // Regular 9 → 8.10 (no ¥10) and special A 45 (no ¥50): nothing, though 53.10 together.
    let q = price(
        &basket(vec![
            regular(dec!(9), 1),
            line(GoodsClass::SpecialA, dec!(45), 1),
        ]),
        Some(&member(Tier::Gold)),
    );
    assert_eq!(q.points_earned, 0);
}

#[test]
fn r_pts_2_special_b_leased_and_campaign_goods_earn_nothing() {
    let q = price(
        &basket(vec![
            line(GoodsClass::SpecialB, dec!(1000), 1),
            line(GoodsClass::Leased, dec!(1000), 1),
            line(GoodsClass::CampaignSpecial, dec!(1000), 1),
        ]),
        Some(&member(Tier::Platinum)),
    );
    assert_eq!(q.net_total, dec!(3000));
    assert_eq!(q.points_earned, 0);
}

// ---- R-PTS-3 paid after discount and redemption ---------------------------------------------

#[test]
fn r_pts_3_redemption_reduces_pools_proportionally() {
    // Regular 100 → 90.00 and special A 60.00: net 150; 500 points pay ¥50, split 30 / 20.
    let mut b = basket(vec![
        regular(dec!(100), 1),
        line(GoodsClass::SpecialA, dec!(60), 1),
    ]);
    b.redeem_points = 500;
    let q = price(&b, Some(&with_points(Tier::Gold, 1000)));
    assert_eq!(q.redeem_value, dec!(50));
    assert_eq!(q.payable, dec!(100.00));
    assert_eq!(q.lines[0].redemption_share, dec!(30.00));
    assert_eq!(q.lines[1].redemption_share, dec!(20.00));
    assert_eq!(q.lines[0].redemption_points, 300);
    assert_eq!(q.lines[1].redemption_points, 200);
    assert_eq!(q.lines[0].paid, dec!(60.00));
    assert_eq!(q.lines[1].paid, dec!(40.00));
    // Regular pool 60 → 6 steps × 2; special pool 40 → no full ¥50. Without the redemption
    // it would be 9 × 2 + 1 × 2 = 20.
    assert_eq!(q.points_earned, 12);
}

#[test]
fn r_pts_3_redemption_and_cash_share_both_scale_the_pools() {
    // Gift voucher: no discount, net 200; 100 points pay ¥10; payable 190, half in cash.
    let mut b = basket(vec![regular(dec!(200), 1)]);
    b.redeem_points = 100;
    b.tenders = vec![tender("cash", dec!(95)), tender("gift_voucher", dec!(95))];
    let q = price(&b, Some(&with_points(Tier::Gold, 100)));
    assert_eq!(q.payable, dec!(190));
    assert_eq!(q.cash_share, dec!(0.5));
    // 190 × 0.5 = 95 → 9 steps × 2.
    assert_eq!(q.points_earned, 18);
}

#[test]
fn r_pts_3_redemption_remainder_goes_to_the_largest_line() {
    // Three lines of ¥10 (Gold 9.00 each, net 27.00): ¥10 splits 3.33 / 3.33 / 3.33 + 0.01.
    let mut b = basket(vec![
        regular(dec!(10), 1),
        regular(dec!(10), 1),
        regular(dec!(10), 1),
    ]);
    b.redeem_points = 100;
    let q = price(&b, Some(&with_points(Tier::Gold, 100)));
    let shares: Vec<Decimal> = q.lines.iter().map(|l| l.redemption_share).collect();
    assert_eq!(shares, vec![dec!(3.34), dec!(3.33), dec!(3.33)]);
    let points: Vec<i64> = q.lines.iter().map(|l| l.redemption_points).collect();
    assert_eq!(points, vec![34, 33, 33]);
    assert_eq!(q.payable, dec!(17.00));
}

#[test]
fn r_pts_3_pools_are_floored_on_the_lines_paid_after_the_split_is_rounded_to_the_cent() {
    // The README's worked example (ambiguity table, "Points at a cent boundary"). Gold, 100
    // points (¥10) over regular ¥61 (net 54.90) and special A ¥55 (net 55.00): exactly
    // 4.9954… / 5.0045…, rounded 5.00 / 5.00. The special A pool paid 50.00 on the receipt
    // (49.9954… unrounded), so it earns its one ¥50 step.
    let mut b = basket(vec![
        regular(dec!(61), 1),
        line(GoodsClass::SpecialA, dec!(55), 1),
    ]);
    b.redeem_points = 100;
    let q = price(&b, Some(&with_points(Tier::Gold, 100)));
    let split: Vec<(Decimal, Decimal, Decimal)> = q
        .lines
        .iter()
        .map(|l| (l.net, l.redemption_share, l.paid))
        .collect();
    assert_eq!(
        split,
        vec![
            (dec!(54.90), dec!(5.00), dec!(49.90)),
            (dec!(55.00), dec!(5.00), dec!(50.00)),
        ]
    );
    assert_eq!(q.payable, dec!(99.90));
    // Regular ⌊49.90 / 10⌋ × 2 = 8; special A ⌊50.00 / 50⌋ × 2 = 2.
    let points: Vec<i64> = q.lines.iter().map(|l| l.points_earned).collect();
    assert_eq!(points, vec![8, 2]);
    assert_eq!(q.points_earned, 10);
}

// ---- R-PTS-4 redemption --------------------------------------------------------------------

#[test]
fn r_pts_4_100_points_pay_10_yuan() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.redeem_points = 100;
    let q = price(&b, Some(&with_points(Tier::Gold, 300)));
    assert_eq!(q.redeem_points, 100);
    assert_eq!(q.redeem_value, dec!(10));
    assert_eq!(q.payable, dec!(890.00));
    assert_eq!(q.points_earned, 178);
}

#[test]
fn r_pts_4_refuses_150_points() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.redeem_points = 150;
    let err = refusal(&b, Some(&with_points(Tier::Gold, 300)));
    assert_refused(&err, "R-PTS-4", "redeem_points");
}

#[test]
fn r_pts_4_refuses_more_than_the_redeemable_balance() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.redeem_points = 300;
    let err = refusal(&b, Some(&with_points(Tier::Gold, 250)));
    assert_refused(&err, "R-PTS-4", "redeem_points");
}

#[test]
fn r_pts_4_below_100_points_cannot_pay_for_goods() {
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    let m = with_points(Tier::Gold, 99);
    assert_eq!(price(&b, Some(&m)).max_redeemable_points, 0);
    b.redeem_points = 100;
    let err = refusal(&b, Some(&m));
    assert_refused(&err, "R-PTS-4", "redeem_points");
}

#[test]
fn r_pts_4_never_more_than_the_net_total() {
    // Regular 15 for a VIP: ¥14.25; 200 points would pay ¥20.
    let mut b = basket(vec![regular(dec!(15), 1)]);
    let m = with_points(Tier::Vip, 1000);
    assert_eq!(price(&b, Some(&m)).max_redeemable_points, 100);
    b.redeem_points = 200;
    let err = refusal(&b, Some(&m));
    assert_refused(&err, "R-PTS-4", "redeem_points");
    b.redeem_points = 100;
    assert_eq!(price(&b, Some(&m)).payable, dec!(4.25));
}

#[test]
fn r_pts_4_guest_cannot_redeem_and_negative_points_are_refused() {
    let mut b = basket(vec![regular(dec!(100), 1)]);
    b.redeem_points = 100;
    assert_refused(&refusal(&b, None), "R-PTS-4", "redeem_points");
    b.redeem_points = -100;
    assert_refused(
        &refusal(&b, Some(&with_points(Tier::Vip, 500))),
        "R-PTS-4",
        "redeem_points",
    );
}

#[test]
fn r_pts_4_max_redeemable_is_whole_units_within_balance_and_total() {
    let m = with_points(Tier::Gold, 1234);
    let big = price(&basket(vec![regular(dec!(1000), 1)]), Some(&m));
    assert_eq!(big.max_redeemable_points, 1200);
    // Gold 61 → 54.90: five whole ¥10 units.
    let small = price(&basket(vec![regular(dec!(61), 1)]), Some(&m));
    assert_eq!(small.max_redeemable_points, 500);
}

// ---- R-PTS-5 redeemable from the next day ---------------------------------------------------

#[test]
fn r_pts_5_points_earned_today_not_redeemable_until_tomorrow() {
    let yesterday = day(2025, 6, 14);
    let tomorrow = day(2025, 6, 16);
    let entries = vec![
        entry(EntryKind::Earn, 200, yesterday),
        entry(EntryKind::Redeem, -100, yesterday),
        entry(EntryKind::Earn, 150, today()),
        entry(EntryKind::Bonus, 50, today()),
    ];
    assert_eq!(balance(&entries), 300);
    assert_eq!(redeemable_on(&entries, today()), 100);
    assert_eq!(redeemable_on(&entries, tomorrow), 300);
}

#[test]
fn r_pts_5_transfers_and_restores_are_redeemable_at_once() {
    let entries = vec![
        entry(EntryKind::TransferIn, 400, today()),
        entry(EntryKind::RedemptionRestore, 100, today()),
        entry(EntryKind::Earn, 30, today()),
    ];
    assert_eq!(redeemable_on(&entries, today()), 500);
}

#[test]
fn r_pts_5_redeemable_never_below_zero() {
    let entries = vec![
        entry(EntryKind::Earn, 100, day(2025, 6, 1)),
        entry(EntryKind::Earn, 80, today()),
        entry(EntryKind::Reversal, -150, today()),
    ];
    assert_eq!(balance(&entries), 30);
    assert_eq!(redeemable_on(&entries, today()), 0);
}

#[test]
fn r_pts_5_redeeming_points_earned_today_names_r_pts_5_not_r_pts_4() {
    // 180 points earned today, none from before: the refusal is R-PTS-5's (not yet
    // redeemable), and says nothing about gifts (today's points can't buy those either).
    let fresh = MemberContext {
        earned_today: 180,
        ..with_points(Tier::Gold, 0)
    };
    let mut b = basket(vec![regular(dec!(1000), 1)]);
    b.redeem_points = 100;
    let err = refusal(&b, Some(&fresh));
    assert_refused(&err, "R-PTS-5", "redeem_points");
    assert!(err.message.contains("tomorrow"), "{err:?}");
    assert!(!err.message.contains("gift"), "{err:?}");

    // 100 redeemable from before and 180 earned today: 200 asked is over what today allows
    // only because of today's points.
    let mixed = MemberContext {
        earned_today: 180,
        ..with_points(Tier::Gold, 100)
    };
    b.redeem_points = 200;
    assert_refused(&refusal(&b, Some(&mixed)), "R-PTS-5", "redeem_points");
    b.redeem_points = 100;
    assert_eq!(price(&b, Some(&mixed)).redeem_points, 100);
    // Beyond the whole balance it is R-PTS-4 again, as with nothing earned today.
    b.redeem_points = 300;
    assert_refused(&refusal(&b, Some(&mixed)), "R-PTS-4", "redeem_points");
    let old_only = with_points(Tier::Gold, 99);
    b.redeem_points = 100;
    let err = refusal(&b, Some(&old_only));
    assert_refused(&err, "R-PTS-4", "redeem_points");
}

// ---- R-PTS-7 ledger ------------------------------------------------------------------------

#[test]
fn r_pts_7_balance_is_the_sum_of_signed_entries() {
    let entries = vec![
        entry(EntryKind::Earn, 180, day(2025, 6, 1)),
        entry(EntryKind::Redeem, -100, day(2025, 6, 2)),
        entry(EntryKind::GiftExchange, -50, day(2025, 6, 3)),
        entry(EntryKind::Bonus, 20, day(2025, 6, 4)),
    ];
    assert_eq!(balance(&entries), 50);
    assert_eq!(balance(&[]), 0);
}

#[test]
fn r_pts_7_earning_books_one_positive_entry() {
    assert_eq!(
        plan_earning(180, 0),
        (vec![planned(EntryKind::Earn, 180)], 0)
    );
    assert_eq!(plan_earning(0, 40), (vec![], 40));
}

// ---- R-PTS-8 bonus points ------------------------------------------------------------------

#[test]
fn r_pts_8_bonus_points_do_not_count_toward_upgrade() {
    let d = day(2025, 1, 2);
    let entries = vec![
        entry(EntryKind::Earn, 500, d),
        entry(EntryKind::Bonus, 600, d),
        entry(EntryKind::Redeem, -300, d),
        entry(EntryKind::Reversal, -50, d),
        entry(EntryKind::GiftExchange, -20, d),
        entry(EntryKind::TransferIn, 100, d),
        entry(EntryKind::RedemptionRestore, 40, d),
    ];
    // Carried 200 + earned 500 − reversed 50.
    assert_eq!(upgrade_points(200, 0, &entries), 650);
    // The bonus is still spendable.
    assert_eq!(balance(&entries), 870);
    assert_eq!(redeemable_on(&entries, day(2025, 1, 3)), 870);
}

#[test]
fn r_upg_1_points_reversed_into_debt_do_not_count_toward_upgrade() {
    let d = day(2025, 1, 2);
    // Earn 100, redeem them, then refund the earning sale: the balance is 0, so the reversal
    // becomes 100 points of debt; a later sale earns 50, all of which repays debt.
    let (reversal, debt) = plan_reversal(0, 100, 0);
    assert_eq!(debt, 100);
    let (earning, debt) = plan_earning(50, debt);
    let mut entries = vec![
        entry(EntryKind::Earn, 100, d),
        entry(EntryKind::Redeem, -100, d),
    ];
    entries.extend(
        reversal
            .iter()
            .chain(&earning)
            .map(|p| entry(p.kind, p.points, d)),
    );
    // Truly earned: 100 − 100 refunded + 50 = 50.
    assert_eq!(upgrade_points(0, debt, &entries), 50);
    // A replacement card carries 100 and takes the 50 of debt with it: still 50 there.
    assert_eq!(
        upgrade_points(upgrade_points(0, 0, &entries), debt, &[]),
        50
    );
}

#[test]
fn r_pts_5_points_earned_today_stay_unredeemable_after_a_same_day_card_exchange() {
    let (yesterday, today) = (day(2025, 1, 1), day(2025, 1, 2));
    let old = vec![
        entry(EntryKind::Earn, 300, yesterday),
        entry(EntryKind::Earn, 1001, today),
    ];
    let (out, into) = member_kiosk::domain::ledger::plan_transfer(&old, today);
    assert_eq!(out, planned(EntryKind::TransferOut, -1301));
    assert_eq!(
        into,
        vec![
            planned(EntryKind::TransferIn, 300),
            planned(EntryKind::TransferInFresh, 1001)
        ]
    );
    let new: Vec<Entry> = into
        .iter()
        .map(|p| entry(p.kind, p.points, today))
        .collect();
    assert_eq!(balance(&new), 1301);
    assert_eq!(redeemable_on(&new, today), 300);
    assert_eq!(redeemable_on(&new, day(2025, 1, 3)), 1301);
}

// ---- R-PTS-9 returns -----------------------------------------------------------------------

#[test]
fn r_pts_9_refund_beyond_balance_records_debt() {
    let (entries, debt) = plan_reversal(40, 100, 0);
    assert_eq!(entries, vec![planned(EntryKind::Reversal, -40)]);
    assert_eq!(debt, 60);
    // Future earnings pay the debt first.
    let (entries, debt) = plan_earning(50, debt);
    assert_eq!(
        entries,
        vec![
            planned(EntryKind::Earn, 50),
            planned(EntryKind::DebtRepayment, -50)
        ]
    );
    assert_eq!(debt, 10);
    let (entries, debt) = plan_earning(30, debt);
    assert_eq!(
        entries,
        vec![
            planned(EntryKind::Earn, 30),
            planned(EntryKind::DebtRepayment, -10)
        ]
    );
    assert_eq!(debt, 0);
}

#[test]
fn r_pts_9_restore_is_booked_before_the_reversal() {
    let (entries, debt) = plan_reversal(0, 100, 200);
    assert_eq!(
        entries,
        vec![
            planned(EntryKind::RedemptionRestore, 200),
            planned(EntryKind::Reversal, -100)
        ]
    );
    assert_eq!(debt, 0);
    let (entries, debt) = plan_reversal(0, 0, 0);
    assert!(entries.is_empty());
    assert_eq!(debt, 0);
}

fn sold_line() -> SoldLine {
    SoldLine {
        index: 0,
        quantity: 3,
        paid: dec!(100.00),
        redemption_points: 100,
        points_earned: 20,
        refunded_quantity: 0,
    }
}

#[test]
fn r_pts_9_partial_refunds_split_by_quantity_and_add_up_exactly() {
    let mut sold = sold_line();
    let mut got = vec![];
    for _ in 0..3 {
        let plan = plan_refund(
            std::slice::from_ref(&sold),
            &[RefundLineRequest {
                index: 0,
                quantity: 1,
            }],
        )
        .unwrap();
        got.push((plan.amount, plan.points_reversed, plan.points_restored));
        sold.refunded_quantity += 1;
    }
    assert_eq!(
        got,
        vec![
            (dec!(33.33), 6, 33),
            (dec!(33.34), 7, 33),
            (dec!(33.33), 7, 34)
        ]
    );
}

#[test]
fn r_pts_9_refund_of_several_lines_sums_them() {
    let sold = vec![
        sold_line(),
        SoldLine {
            index: 1,
            quantity: 2,
            paid: dec!(45.00),
            redemption_points: 0,
            points_earned: 8,
            refunded_quantity: 0,
        },
    ];
    let plan = plan_refund(
        &sold,
        &[
            RefundLineRequest {
                index: 1,
                quantity: 2,
            },
            RefundLineRequest {
                index: 0,
                quantity: 2,
            },
        ],
    )
    .unwrap();
    assert_eq!(plan.lines.len(), 2);
    assert_eq!(plan.lines[0].amount, dec!(45.00));
    assert_eq!(plan.lines[1].amount, dec!(66.67));
    assert_eq!(plan.amount, dec!(111.67));
    assert_eq!(plan.points_reversed, 8 + 13);
    assert_eq!(plan.points_restored, 66);
}

#[test]
fn r_pts_9_a_fully_refunded_line_says_it_was_already_refunded() {
    let mut sold = sold_line();
    sold.refunded_quantity = sold.quantity;
    let req = RefundLineRequest {
        index: 0,
        quantity: 1,
    };
    let err = plan_refund(&[sold], &[req]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines[0].quantity");
    assert!(err.message.contains("already refunded"), "{err:?}");
    assert!(!err.message.contains("between"), "{err:?}");
}

#[test]
fn r_pts_9_refuses_unknown_zero_duplicate_and_excess_lines() {
    let mut sold = sold_line();
    sold.refunded_quantity = 2;
    let sold = [sold];
    let req = |index, quantity| RefundLineRequest { index, quantity };

    let err = plan_refund(&sold, &[req(7, 1)]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines[0].index");
    let err = plan_refund(&sold, &[req(0, 0)]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines[0].quantity");
    let err = plan_refund(&sold, &[req(0, 1), req(0, 1)]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines[1].index");
    let err = plan_refund(&sold, &[req(0, 2)]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines[0].quantity");
    let err = plan_refund(&sold, &[]).unwrap_err();
    assert_refused(&err, "R-PTS-9", "lines");
    // The one unit left can still be returned.
    assert_eq!(
        plan_refund(&sold, &[req(0, 1)]).unwrap().amount,
        dec!(33.33)
    );
}
