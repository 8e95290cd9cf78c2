//! Membership rule tests (enrolment, upgrade, annual review, replacement, services, gift
//! exchange), named by the rule id they pin down, with the charter's default policy.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use member_kiosk::domain::card_status::{usability, CardFacts, CardState, Unusable};
use member_kiosk::domain::enrolment::{
    card_expiry, check_applicant, same_day_cash_spend, tier_for_spend, welcome_gift, Applicant,
    PresentedReceipt, Sex,
};
use member_kiosk::domain::gift_exchange::{check_exchange, Gift};
use member_kiosk::domain::id_document::{validate, IdDocument, IdKind};
use member_kiosk::domain::ledger::{balance, Entry, EntryKind};
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::replacement::{
    check_loss_report, loss_report_deadline, needs_follow_up, plan_replacement, LossReport,
    ReplacementReason,
};
use member_kiosk::domain::review::{check_reactivation, review_card, CardYear, ReviewOutcome};
use member_kiosk::domain::services::{check_birthday_gift, on_greeting_list, parking_tickets};
use member_kiosk::domain::upgrade::check_upgrade;
use member_kiosk::domain::{RuleViolation, Tier};

// ---------------------------------------------------------------- helpers

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("test date")
}

fn policy() -> Policy {
    Policy::charter_default()
}

/// Textbook GB 11643 example: born 31 Dec 1949, check character X.
const TEXTBOOK_ID: &str = "11010519491231002X";
/// Born 20 May 2008 (check character X).
const ID_2008_05_20: &str = "11010520080520123X";
/// Born 21 May 2008.
const ID_2008_05_21: &str = "110105200805211235";
/// Born 1 Jan 1990.
const ID_1990_01_01: &str = "440308199001010017";

const TODAY: (i32, u32, u32) = (2026, 5, 20);

fn today() -> NaiveDate {
    d(TODAY.0, TODAY.1, TODAY.2)
}

fn prc(number: &str) -> IdDocument {
    IdDocument {
        kind: IdKind::PrcResident,
        number: number.to_owned(),
    }
}

fn applicant() -> Applicant {
    Applicant {
        name: "Li Hua".to_owned(),
        sex: Sex::Female,
        birth_date: d(1990, 1, 1),
        phone: "13812345678".to_owned(),
        id_document: prc(ID_1990_01_01),
        address: None,
        email: None,
        preferences: None,
    }
}

fn refused<T: std::fmt::Debug>(result: Result<T, RuleViolation>) -> RuleViolation {
    match result {
        Ok(v) => panic!("expected a refusal, got Ok({v:?})"),
        Err(e) => e,
    }
}

fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, RuleViolation>,
    rule: &str,
    field: Option<&str>,
) -> RuleViolation {
    let e = refused(result);
    assert_eq!(e.rule, rule, "{e}");
    assert_eq!(e.field.as_deref(), field, "{e}");
    assert!(!e.message.is_empty());
    e
}

fn receipt(no: &str, day: NaiveDate, cash: Decimal) -> PresentedReceipt {
    PresentedReceipt {
        receipt_no: no.to_owned(),
        sale_day: day,
        cash_paid: cash,
        already_used: false,
    }
}

fn card(state: CardState, tier: Tier, valid_from: NaiveDate, expiry: NaiveDate) -> CardFacts {
    CardFacts {
        state,
        tier,
        valid_from,
        expiry,
        lapsed_on: None,
    }
}

/// An active card issued 21 May 2025, expiring 20 May 2026.
fn active(tier: Tier) -> CardFacts {
    card(CardState::Active, tier, d(2025, 5, 21), d(2026, 5, 20))
}

fn entry(kind: EntryKind, points: i64) -> Entry {
    Entry {
        kind,
        points,
        day: d(2026, 1, 1),
    }
}

// ---------------------------------------------------------------- R-ENR-1 age

#[test]
fn r_enr_1_refuses_applicant_one_day_short_of_18() {
    let a = Applicant {
        birth_date: d(2008, 5, 21),
        id_document: prc(ID_2008_05_21),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-1",
        Some("birth_date"),
    );
}

#[test]
fn r_enr_1_accepts_applicant_on_18th_birthday() {
    let a = Applicant {
        birth_date: d(2008, 5, 20),
        id_document: prc(ID_2008_05_20),
        ..applicant()
    };
    assert!(check_applicant(&policy(), &a, today()).is_ok());
}

#[test]
fn r_enr_1_minimum_age_comes_from_policy() {
    let a = Applicant {
        birth_date: d(2008, 5, 21),
        id_document: prc(ID_2008_05_21),
        ..applicant()
    };
    let p = Policy {
        enrol_min_age: 16,
        ..policy()
    };
    assert!(check_applicant(&p, &a, today()).is_ok());
}

// ---------------------------------------------------------------- R-ENR-2 ID document

#[test]
fn r_enr_2_accepts_textbook_prc_id_and_upper_cases_x() {
    let doc = validate(&prc(" 11010519491231002x "), d(1949, 12, 31)).expect("valid");
    assert_eq!(doc.number, TEXTBOOK_ID);
    assert_eq!(doc.kind, IdKind::PrcResident);
}

#[test]
fn r_enr_2_refuses_wrong_check_character_without_echoing_the_number() {
    let e = assert_refused(
        validate(&prc("110105194912310021"), d(1949, 12, 31)),
        "R-ENR-2",
        Some("id_document.number"),
    );
    assert!(!e.message.contains("110105"), "{}", e.message);
}

#[test]
fn r_enr_2_refuses_malformed_prc_ids() {
    for number in [
        "11010519491231002",   // 17 characters
        "11010519491231002XX", // 19 characters
        "1101051949123100AX",  // letter in the body
        "",
    ] {
        assert_refused(
            validate(&prc(number), d(1949, 12, 31)),
            "R-ENR-2",
            Some("id_document.number"),
        );
    }
}

#[test]
fn r_enr_2_refuses_birth_date_differing_from_the_id() {
    assert_refused(
        validate(&prc(TEXTBOOK_ID), d(1949, 12, 30)),
        "R-ENR-2",
        Some("birth_date"),
    );
}

#[test]
fn r_enr_2_refuses_impossible_date_inside_a_checksummed_id() {
    // Month 13, correct check character.
    assert_refused(
        validate(&prc("110105194913320027"), d(1949, 12, 31)),
        "R-ENR-2",
        Some("id_document.number"),
    );
}

#[test]
fn r_enr_2_passport_needs_5_to_20_letters_or_digits() {
    let passport = |n: &str| IdDocument {
        kind: IdKind::Passport,
        number: n.to_owned(),
    };
    let ok = validate(&passport("e1234567"), d(1990, 1, 1)).expect("valid passport");
    assert_eq!(ok.number, "E1234567");
    for bad in ["E123", "E12-34567", "A123456789012345678901"] {
        assert_refused(
            validate(&passport(bad), d(1990, 1, 1)),
            "R-ENR-2",
            Some("id_document.number"),
        );
    }
}

#[test]
fn r_enr_2_check_applicant_refuses_an_id_for_another_birth_date() {
    let a = Applicant {
        id_document: prc(TEXTBOOK_ID),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-2",
        Some("birth_date"),
    );
}

// ---------------------------------------------------------------- R-ENR-3 issue in person

#[test]
fn r_enr_3_reserved_or_void_card_is_not_usable() {
    for state in [CardState::Reserved, CardState::Void] {
        let c = card(state, Tier::Vip, today(), d(2027, 5, 19));
        assert_eq!(usability(&c, today()), Err(Unusable::NotIssued));
        assert_eq!(Unusable::NotIssued.rule(), "R-ENR-3");
    }
}

// ---------------------------------------------------------------- R-ENR-4 qualifying spend

#[test]
fn r_enr_4_299_99_cash_is_refused() {
    assert_refused(
        tier_for_spend(&policy(), dec!(299.99)),
        "R-ENR-4",
        Some("receipts"),
    );
}

#[test]
fn r_enr_4_300_cash_buys_vip() {
    assert_eq!(tier_for_spend(&policy(), dec!(300)), Ok(Tier::Vip));
    assert_eq!(tier_for_spend(&policy(), dec!(5999.99)), Ok(Tier::Vip));
}

#[test]
fn r_enr_4_6000_cash_buys_gold() {
    assert_eq!(tier_for_spend(&policy(), dec!(6000.00)), Ok(Tier::Gold));
    assert_eq!(tier_for_spend(&policy(), dec!(9999.99)), Ok(Tier::Gold));
}

#[test]
fn r_enr_4_10000_cash_buys_platinum() {
    assert_eq!(tier_for_spend(&policy(), dec!(10000)), Ok(Tier::Platinum));
    assert_eq!(tier_for_spend(&policy(), dec!(250000)), Ok(Tier::Platinum));
}

#[test]
fn r_enr_4_same_day_receipts_accumulate() {
    let receipts = [
        receipt("R-1", today(), dec!(2500.50)),
        receipt("R-2", today(), dec!(3499.50)),
    ];
    let spend = same_day_cash_spend(&receipts, today()).expect("valid receipts");
    assert_eq!(spend, dec!(6000.00));
    assert_eq!(tier_for_spend(&policy(), spend), Ok(Tier::Gold));
}

#[test]
fn r_enr_4_refuses_no_receipts() {
    assert_refused(
        same_day_cash_spend(&[], today()),
        "R-ENR-4",
        Some("receipts"),
    );
}

#[test]
fn r_enr_4_refuses_a_receipt_presented_twice() {
    let receipts = [
        receipt("R-1", today(), dec!(200)),
        receipt("R-1", today(), dec!(200)),
    ];
    assert_refused(
        same_day_cash_spend(&receipts, today()),
        "R-ENR-4",
        Some("receipts"),
    );
}

#[test]
fn r_enr_4_refuses_yesterdays_receipt() {
    let receipts = [
        receipt("R-1", today(), dec!(200)),
        receipt("R-2", d(2026, 5, 19), dec!(200)),
    ];
    assert_refused(
        same_day_cash_spend(&receipts, today()),
        "R-ENR-4",
        Some("receipts"),
    );
}

#[test]
fn r_enr_4_refuses_a_receipt_that_already_qualified() {
    let mut used = receipt("R-1", today(), dec!(400));
    used.already_used = true;
    assert_refused(
        same_day_cash_spend(&[used], today()),
        "R-ENR-4",
        Some("receipts"),
    );
}

// ---------------------------------------------------------------- R-ENR-5 required data

#[test]
fn r_enr_5_normalises_the_applicant() {
    let a = Applicant {
        name: "  Li Hua ".to_owned(),
        phone: "138-1234 5678".to_owned(),
        id_document: prc("440308199001010017"),
        address: Some("   ".to_owned()),
        email: Some(" li@example.com ".to_owned()),
        preferences: Some(" cosmetics ".to_owned()),
        ..applicant()
    };
    let n = check_applicant(&policy(), &a, today()).expect("valid applicant");
    assert_eq!(n.name, "Li Hua");
    assert_eq!(n.phone, "13812345678");
    assert_eq!(n.address, None);
    assert_eq!(n.email.as_deref(), Some("li@example.com"));
    assert_eq!(n.preferences.as_deref(), Some("cosmetics"));
    assert_eq!(n.id_document.number, ID_1990_01_01);
}

#[test]
fn r_enr_5_refuses_a_blank_name() {
    let a = Applicant {
        name: "   ".to_owned(),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-5",
        Some("name"),
    );
}

#[test]
fn r_enr_5_name_may_have_50_characters_not_51() {
    let fifty = "李".repeat(50);
    let a = Applicant {
        name: fifty,
        ..applicant()
    };
    assert!(check_applicant(&policy(), &a, today()).is_ok());
    let a = Applicant {
        name: "李".repeat(51),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-5",
        Some("name"),
    );
}

#[test]
fn r_enr_5_refuses_a_missing_phone() {
    let a = Applicant {
        phone: " ".to_owned(),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-5",
        Some("phone"),
    );
}

#[test]
fn r_enr_5_refuses_malformed_phones_without_echoing_them() {
    for phone in [
        "23812345678",
        "1381234567",
        "138123456789",
        "+123456",
        "+1234567890123456",
    ] {
        let a = Applicant {
            phone: phone.to_owned(),
            ..applicant()
        };
        let e = assert_refused(
            check_applicant(&policy(), &a, today()),
            "R-ENR-5",
            Some("phone"),
        );
        assert!(!e.message.contains(phone), "{}", e.message);
    }
}

#[test]
fn r_enr_5_accepts_international_phone() {
    let a = Applicant {
        phone: "+852 9123-4567".to_owned(),
        ..applicant()
    };
    let n = check_applicant(&policy(), &a, today()).expect("valid");
    assert_eq!(n.phone, "+85291234567");
}

#[test]
fn r_enr_5_refuses_malformed_email() {
    for email in [
        "li.example.com",
        "@example.com",
        "li@",
        "li@@example.com",
        "li@ex ample.com",
    ] {
        let a = Applicant {
            email: Some(email.to_owned()),
            ..applicant()
        };
        assert_refused(
            check_applicant(&policy(), &a, today()),
            "R-ENR-5",
            Some("email"),
        );
    }
}

#[test]
fn r_enr_5_refuses_a_birth_date_in_the_future() {
    let a = Applicant {
        birth_date: d(2026, 5, 21),
        ..applicant()
    };
    assert_refused(
        check_applicant(&policy(), &a, today()),
        "R-ENR-5",
        Some("birth_date"),
    );
}

// ---------------------------------------------------------------- R-ENR-6 welcome gift

#[test]
fn r_enr_6_gold_and_platinum_get_a_welcome_gift_vip_does_not() {
    let p = policy();
    assert!(!welcome_gift(&p, Tier::Vip));
    assert!(welcome_gift(&p, Tier::Gold));
    assert!(welcome_gift(&p, Tier::Platinum));
}

// ---------------------------------------------------------------- R-ENR-7 card term

#[test]
fn r_enr_7_card_expires_one_year_less_a_day_after_issue() {
    assert_eq!(card_expiry(&policy(), d(2026, 5, 20)), d(2027, 5, 19));
    assert_eq!(card_expiry(&policy(), d(2026, 1, 1)), d(2026, 12, 31));
    assert_eq!(card_expiry(&policy(), d(2027, 3, 1)), d(2028, 2, 29));
}

#[test]
fn r_enr_7_card_issued_on_29_feb_expires_27_feb() {
    // The anniversary clamps to 28 Feb 2029; the card runs to the day before.
    assert_eq!(card_expiry(&policy(), d(2028, 2, 29)), d(2029, 2, 27));
}

#[test]
fn r_enr_7_validity_years_come_from_policy_and_never_panic() {
    let two = Policy {
        card_validity_years: 2,
        ..policy()
    };
    assert_eq!(card_expiry(&two, d(2026, 5, 20)), d(2028, 5, 19));
    let zero = Policy {
        card_validity_years: 0,
        ..policy()
    };
    assert_eq!(card_expiry(&zero, d(2026, 5, 20)), d(2026, 5, 20));
    let huge = Policy {
        card_validity_years: u32::MAX,
        ..policy()
    };
    assert_eq!(card_expiry(&huge, d(2026, 5, 20)), NaiveDate::MAX);
    assert_eq!(card_expiry(&policy(), NaiveDate::MAX), NaiveDate::MAX);
}

// ---------------------------------------------------------------- R-UPG-1 points thresholds

#[test]
fn r_upg_1_vip_with_1000_points_upgrades_to_gold() {
    assert_eq!(
        check_upgrade(&policy(), &active(Tier::Vip), 1000, today()),
        Ok(Tier::Gold)
    );
}

#[test]
fn r_upg_1_vip_with_999_points_is_one_short() {
    let e = assert_refused(
        check_upgrade(&policy(), &active(Tier::Vip), 999, today()),
        "R-UPG-1",
        None,
    );
    assert!(e.message.starts_with("1 more"), "{}", e.message);
}

#[test]
fn r_upg_1_gold_needs_6000_for_platinum() {
    assert_eq!(
        check_upgrade(&policy(), &active(Tier::Gold), 6000, today()),
        Ok(Tier::Platinum)
    );
    assert_refused(
        check_upgrade(&policy(), &active(Tier::Gold), 5999, today()),
        "R-UPG-1",
        None,
    );
}

#[test]
fn r_upg_1_platinum_cannot_upgrade() {
    assert_refused(
        check_upgrade(&policy(), &active(Tier::Platinum), 1_000_000, today()),
        "R-UPG-1",
        None,
    );
}

#[test]
fn r_upg_1_one_step_at_a_time() {
    // Enough for Platinum, but a VIP card goes to Gold first.
    assert_eq!(
        check_upgrade(&policy(), &active(Tier::Vip), 7000, today()),
        Ok(Tier::Gold)
    );
}

// ---------------------------------------------------------------- R-UPG-2 in person, old card

#[test]
fn r_upg_2_blocked_replaced_unissued_or_pending_cards_cannot_upgrade() {
    for state in [
        CardState::Blocked,
        CardState::Replaced,
        CardState::Reserved,
        CardState::Void,
    ] {
        let c = CardFacts {
            state,
            ..active(Tier::Vip)
        };
        assert_refused(check_upgrade(&policy(), &c, 5000, today()), "R-UPG-2", None);
    }
    let pending = card(CardState::Active, Tier::Vip, d(2026, 5, 21), d(2027, 5, 20));
    assert_refused(
        check_upgrade(&policy(), &pending, 5000, today()),
        "R-UPG-2",
        None,
    );
}

// ---------------------------------------------------------------- R-UPG-3 window

#[test]
fn r_upg_3_upgrade_allowed_up_to_30_days_after_expiry() {
    let c = active(Tier::Vip); // expires 20 May 2026
    assert_eq!(
        check_upgrade(&policy(), &c, 1000, d(2026, 6, 19)),
        Ok(Tier::Gold)
    );
    assert_refused(
        check_upgrade(&policy(), &c, 1000, d(2026, 6, 20)),
        "R-UPG-3",
        None,
    );
}

#[test]
fn r_upg_3_inactive_card_inside_the_window_may_upgrade() {
    let c = CardFacts {
        state: CardState::Inactive,
        lapsed_on: Some(d(2026, 5, 21)),
        ..active(Tier::Vip)
    };
    assert_eq!(
        check_upgrade(&policy(), &c, 1200, d(2026, 6, 1)),
        Ok(Tier::Gold)
    );
}

// ---------------------------------------------------------------- R-UPG-4 balance moves

#[test]
fn r_upg_4_transfer_moves_the_whole_balance_to_the_new_card() {
    // Upgrade exchanges the card: the old card's balance is booked out and in again.
    let mut old = vec![
        entry(EntryKind::Earn, 1200),
        entry(EntryKind::Bonus, 50),
        entry(EntryKind::Redeem, -300),
    ];
    let moved = balance(&old);
    assert_eq!(moved, 950);
    old.push(entry(EntryKind::TransferOut, -moved));
    let new = [entry(EntryKind::TransferIn, moved)];
    assert_eq!(balance(&old), 0);
    assert_eq!(balance(&new), 950);
}

// ---------------------------------------------------------------- R-EXP-1 VIP lapses

fn year(card: CardFacts, spend: Decimal, purchases: u32) -> CardYear {
    CardYear {
        card,
        spend,
        purchases,
    }
}

/// The review runs the day after expiry (20 May 2026).
fn review_day() -> NaiveDate {
    d(2026, 5, 21)
}

/// What the store does with an outcome (the caller's transaction, here in memory).
fn apply(card: CardFacts, outcome: ReviewOutcome) -> CardFacts {
    match outcome {
        ReviewOutcome::Renew {
            tier,
            valid_from,
            expiry,
        }
        | ReviewOutcome::Downgrade {
            to: tier,
            valid_from,
            expiry,
            ..
        } => CardFacts {
            tier,
            valid_from,
            expiry,
            ..card
        },
        ReviewOutcome::Inactivate { lapsed_on } => CardFacts {
            state: CardState::Inactive,
            lapsed_on: Some(lapsed_on),
            ..card
        },
    }
}

#[test]
fn r_exp_1_vip_without_a_purchase_in_its_year_becomes_inactive() {
    let c = active(Tier::Vip);
    let outcome = review_card(&policy(), &year(c, dec!(0), 0), review_day());
    assert_eq!(
        outcome,
        Some(ReviewOutcome::Inactivate {
            lapsed_on: d(2026, 5, 21)
        })
    );
    let after = apply(c, outcome.expect("outcome"));
    assert_eq!(usability(&after, review_day()), Err(Unusable::Inactive));
}

#[test]
fn r_exp_1_vip_with_one_purchase_renews() {
    assert_eq!(
        review_card(
            &policy(),
            &year(active(Tier::Vip), dec!(35.00), 1),
            review_day()
        ),
        Some(ReviewOutcome::Renew {
            tier: Tier::Vip,
            valid_from: d(2026, 5, 21),
            expiry: d(2027, 5, 20),
        })
    );
}

// ---------------------------------------------------------------- R-EXP-2 reactivation

fn inactive_vip() -> CardFacts {
    CardFacts {
        state: CardState::Inactive,
        lapsed_on: Some(d(2026, 5, 21)),
        ..active(Tier::Vip)
    }
}

#[test]
fn r_exp_2_reactivates_with_200_cash_within_a_month() {
    let day = d(2026, 6, 21); // lapsed 21 May: last day 21 June
    assert_eq!(
        check_reactivation(&policy(), &inactive_vip(), dec!(200), day),
        Ok((day, d(2027, 6, 20)))
    );
}

#[test]
fn r_exp_2_199_99_cash_is_not_enough() {
    assert_refused(
        check_reactivation(&policy(), &inactive_vip(), dec!(199.99), d(2026, 6, 1)),
        "R-EXP-2",
        Some("receipts"),
    );
}

#[test]
fn r_exp_2_refuses_after_the_window() {
    assert_refused(
        check_reactivation(&policy(), &inactive_vip(), dec!(500), d(2026, 6, 22)),
        "R-EXP-2",
        None,
    );
}

#[test]
fn r_exp_2_window_clamps_to_month_end() {
    let c = CardFacts {
        lapsed_on: Some(d(2026, 1, 31)),
        ..inactive_vip()
    };
    assert!(check_reactivation(&policy(), &c, dec!(200), d(2026, 2, 28)).is_ok());
    assert_refused(
        check_reactivation(&policy(), &c, dec!(200), d(2026, 3, 1)),
        "R-EXP-2",
        None,
    );
}

#[test]
fn r_exp_2_only_inactive_cards_with_a_lapse_day_reactivate() {
    assert_refused(
        check_reactivation(&policy(), &active(Tier::Vip), dec!(500), today()),
        "R-EXP-2",
        None,
    );
    let no_lapse = CardFacts {
        lapsed_on: None,
        ..inactive_vip()
    };
    assert_refused(
        check_reactivation(&policy(), &no_lapse, dec!(500), d(2026, 6, 1)),
        "R-EXP-2",
        None,
    );
}

// ---------------------------------------------------------------- R-EXP-3 renewal / downgrade

#[test]
fn r_exp_3_gold_below_10000_downgrades_to_vip() {
    assert_eq!(
        review_card(
            &policy(),
            &year(active(Tier::Gold), dec!(9999.99), 40),
            review_day()
        ),
        Some(ReviewOutcome::Downgrade {
            from: Tier::Gold,
            to: Tier::Vip,
            valid_from: d(2026, 5, 21),
            expiry: d(2027, 5, 20),
        })
    );
}

#[test]
fn r_exp_3_gold_with_10000_renews_gold() {
    assert_eq!(
        review_card(
            &policy(),
            &year(active(Tier::Gold), dec!(10000), 12),
            review_day()
        ),
        Some(ReviewOutcome::Renew {
            tier: Tier::Gold,
            valid_from: d(2026, 5, 21),
            expiry: d(2027, 5, 20),
        })
    );
}

#[test]
fn r_exp_3_gold_without_purchases_goes_to_vip_not_inactive() {
    assert!(matches!(
        review_card(
            &policy(),
            &year(active(Tier::Gold), dec!(0), 0),
            review_day()
        ),
        Some(ReviewOutcome::Downgrade { to: Tier::Vip, .. })
    ));
}

#[test]
fn r_exp_3_platinum_below_20000_drops_one_step_to_gold() {
    assert_eq!(
        review_card(
            &policy(),
            &year(active(Tier::Platinum), dec!(19999.99), 30),
            review_day()
        ),
        Some(ReviewOutcome::Downgrade {
            from: Tier::Platinum,
            to: Tier::Gold,
            valid_from: d(2026, 5, 21),
            expiry: d(2027, 5, 20),
        })
    );
}

#[test]
fn r_exp_3_platinum_with_20000_renews_platinum() {
    assert!(matches!(
        review_card(
            &policy(),
            &year(active(Tier::Platinum), dec!(20000.00), 3),
            review_day()
        ),
        Some(ReviewOutcome::Renew {
            tier: Tier::Platinum,
            ..
        })
    ));
}

// ---------------------------------------------------------------- R-EXP-4 daily, idempotent

#[test]
fn r_exp_4_card_not_yet_ended_or_not_active_is_left_alone() {
    // Expiry day itself: the year has not ended.
    assert_eq!(
        review_card(&policy(), &year(active(Tier::Vip), dec!(0), 0), today()),
        None
    );
    for state in [CardState::Inactive, CardState::Blocked, CardState::Replaced] {
        let c = CardFacts {
            state,
            ..active(Tier::Gold)
        };
        assert_eq!(
            review_card(&policy(), &year(c, dec!(0), 0), review_day()),
            None
        );
    }
}

#[test]
fn r_exp_4_running_the_review_again_after_applying_changes_nothing() {
    for (tier, spend, purchases) in [
        (Tier::Vip, dec!(0), 0),
        (Tier::Vip, dec!(100), 2),
        (Tier::Gold, dec!(500), 2),
        (Tier::Platinum, dec!(25000), 9),
    ] {
        let c = active(tier);
        let first = review_card(&policy(), &year(c, spend, purchases), review_day())
            .expect("year ended yesterday");
        let after = apply(c, first);
        assert_eq!(
            review_card(&policy(), &year(after, spend, purchases), review_day()),
            None,
            "{tier:?}"
        );
    }
}

#[test]
fn r_exp_4_a_missed_review_takes_one_call_per_card_year() {
    // Expired 20 May 2026, first reviewed on 1 Jul 2027: two card years have ended.
    let day = d(2027, 7, 1);
    let c = active(Tier::Platinum);
    let first = review_card(&policy(), &year(c, dec!(1000), 3), day).expect("first year");
    assert_eq!(
        first,
        ReviewOutcome::Downgrade {
            from: Tier::Platinum,
            to: Tier::Gold,
            valid_from: d(2026, 5, 21),
            expiry: d(2027, 5, 20),
        }
    );
    let c = apply(c, first);
    let second = review_card(&policy(), &year(c, dec!(0), 0), day).expect("second year");
    assert_eq!(
        second,
        ReviewOutcome::Downgrade {
            from: Tier::Gold,
            to: Tier::Vip,
            valid_from: d(2027, 5, 21),
            expiry: d(2028, 5, 20),
        }
    );
    let c = apply(c, second);
    assert_eq!(review_card(&policy(), &year(c, dec!(0), 0), day), None);
}

// ---------------------------------------------------------------- R-REP-1 damaged card

#[test]
fn r_rep_1_damaged_vip_card_costs_10_and_keeps_its_year() {
    let plan = plan_replacement(
        &policy(),
        &active(Tier::Vip),
        ReplacementReason::Damaged,
        None,
        false,
        d(2026, 3, 10),
    )
    .expect("plan");
    assert_eq!(plan.fee, dec!(10));
    assert_eq!(plan.valid_from, d(2026, 3, 11));
    assert_eq!(plan.expiry, d(2026, 5, 20));
    assert!(!plan.late);
}

#[test]
fn r_rep_1_damaged_inactive_card_can_be_replaced() {
    let plan = plan_replacement(
        &policy(),
        &inactive_vip(),
        ReplacementReason::Damaged,
        None,
        false,
        d(2026, 6, 1),
    )
    .expect("plan");
    // The old year is over: the new card gets a fresh term from its first day.
    assert_eq!(plan.valid_from, d(2026, 6, 2));
    assert_eq!(plan.expiry, d(2027, 6, 1));
}

#[test]
fn r_rep_1_damaged_replacement_refuses_blocked_replaced_unissued_or_pending_cards() {
    let day = d(2026, 3, 10);
    let with_state = |state| CardFacts {
        state,
        ..active(Tier::Vip)
    };
    let cases = [
        (with_state(CardState::Blocked), "R-REP-2"),
        (with_state(CardState::Replaced), "R-REP-5"),
        (with_state(CardState::Reserved), "R-ENR-3"),
        (with_state(CardState::Void), "R-ENR-3"),
        (
            card(CardState::Active, Tier::Vip, d(2026, 3, 11), d(2026, 5, 20)),
            "R-REP-5",
        ),
    ];
    for (c, rule) in cases {
        assert_refused(
            plan_replacement(&policy(), &c, ReplacementReason::Damaged, None, false, day),
            rule,
            None,
        );
    }
}

// ---------------------------------------------------------------- R-REP-2 loss report

fn blocked(tier: Tier) -> CardFacts {
    CardFacts {
        state: CardState::Blocked,
        ..active(tier)
    }
}

fn open_report() -> LossReport {
    LossReport {
        reported_on: d(2026, 3, 1),
        completed: false,
    }
}

#[test]
fn r_rep_2_active_inactive_and_pending_cards_can_be_reported_lost() {
    assert_eq!(check_loss_report(&active(Tier::Vip)), Ok(()));
    assert_eq!(check_loss_report(&inactive_vip()), Ok(()));
    let pending = card(
        CardState::Active,
        Tier::Gold,
        d(2026, 5, 21),
        d(2027, 5, 20),
    );
    assert_eq!(check_loss_report(&pending), Ok(()));
}

#[test]
fn r_rep_2_refuses_a_second_report() {
    assert_refused(check_loss_report(&blocked(Tier::Vip)), "R-REP-2", None);
}

#[test]
fn r_rep_2_refuses_reports_for_replaced_or_unissued_cards() {
    let with_state = |state| CardFacts {
        state,
        ..active(Tier::Vip)
    };
    assert_refused(
        check_loss_report(&with_state(CardState::Replaced)),
        "R-REP-5",
        None,
    );
    assert_refused(
        check_loss_report(&with_state(CardState::Void)),
        "R-ENR-3",
        None,
    );
}

#[test]
fn r_rep_2_report_must_be_completed_within_7_days() {
    let report = open_report();
    assert_eq!(
        loss_report_deadline(&policy(), report.reported_on),
        d(2026, 3, 8)
    );
    assert!(!needs_follow_up(&policy(), &report, d(2026, 3, 8)));
    assert!(needs_follow_up(&policy(), &report, d(2026, 3, 9)));
    let done = LossReport {
        completed: true,
        ..report
    };
    assert!(!needs_follow_up(&policy(), &done, d(2026, 4, 1)));
}

#[test]
fn r_rep_2_lost_vip_card_replaced_within_7_days_costs_10() {
    let plan = plan_replacement(
        &policy(),
        &blocked(Tier::Vip),
        ReplacementReason::Lost,
        Some(&open_report()),
        false,
        d(2026, 3, 8),
    )
    .expect("plan");
    assert_eq!(plan.fee, dec!(10));
    assert!(!plan.late);
    assert_eq!(plan.valid_from, d(2026, 3, 9));
    assert_eq!(plan.expiry, d(2026, 5, 20));
}

#[test]
fn r_rep_2_completion_after_the_deadline_is_marked_late() {
    let plan = plan_replacement(
        &policy(),
        &blocked(Tier::Vip),
        ReplacementReason::Lost,
        Some(&open_report()),
        false,
        d(2026, 3, 9),
    )
    .expect("plan");
    assert!(plan.late);
}

#[test]
fn r_rep_2_lost_replacement_needs_a_blocked_card_and_an_open_report() {
    let day = d(2026, 3, 5);
    assert_refused(
        plan_replacement(
            &policy(),
            &active(Tier::Vip),
            ReplacementReason::Lost,
            Some(&open_report()),
            false,
            day,
        ),
        "R-REP-2",
        None,
    );
    assert_refused(
        plan_replacement(
            &policy(),
            &blocked(Tier::Vip),
            ReplacementReason::Lost,
            None,
            false,
            day,
        ),
        "R-REP-2",
        None,
    );
    let done = LossReport {
        completed: true,
        ..open_report()
    };
    assert_refused(
        plan_replacement(
            &policy(),
            &blocked(Tier::Vip),
            ReplacementReason::Lost,
            Some(&done),
            false,
            day,
        ),
        "R-REP-2",
        None,
    );
}

// ---------------------------------------------------------------- R-REP-3 free for Gold/Platinum

#[test]
fn r_rep_3_gold_replaces_free() {
    let plan = plan_replacement(
        &policy(),
        &blocked(Tier::Gold),
        ReplacementReason::Lost,
        Some(&open_report()),
        false,
        d(2026, 3, 2),
    )
    .expect("plan");
    assert_eq!(plan.fee, Decimal::ZERO);
}

#[test]
fn r_rep_3_platinum_replaces_damaged_card_free() {
    let plan = plan_replacement(
        &policy(),
        &active(Tier::Platinum),
        ReplacementReason::Damaged,
        None,
        false,
        d(2026, 3, 2),
    )
    .expect("plan");
    assert_eq!(plan.fee, Decimal::ZERO);
}

#[test]
fn r_rep_3_fee_can_be_waived_for_vip() {
    let plan = plan_replacement(
        &policy(),
        &active(Tier::Vip),
        ReplacementReason::Damaged,
        None,
        true,
        d(2026, 3, 2),
    )
    .expect("plan");
    assert_eq!(plan.fee, Decimal::ZERO);
}

// ---------------------------------------------------------------- R-REP-4 used points stay used

#[test]
fn r_rep_4_points_redeemed_before_the_report_stay_used() {
    // 500 earned, 300 redeemed before the loss was reported: only 200 move on.
    let mut old = vec![entry(EntryKind::Earn, 500), entry(EntryKind::Redeem, -300)];
    let moved = balance(&old);
    assert_eq!(moved, 200);
    old.push(entry(EntryKind::TransferOut, -moved));
    assert_eq!(balance(&old), 0);
    assert_eq!(balance(&[entry(EntryKind::TransferIn, moved)]), 200);
    // After the report the card is blocked: nothing more can be redeemed with it.
    assert_eq!(
        usability(&blocked(Tier::Vip), d(2026, 3, 2)),
        Err(Unusable::Blocked)
    );
}

// ---------------------------------------------------------------- R-REP-5 new card, next day

#[test]
fn r_rep_5_replacement_card_works_from_the_next_day() {
    let day = d(2026, 3, 10);
    let plan = plan_replacement(
        &policy(),
        &active(Tier::Gold),
        ReplacementReason::Damaged,
        None,
        false,
        day,
    )
    .expect("plan");
    let new_card = card(CardState::Active, Tier::Gold, plan.valid_from, plan.expiry);
    assert_eq!(usability(&new_card, day), Err(Unusable::Pending));
    assert_eq!(usability(&new_card, d(2026, 3, 11)), Ok(()));
}

#[test]
fn r_rep_5_expired_card_gets_a_fresh_term_from_the_first_valid_day() {
    // Old card expired 20 May 2026 (not yet reviewed); replaced on 25 May.
    let plan = plan_replacement(
        &policy(),
        &blocked(Tier::Gold),
        ReplacementReason::Lost,
        Some(&LossReport {
            reported_on: d(2026, 5, 22),
            completed: false,
        }),
        false,
        d(2026, 5, 25),
    )
    .expect("plan");
    assert_eq!(plan.valid_from, d(2026, 5, 26));
    assert_eq!(plan.expiry, d(2027, 5, 25));
}

#[test]
fn r_rep_5_replaced_card_is_never_valid_again() {
    let old = CardFacts {
        state: CardState::Replaced,
        ..active(Tier::Vip)
    };
    assert_eq!(usability(&old, d(2026, 3, 1)), Err(Unusable::Replaced));
    assert_refused(
        plan_replacement(
            &policy(),
            &old,
            ReplacementReason::Damaged,
            None,
            false,
            d(2026, 3, 1),
        ),
        "R-REP-5",
        None,
    );
}

// ---------------------------------------------------------------- R-REP-6 found card stays invalid

#[test]
fn r_rep_6_found_card_stays_blocked() {
    let c = blocked(Tier::Platinum);
    // Any day, within the card's year or after the report deadline: still blocked.
    for day in [d(2026, 3, 2), d(2026, 3, 20), d(2026, 5, 20)] {
        assert_eq!(usability(&c, day), Err(Unusable::Blocked));
    }
    // Nor can it be brought back as a "damaged" card.
    assert_refused(
        plan_replacement(
            &policy(),
            &c,
            ReplacementReason::Damaged,
            None,
            false,
            d(2026, 3, 2),
        ),
        "R-REP-2",
        None,
    );
}

// ---------------------------------------------------------------- R-SRV-1 parking

#[test]
fn r_srv_1_gold_gets_2_platinum_3_tickets() {
    assert_eq!(parking_tickets(&policy(), Tier::Gold, false), Ok(2));
    assert_eq!(parking_tickets(&policy(), Tier::Platinum, false), Ok(3));
}

#[test]
fn r_srv_1_vip_gets_no_tickets() {
    assert_refused(
        parking_tickets(&policy(), Tier::Vip, false),
        "R-SRV-1",
        None,
    );
}

#[test]
fn r_srv_1_tickets_once_per_card_per_day() {
    assert_refused(
        parking_tickets(&policy(), Tier::Gold, true),
        "R-SRV-1",
        None,
    );
}

// ---------------------------------------------------------------- R-SRV-2 birthday gift

#[test]
fn r_srv_2_gold_gets_the_gift_on_and_after_the_birthday_within_its_month() {
    let birth = d(1990, 7, 15);
    assert_eq!(
        check_birthday_gift(&policy(), Tier::Gold, birth, false, d(2026, 7, 15)),
        Ok(())
    );
    assert_eq!(
        check_birthday_gift(&policy(), Tier::Platinum, birth, false, d(2026, 7, 31)),
        Ok(())
    );
}

#[test]
fn r_srv_2_refuses_before_the_birthday() {
    let e = assert_refused(
        check_birthday_gift(&policy(), Tier::Gold, d(1990, 7, 15), false, d(2026, 7, 14)),
        "R-SRV-2",
        None,
    );
    assert!(e.message.contains("before"), "{}", e.message);
}

#[test]
fn r_srv_2_refuses_after_the_birth_month() {
    let e = assert_refused(
        check_birthday_gift(&policy(), Tier::Gold, d(1990, 7, 15), false, d(2026, 8, 1)),
        "R-SRV-2",
        None,
    );
    assert!(e.message.contains("month"), "{}", e.message);
}

#[test]
fn r_srv_2_refuses_vip_and_a_second_gift_in_the_year() {
    let birth = d(1990, 7, 15);
    let day = d(2026, 7, 20);
    assert_refused(
        check_birthday_gift(&policy(), Tier::Vip, birth, false, day),
        "R-SRV-2",
        None,
    );
    let e = assert_refused(
        check_birthday_gift(&policy(), Tier::Gold, birth, true, day),
        "R-SRV-2",
        None,
    );
    assert!(e.message.contains("already"), "{}", e.message);
}

#[test]
fn r_srv_2_leap_day_birthday_is_28_feb_in_common_years() {
    let birth = d(2000, 2, 29);
    assert_eq!(
        check_birthday_gift(&policy(), Tier::Gold, birth, false, d(2027, 2, 28)),
        Ok(())
    );
    assert_refused(
        check_birthday_gift(&policy(), Tier::Gold, birth, false, d(2028, 2, 28)),
        "R-SRV-2",
        None,
    );
}

// ---------------------------------------------------------------- R-SRV-3 greeting list

#[test]
fn r_srv_3_greeting_list_holds_todays_birthdays() {
    assert!(on_greeting_list(d(1990, 7, 15), d(2026, 7, 15)));
    assert!(!on_greeting_list(d(1990, 7, 15), d(2026, 7, 16)));
    assert!(on_greeting_list(d(2000, 2, 29), d(2027, 2, 28)));
}

// ---------------------------------------------------------------- R-PTS-6 gift exchange

fn gift(points_price: i64, stock: i64) -> Gift {
    Gift {
        code: "G-UMBRELLA".to_owned(),
        name: "Umbrella".to_owned(),
        points_price,
        stock,
        available_from: d(2026, 5, 1),
        available_until: d(2026, 5, 31),
    }
}

#[test]
fn r_pts_6_balance_below_100_can_buy_a_gift() {
    assert_eq!(check_exchange(&gift(40, 10), 2, 80, today()), Ok(80));
}

#[test]
fn r_pts_6_refuses_not_enough_points() {
    assert_refused(
        check_exchange(&gift(40, 10), 3, 119, today()),
        "R-PTS-6",
        None,
    );
}

#[test]
fn r_pts_6_refuses_quantity_zero() {
    assert_refused(
        check_exchange(&gift(40, 10), 0, 500, today()),
        "R-PTS-6",
        Some("quantity"),
    );
}

#[test]
fn r_pts_6_only_inside_the_campaign_window() {
    let g = gift(40, 10);
    assert_eq!(check_exchange(&g, 1, 50, d(2026, 5, 1)), Ok(40));
    assert_eq!(check_exchange(&g, 1, 50, d(2026, 5, 31)), Ok(40));
    assert_refused(check_exchange(&g, 1, 50, d(2026, 4, 30)), "R-PTS-6", None);
    assert_refused(check_exchange(&g, 1, 50, d(2026, 6, 1)), "R-PTS-6", None);
}

#[test]
fn r_pts_6_refuses_more_than_the_stock() {
    assert_eq!(check_exchange(&gift(10, 2), 2, 50, today()), Ok(20));
    assert_refused(
        check_exchange(&gift(10, 2), 3, 50, today()),
        "R-PTS-6",
        Some("quantity"),
    );
}

#[test]
fn r_pts_6_huge_cost_is_refused_not_overflowed() {
    assert!(check_exchange(&gift(i64::MAX, i64::MAX), 2, i64::MAX, today()).is_err());
}
