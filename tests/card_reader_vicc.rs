//! The whole card lifecycle over the real middleware (private pcscd + vpcd) against vicc, an
//! independent ISO 7816-4 card OS: issue → checkout read and lookup → loss report →
//! replacement → the old card refused.

// The process's one pcscd is held for a whole test (a std mutex across awaits) on purpose:
// tests sharing it must not interleave; each test owns its runtime, so nothing deadlocks.
#![allow(clippy::await_holding_lock)]

mod common;

use common::pcscd::{pcscd, Vicc};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_checkout_loss_replacement_old_card_refused_on_vicc() {
    let p = pcscd(0x9D00);
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, true)).await;

    // A blank vicc card at the lounge: enrolment writes it.
    let first = Vicc::insert(&p.card_addr(0));
    app.wait_card("lounge", true).await;
    let (status, check) = app.read_card("lounge").await;
    assert_eq!(
        (status, check["verdict"].as_str()),
        (200, Some("blank")),
        "{check}"
    );
    app.guest_cash_sale("Q-1", "6000.00").await;
    let (status, enrolled) = app
        .post_at(
            "lounge",
            "/api/members",
            json!({ "applicant": applicant(1, day(1980, 5, 1)), "receipts": ["Q-1"] }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    let number = TestApp::card_number(&enrolled);

    // At the checkout the card reads back as this active gold card: SELECT + READ BINARY.
    let (status, check) = app.read_card("lounge").await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["verdict"], "active");
    assert_eq!(check["card_number"], number.as_str());
    assert_eq!(check["apdus"], 2);
    assert_eq!(check["card"]["tier"], "gold");
    assert_eq!(app.lookup(&number).await["usable"], true);

    // Phone loss report: the card itself still says active; the ledger blocks it at once.
    let (status, report) = app
        .post_at(
            "desk",
            &format!("/api/cards/{number}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(
        (
            check["verdict"].as_str(),
            check["usable"].as_bool(),
            check["rule"].as_str()
        ),
        (Some("blocked"), Some(false), Some("R-REP-2")),
        "{check}"
    );

    // Replacement at the desk onto a second blank vicc card: new number, valid tomorrow.
    let second = Vicc::insert(&p.card_addr(1));
    app.wait_card("desk", true).await;
    let (status, replaced) = app
        .post_at(
            "desk",
            &format!("/api/cards/{number}/replacement"),
            json!({ "reason": "lost" }),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    let new_number = replaced["new_card"]["card_number"]
        .as_str()
        .expect("new number")
        .to_owned();
    assert_ne!(new_number, number);
    let (_, check) = app.read_card("desk").await;
    assert_eq!(
        (check["verdict"].as_str(), check["card_number"].as_str()),
        (Some("pending"), Some(new_number.as_str())),
        "{check}"
    );
    app.set_day(day(2026, 3, 11));
    let (_, check) = app.read_card("desk").await;
    assert_eq!(check["verdict"], "active", "{check}");

    // The found old card stays refused for everything (R-REP-6).
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(check["verdict"], "blocked", "{check}");
    let answer = app
        .sale(
            "S-1",
            Some(&number),
            json!([regular("COAT", "100.00", 1)]),
            cash("100.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), Some("card_number"));

    // A live member card is never overwritten by an issue: enrol someone else onto card 1.
    app.guest_cash_sale("Q-2", "300.00").await;
    let answer = app
        .post_at(
            "lounge",
            "/api/members",
            json!({ "applicant": applicant(2, day(1985, 6, 1)), "receipts": ["Q-2"] }),
        )
        .await;
    assert_eq!(answer.0, 409, "{}", answer.1);
    drop((first, second));
    drop(p);
}
