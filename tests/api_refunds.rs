//! Refunds over HTTP (R-PTS-9): money back per line to the cent, earned points reversed and
//! redeemed points restored in proportion, partial refunds that add up exactly, idempotency
//! on the refund number, and points debt paid first from the next earnings.

mod common;

use common::*;
use serde_json::{json, Value};

fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

/// A refund by the default supervisor with a second supervisor's PIN entered (so refunds over
/// the store's limit pass; the limit itself is tested in `staff_access`).
async fn refund(app: &TestApp, receipt_no: &str, refund_no: &str, lines: Value) -> (u16, Value) {
    app.request_as(
        DEFAULT_STAFF,
        "lounge",
        reqwest::Method::POST,
        &format!("/api/sales/{receipt_no}/refunds"),
        Some(json!({ "refund_no": refund_no, "till_id": "T01", "lines": lines })),
        &[("x-supervisor", "S02"), ("x-supervisor-pin", PIN)],
    )
    .await
}

/// Asserts a 201 refund answer and returns it.
async fn refunded(app: &TestApp, receipt_no: &str, refund_no: &str, lines: Value) -> Value {
    let (status, body) = refund(app, receipt_no, refund_no, lines).await;
    assert_eq!(status, 201, "refund: {body}");
    body
}

/// A gold card with 180 points redeemable on 2026-03-11 (today after the call).
async fn gold_with_180_points(app: &TestApp) -> String {
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("EARN-1", &card, "1000.00", "900.00").await;
    app.set_day(day(2026, 3, 11));
    card
}

#[tokio::test]
async fn r_pts_9_refund_gives_back_money_reverses_points_and_restores_redemption_per_line() {
    let app = spawn_app().await;
    let card = gold_with_180_points(&app).await;
    // Net 810 + 90; 100 points pay ¥10, split 9.00 / 1.00 (90 / 10 points); payable 890 earns
    // 178 points, split by paid 801 : 89 → 160 / 18.
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("A", "300.00", 3), regular("B", "100.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    let lines = &sale["quote"]["lines"];
    assert_eq!(
        (
            &lines[0]["paid"],
            &lines[0]["redemption_points"],
            &lines[0]["points_earned"]
        ),
        (&json!("801.00"), &json!(90), &json!(160))
    );
    assert_eq!(
        (
            &lines[1]["paid"],
            &lines[1]["redemption_points"],
            &lines[1]["points_earned"]
        ),
        (&json!("89.00"), &json!(10), &json!(18))
    );
    assert_eq!(sale["points"]["balance"], 258);

    let r1 = refunded(&app, "S-2", "R-1", json!([{ "index": 1, "quantity": 1 }])).await;
    assert_eq!(r1["amount"], "89.00");
    assert_eq!(
        r1["lines"],
        json!([{ "index": 1, "quantity": 1, "amount": "89.00", "points_reversed": 18, "points_restored": 10 }])
    );
    assert_eq!(
        (
            &r1["points_reversed"],
            &r1["points_restored"],
            &r1["debt_added"]
        ),
        (&json!(18), &json!(10), &json!(0))
    );
    assert_eq!(r1["card_number"], card.as_str());
    assert_eq!(r1["balance"], 250);

    let r2 = refunded(&app, "S-2", "R-2", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_eq!(r2["amount"], "267.00");
    assert_eq!(
        (&r2["points_reversed"], &r2["points_restored"]),
        (&json!(53), &json!(30))
    );
    assert_eq!(r2["balance"], 227);

    let r3 = refunded(&app, "S-2", "R-3", json!([{ "index": 0, "quantity": 2 }])).await;
    assert_eq!(r3["amount"], "534.00");
    assert_eq!(
        (&r3["points_reversed"], &r3["points_restored"]),
        (&json!(107), &json!(60))
    );
    // Everything of S-2 undone: back to the 180 points from before it.
    assert_eq!(r3["balance"], 180);
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 180);
    assert_eq!(view["points_debt"], 0);
    assert_eq!(app.ledger_sum(&card).await, 180);
}

#[tokio::test]
async fn r_pts_9_two_partial_refunds_add_up_exactly_to_the_line() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    // 7 × 33.33 = 233.31, gold ×0.90 = 209.979 → 209.98 paid, 20 steps → 40 points.
    let (status, sale) = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("SOCKS", "33.33", 7)]),
            cash("209.98"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points"]["earned"], 40);

    let first = refunded(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 3 }])).await;
    // 209.98 × 3/7 = 89.9914… → 89.99; points ⌊40 × 3/7⌋ = 17.
    assert_eq!(first["amount"], "89.99");
    assert_eq!(first["points_reversed"], 17);
    let second = refunded(&app, "S-1", "R-2", json!([{ "index": 0, "quantity": 4 }])).await;
    assert_eq!(second["amount"], "119.99");
    assert_eq!(second["points_reversed"], 23);
    assert_eq!(second["balance"], 0);

    let refunded_fen: i64 = sqlx::query_scalar("SELECT SUM(amount_fen) FROM refunds")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("sum");
    assert_eq!(
        refunded_fen, 20998,
        "the two refunds add up to the line's 209.98"
    );
    // Nothing is left to refund: the answer says so (not "between 1 and 0 units").
    let answer = refund(&app, "S-1", "R-3", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_refused(&answer, 422, Some("R-PTS-9"), Some("lines[0].quantity"));
    let message = answer.1["error"].as_str().unwrap_or_default();
    assert!(message.contains("already refunded"), "{message}");
    assert!(!message.contains("between"), "{message}");
}

#[tokio::test]
async fn r_pts_9_refund_is_idempotent_on_refund_no() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.sale(
        "S-1",
        Some(&card),
        json!([regular("A", "100.00", 2)]),
        cash("180.00"),
        0,
    )
    .await;
    assert_eq!(app.lookup(&card).await["balance"], 36);

    let first = refunded(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_eq!(first["amount"], "90.00");
    assert_eq!(first["balance"], 18);
    let rows = [
        app.count("refunds").await,
        app.count("points_ledger").await,
        app.outbox_changes().await,
    ];

    let again = refunded(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_eq!(first["print"][0]["state"], "printed", "{first}");
    assert_eq!(again["print"], json!([]), "a replay is not printed again");
    let without_print = |mut v: serde_json::Value| {
        v.as_object_mut().map(|m| m.remove("print"));
        v
    };
    assert_eq!(without_print(again), without_print(first.clone()));
    assert_eq!(
        [
            app.count("refunds").await,
            app.count("points_ledger").await,
            app.outbox_changes().await
        ],
        rows
    );
    assert_eq!(
        app.lookup(&card).await["balance"],
        18,
        "points reversed once"
    );

    let answer = refund(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 2 }])).await;
    assert_refused(&answer, 409, None, Some("refund_no"));
    // The same slip number against another receipt is a different refund too.
    app.guest_cash_sale("G-1", "50.00").await;
    let answer = refund(&app, "G-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_refused(&answer, 409, None, Some("refund_no"));
    assert_eq!(app.count("refunds").await, rows[0]);
    assert_eq!(app.lookup(&card).await["balance"], 18);
}

#[tokio::test]
async fn r_pts_9_refunding_more_than_sold_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.sale(
        "S-1",
        Some(&card),
        json!([regular("A", "100.00", 2)]),
        cash("180.00"),
        0,
    )
    .await;
    let rows = [
        app.count("refunds").await,
        app.count("refund_lines").await,
        app.count("points_ledger").await,
        app.outbox_changes().await,
    ];

    let answer = refund(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 3 }])).await;
    assert_refused(&answer, 422, Some("R-PTS-9"), Some("lines[0].quantity"));
    let answer = refund(&app, "S-1", "R-1", json!([{ "index": 1, "quantity": 1 }])).await;
    assert_refused(&answer, 422, Some("R-PTS-9"), Some("lines[0].index"));
    let answer = refund(
        &app,
        "S-1",
        "R-1",
        json!([{ "index": 0, "quantity": 1 }, { "index": 0, "quantity": 1 }]),
    )
    .await;
    assert_refused(&answer, 422, Some("R-PTS-9"), Some("lines[1].index"));
    let answer = refund(&app, "S-1", "R-1", json!([])).await;
    assert_refused(&answer, 422, Some("R-PTS-9"), Some("lines"));
    let answer = refund(
        &app,
        "NO-SUCH",
        "R-1",
        json!([{ "index": 0, "quantity": 1 }]),
    )
    .await;
    assert_refused(&answer, 404, None, Some("receipt_no"));

    assert_eq!(
        [
            app.count("refunds").await,
            app.count("refund_lines").await,
            app.count("points_ledger").await,
            app.outbox_changes().await
        ],
        rows
    );
    let refunded_units: i64 = sqlx::query_scalar("SELECT SUM(refunded_quantity) FROM sale_lines")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("sum");
    assert_eq!(refunded_units, 0);
    // The refused slip number is still free.
    let ok = refunded(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 2 }])).await;
    assert_eq!(ok["amount"], "180.00");
    assert_eq!(ok["balance"], 0);
}

#[tokio::test]
async fn r_pts_9_refund_after_the_points_were_spent_records_debt_repaid_by_the_next_sale() {
    let app = spawn_app().await;
    let card = gold_with_180_points(&app).await;
    // Spend 100 of the 180 on a ¥100 item: 90 − 10 = 80 payable, earns 16 → balance 96.
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("B", "100.00", 1)]),
            cash("80.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points"]["balance"], 96);

    // Return the ¥1,000 coat: 180 points to take back, only 96 there.
    let r = refunded(
        &app,
        "EARN-1",
        "R-1",
        json!([{ "index": 0, "quantity": 1 }]),
    )
    .await;
    assert_eq!(r["amount"], "900.00");
    assert_eq!(r["points_reversed"], 180);
    assert_eq!(r["debt_added"], 84);
    assert_eq!(r["balance"], 0);
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 0);
    assert_eq!(view["points_debt"], 84);
    assert_eq!(view["redeemable_today"], 0);

    // The next sale's 180 points pay the 84 owed first.
    let next = app.card_sale("S-3", &card, "1000.00", "900.00").await;
    assert_eq!(next["points"]["earned"], 180);
    assert_eq!(next["points"]["debt_repaid"], 84);
    assert_eq!(next["points"]["balance"], 96);
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 96);
    assert_eq!(view["points_debt"], 0);
    assert_eq!(app.ledger_sum(&card).await, 96);
    assert!(app.lowest_running_balance(&card).await >= 0);

    // A further sale owes nothing.
    let after = app.card_sale("S-4", &card, "100.00", "90.00").await;
    assert_eq!(after["points"]["debt_repaid"], 0);
    assert_eq!(after["points"]["balance"], 114);
}

#[tokio::test]
async fn guest_refund_has_no_points_side() {
    let app = spawn_app().await;
    app.guest_cash_sale("G-1", "250.50").await;
    let r = refunded(&app, "G-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_eq!(r["amount"], "250.50");
    assert_eq!(r["card_number"], Value::Null);
    assert_eq!(r["balance"], Value::Null);
    assert_eq!(r["points_reversed"], 0);
    assert_eq!(app.count("points_ledger").await, 0);
}

#[tokio::test]
async fn r_enr_4_refunded_cash_no_longer_qualifies_for_enrolment() {
    let app = spawn_app().await;
    let (status, _) = app
        .sale(
            "G-1",
            None,
            json!([regular("TV", "3000.00", 2)]),
            cash("6000.00"),
            0,
        )
        .await;
    assert_eq!(status, 201);
    refunded(&app, "G-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    let (status, enrolled) = app
        .post(
            "/api/members",
            json!({ "applicant": applicant(1, ordinary_birth()), "receipts": ["G-1"] }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    assert_eq!(enrolled["qualifying_spend"], "3000.00");
    assert_eq!(enrolled["tier"], "vip");
}

#[tokio::test]
async fn r_pts_9_refund_after_a_card_exchange_takes_the_points_from_the_new_card() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("S-1", &old, "1000.00", "900.00").await;
    let (status, replaced) = app
        .post(
            &format!("/api/cards/{old}/replacement"),
            json!({ "reason": "damaged" }),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    let new = replaced["new_card"]["card_number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert_eq!(app.lookup(&new).await["balance"], 180);

    // The coat bought with the old card comes back: its 180 points leave the member's
    // live card, not the dead one (where a debt could never be repaid).
    let r = refunded(&app, "S-1", "R-1", json!([{ "index": 0, "quantity": 1 }])).await;
    assert_eq!(r["amount"], "900.00");
    assert_eq!(r["points_reversed"], 180);
    assert_eq!(r["debt_added"], 0);
    assert_eq!(
        r["card_number"],
        new.as_str(),
        "the card whose balance is shown"
    );
    assert_eq!(r["balance"], 0);
    let view = app.lookup(&new).await;
    assert_eq!(view["balance"], 0);
    assert_eq!(view["points_debt"], 0);
    let old_view = app.lookup(&old).await;
    assert_eq!(
        (&old_view["balance"], &old_view["points_debt"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test]
async fn r_pts_9_a_sale_on_file_shows_its_lines_and_what_is_left_to_refund() {
    let app = spawn_app().await;
    let card = gold_with_180_points(&app).await;
    let (status, sale) = app
        .sale(
            "S-F",
            Some(&card),
            json!([regular("COAT", "300.00", 3), regular("HAT", "100.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    refunded(&app, "S-F", "R-F1", json!([{ "index": 0, "quantity": 1 }])).await;

    // The cashier of the till the sale was rung on reads it.
    let (status, on_file) = app.get_as("C01", "T01", "/api/sales/S-F").await;
    assert_eq!(status, 200, "{on_file}");
    assert_eq!(on_file["till_id"], "T01");
    assert_eq!(on_file["card_number"], card.as_str());
    assert_eq!(on_file["payable"], "890.00");
    let lines = on_file["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (&lines[0]["sku"], &lines[0]["class"], &lines[0]["quantity"]),
        (&json!("COAT"), &json!("regular"), &json!(3))
    );
    assert_eq!(lines[0]["unit_price"], "300.00");
    assert_eq!(lines[0]["paid"], sale["quote"]["lines"][0]["paid"]);
    assert_eq!(lines[0]["refunded_quantity"], 1);
    assert_eq!(lines[1]["refunded_quantity"], 0);
    assert_eq!(on_file["print_jobs"], json!([sale["print"][0]["job_id"]]));

    // Another till's cashier does not see it; an unknown or malformed number is refused.
    let (status, refused) = app.get_as("C01", "T02", "/api/sales/S-F").await;
    assert_eq!(
        (status, refused["permission"].as_str()),
        (403, Some("refund.any_till")),
        "{refused}"
    );
    assert_refused(
        &app.get_as("C01", "T01", "/api/sales/NO-SUCH").await,
        404,
        None,
        Some("receipt_no"),
    );
    assert_refused(
        &app.get_as("C01", "T01", "/api/sales/bad*no").await,
        400,
        None,
        Some("receipt_no"),
    );
}

#[tokio::test]
async fn a_refund_over_the_limit_asks_for_a_supervisors_pin_by_its_code() {
    let app = spawn_app().await;
    app.guest_cash_sale("G-9", "2500.00").await;
    let (status, refused) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales/G-9/refunds",
            json!({ "refund_no": "R-9", "till_id": "T01", "lines": [{ "index": 0, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (
            status,
            refused["code"].as_str(),
            refused["permission"].as_str()
        ),
        (
            403,
            Some("supervisor_pin_required"),
            Some("refund.over_limit")
        ),
        "{refused}"
    );
}
