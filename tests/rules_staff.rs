//! The staff and supervisor-approval rules, pure: PIN shape and lockout (R-SVC-2), the
//! same-day loss-report withdrawal (R-REP-6) and manual points adjustments (R-PTS-7).

use chrono::{Duration, NaiveDate, TimeZone, Utc};

use member_kiosk::domain::adjustment::{plan_adjustment, AdjustmentReason, MAX_ADJUSTMENT};
use member_kiosk::domain::card_status::CardState;
use member_kiosk::domain::ledger::EntryKind;
use member_kiosk::domain::replacement::check_unblock;
use member_kiosk::domain::staff::{
    after_wrong_pin, check_new_pin, check_staff_number, check_workstation, decide_pin, is_locked,
    looks_like_personal_data, session_expired, PinOutcome, SignInState, MAX_WRONG_PINS,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

#[test]
fn r_svc_2_the_fifth_wrong_pin_locks_for_five_minutes() {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 10, 2, 0, 0)
        .single()
        .expect("time");
    let mut count = 0;
    for _ in 1..MAX_WRONG_PINS {
        let (n, lock) = after_wrong_pin(count, now);
        assert_eq!(lock, None);
        count = n;
    }
    let (n, lock) = after_wrong_pin(count, now);
    assert_eq!((n, lock), (5, Some(now + Duration::minutes(5))));
    assert!(is_locked(lock, now + Duration::seconds(299)));
    assert!(!is_locked(lock, now + Duration::minutes(5)));
    assert!(!is_locked(None, now));
}

#[test]
fn r_svc_2_a_session_expires_after_the_idle_limit() {
    let seen = Utc
        .with_ymd_and_hms(2026, 3, 10, 2, 0, 0)
        .single()
        .expect("time");
    let idle = Duration::minutes(10);
    assert!(!session_expired(seen, idle, seen + Duration::seconds(599)));
    assert!(session_expired(seen, idle, seen + idle));
}

#[test]
fn r_svc_2_pins_are_6_to_12_digits_and_not_a_run_or_a_repeat() {
    for good in ["482913", "000001", "246810", "987654321012"] {
        assert!(check_new_pin(good).is_ok(), "{good}");
    }
    for bad in [
        "12345",
        "1234567890123",
        "123456",
        "654321",
        "888888",
        "48291a",
        "４８２９１３",
        "",
    ] {
        let refused = check_new_pin(bad).expect_err(bad);
        assert_eq!(
            (refused.rule, refused.field.as_deref()),
            ("R-SVC-2", Some("pin"))
        );
    }
}

#[test]
fn r_svc_2_staff_numbers_and_workstations_are_short_plain_ids() {
    assert!(check_staff_number("S01").is_ok());
    assert!(check_staff_number("S").is_err());
    assert!(check_staff_number("S 01").is_err());
    assert!(check_workstation("checkout-1").is_ok());
    assert!(check_workstation("").is_err());
    assert!(check_workstation("till/1").is_err());
    assert!(check_workstation(&"a".repeat(33)).is_err());
}

#[test]
fn r_rep_6_a_loss_report_can_be_withdrawn_only_the_day_it_was_made() {
    assert!(check_unblock(CardState::Blocked, Some(day(10)), day(10)).is_ok());
    for (state, reported, why) in [
        (CardState::Blocked, Some(day(9)), "a day later"),
        (CardState::Blocked, None, "no open report"),
        (CardState::Replaced, Some(day(10)), "already replaced"),
        (CardState::Active, Some(day(10)), "not blocked"),
    ] {
        let refused = check_unblock(state, reported, day(10)).expect_err(why);
        assert_eq!(refused.rule, "R-REP-6", "{why}");
    }
}

#[test]
fn r_pts_7_a_manual_adjustment_never_takes_the_balance_below_zero() {
    let entry = plan_adjustment(100, -100, AdjustmentReason::WrongBooking, None).expect("to zero");
    assert_eq!((entry.kind, entry.points), (EntryKind::Adjustment, -100));
    assert!(plan_adjustment(100, -101, AdjustmentReason::WrongBooking, None).is_err());
    assert!(plan_adjustment(0, 0, AdjustmentReason::Goodwill, None).is_err());
    assert!(plan_adjustment(0, MAX_ADJUSTMENT + 1, AdjustmentReason::Goodwill, None).is_err());
    assert!(plan_adjustment(0, MAX_ADJUSTMENT, AdjustmentReason::Goodwill, None).is_ok());
    let refused = plan_adjustment(0, 5, AdjustmentReason::Other, Some("  ")).expect_err("note");
    assert_eq!(refused.field.as_deref(), Some("note"));
    assert!(plan_adjustment(0, 5, AdjustmentReason::Other, Some("lost receipt")).is_ok());
}

#[test]
fn r_svc_2_a_lock_in_force_refuses_whatever_the_pin_and_keeps_its_count() {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 10, 2, 0, 0)
        .single()
        .expect("time");
    let locked = SignInState {
        wrong_pins: 5,
        locked_until: Some(now + Duration::minutes(3)),
    };
    // The right PIN does not unlock, a wrong one neither resets nor extends the lock.
    assert_eq!(decide_pin(locked, true, now), (PinOutcome::Locked, locked));
    assert_eq!(decide_pin(locked, false, now), (PinOutcome::Locked, locked));
    // A lock that ran out: the count starts afresh.
    let later = now + Duration::minutes(3);
    assert_eq!(
        decide_pin(locked, false, later),
        (
            PinOutcome::Wrong,
            SignInState {
                wrong_pins: 1,
                locked_until: None
            }
        )
    );
    assert_eq!(
        decide_pin(locked, true, later),
        (PinOutcome::Accepted, SignInState::default())
    );
    // Counting up: the fifth wrong PIN answers "locked".
    let mut state = SignInState::default();
    let mut outcomes = Vec::new();
    for _ in 0..MAX_WRONG_PINS {
        let (outcome, after) = decide_pin(state, false, now);
        outcomes.push(outcome);
        state = after;
    }
    assert_eq!(outcomes.last(), Some(&PinOutcome::Locked));
    assert!(outcomes[..4].iter().all(|o| *o == PinOutcome::Wrong));
    assert_eq!(state.locked_until, Some(now + Duration::minutes(5)));
}

#[test]
fn r_svc_1_phone_and_id_numbers_are_recognised_in_typed_fields() {
    for personal in [
        "13812345678",
        "+86 138-1234-5678",
        "8613812345678",
        "010-62345678",
        "11010519900307123X",
        "110105199003071234",
        "foo/13812345678",
    ] {
        assert!(looks_like_personal_data(personal), "{personal}");
        assert!(check_staff_number(personal).is_err(), "{personal}");
        assert!(check_workstation(personal).is_err(), "{personal}");
    }
    for not_personal in [
        "S01",
        "T01",
        "lounge",
        "checkout-1",
        "880001000005010",
        "R-1",
    ] {
        assert!(!looks_like_personal_data(not_personal), "{not_personal}");
    }
}
