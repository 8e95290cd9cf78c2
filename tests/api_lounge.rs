//! Lounge and back office over HTTP: parking and birthday gifts (R-SRV-1/2), the greeting
//! list (R-SRV-3), gift exchange for points (R-PTS-6), the annual review (R-EXP-1/3/4),
//! reactivation (R-EXP-2) and the OpenAPI document.

mod common;

use common::*;
use member_kiosk::domain::gift_exchange::Gift;
use serde_json::{json, Value};

fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

async fn stock_gift(app: &TestApp, code: &str, points_price: i64, stock: i64) {
    let gift = Gift {
        code: code.into(),
        name: format!("Gift {code}"),
        points_price,
        stock,
        available_from: day(2026, 1, 1),
        available_until: day(2026, 12, 31),
    };
    let mut conn = app.kiosk.db.writer.acquire().await.expect("writer");
    member_kiosk::store::gifts::upsert(&mut conn, &gift)
        .await
        .expect("upsert gift");
}

async fn gift_stock(app: &TestApp, code: &str) -> Value {
    let (status, gifts) = app.get("/api/gifts").await;
    assert_eq!(status, 200);
    gifts
        .as_array()
        .expect("list")
        .iter()
        .find(|g| g["code"] == code)
        .map(|g| g["stock"].clone())
        .unwrap_or(Value::Null)
}

async fn exchange(app: &TestApp, card: &str, gift: &str, quantity: u32) -> (u16, Value) {
    app.post(
        &format!("/api/cards/{card}/gift-exchanges"),
        json!({ "gift_code": gift, "quantity": quantity }),
    )
    .await
}

async fn review(app: &TestApp, date: &str) -> Value {
    let (status, summary) = app.post("/api/review", json!({ "date": date })).await;
    assert_eq!(status, 200, "review: {summary}");
    summary
}

fn counts(summary: &Value) -> (i64, i64, i64) {
    let n = |k: &str| summary[k].as_i64().expect("count");
    (n("renewed"), n("downgraded"), n("inactivated"))
}

// ---- parking, birthday gift, greetings ----------------------------------------------------

#[tokio::test]
async fn r_srv_1_gold_gets_2_parking_tickets_once_a_day() {
    let app = spawn_app().await;
    let gold = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let (status, grant) = app
        .post(&format!("/api/cards/{gold}/parking"), json!({}))
        .await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(
        (&grant["kind"], &grant["quantity"], &grant["tier"]),
        (&json!("parking"), &json!(2), &json!("gold"))
    );
    assert_eq!(grant["business_day"], "2026-03-10");
    let answer = app
        .post(&format!("/api/cards/{gold}/parking"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-1"), None);
    app.set_day(day(2026, 3, 11));
    let (status, grant) = app
        .post(&format!("/api/cards/{gold}/parking"), json!({}))
        .await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(grant["quantity"], 2);

    let platinum = app.enrol_card(2, "10000.00", ordinary_birth()).await;
    let (_, grant) = app
        .post(&format!("/api/cards/{platinum}/parking"), json!({}))
        .await;
    assert_eq!(grant["quantity"], 3);
}

#[tokio::test]
async fn r_srv_1_vip_gets_no_parking_tickets() {
    let app = spawn_app().await;
    let vip = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let answer = app
        .post(&format!("/api/cards/{vip}/parking"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-1"), None);
    assert_eq!(app.count("service_grants").await, 0);
}

#[tokio::test]
async fn r_srv_1_blocked_card_gets_no_parking() {
    let app = spawn_app().await;
    let gold = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let (status, _) = app
        .post(
            &format!("/api/cards/{gold}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200);
    let answer = app
        .post(&format!("/api/cards/{gold}/parking"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), Some("card_number"));
}

#[tokio::test]
async fn r_srv_2_birthday_gift_from_the_birthday_once_a_year() {
    let app = spawn_app().await;
    let gold = app.enrol_card(1, "6000.00", day(1980, 3, 15)).await;
    let answer = app
        .post(&format!("/api/cards/{gold}/birthday-gift"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-2"), None);

    app.set_day(day(2026, 3, 15));
    let (status, grant) = app
        .post(&format!("/api/cards/{gold}/birthday-gift"), json!({}))
        .await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(
        (&grant["kind"], &grant["quantity"]),
        (&json!("birthday_gift"), &json!(1))
    );
    let answer = app
        .post(&format!("/api/cards/{gold}/birthday-gift"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-2"), None);
    app.set_day(day(2026, 3, 20));
    let answer = app
        .post(&format!("/api/cards/{gold}/birthday-gift"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-2"), None);
    let given: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM service_grants WHERE kind = 'birthday_gift'")
            .fetch_one(&app.kiosk.db.reader)
            .await
            .expect("count");
    assert_eq!(given, 1);
}

#[tokio::test]
async fn r_srv_2_vip_gets_no_birthday_gift() {
    let app = spawn_app_on(day(2026, 3, 15)).await;
    let vip = app.enrol_card(1, "300.00", day(1980, 3, 15)).await;
    let answer = app
        .post(&format!("/api/cards/{vip}/birthday-gift"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-SRV-2"), None);
}

#[tokio::test]
async fn r_srv_3_greeting_list_holds_the_members_born_on_the_day() {
    let app = spawn_app().await;
    let birthday = app.enrol(1, "300.00", day(1980, 3, 15)).await;
    app.enrol(2, "6000.00", ordinary_birth()).await;
    let leap = app.enrol(3, "300.00", day(2000, 2, 29)).await;

    let (status, list) = app.get("/api/birthdays?date=2026-03-15").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list,
        json!([{ "member_id": birthday["member_id"], "name": "会员1", "card_number": birthday["card"]["card_number"], "tier": "vip" }])
    );
    let (_, today) = app.get("/api/birthdays").await;
    assert_eq!(today, json!([]), "nobody's birthday on 2026-03-10");
    // 29 Feb birthdays are greeted on 28 Feb in a common year.
    let (_, list) = app.get("/api/birthdays?date=2027-02-28").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["member_id"], leap["member_id"]);
}

// ---- gift exchange ------------------------------------------------------------------------

#[tokio::test]
async fn r_pts_6_gift_exchange_deducts_points_and_stock() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("S-1", &card, "1000.00", "900.00").await;
    app.set_day(day(2026, 3, 11));
    stock_gift(&app, "MUG", 50, 3).await;
    stock_gift(&app, "BAG", 100, 5).await;

    let (status, done) = exchange(&app, &card, "MUG", 2).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (&done["gift_code"], &done["points"], &done["balance"]),
        (&json!("MUG"), &json!(100), &json!(80))
    );
    assert_eq!(
        (&done["kind"], &done["quantity"]),
        (&json!("gift_exchange"), &json!(2))
    );
    assert_eq!(gift_stock(&app, "MUG").await, 1);
    assert_eq!(app.lookup(&card).await["balance"], 80);

    // Below 100 the balance can't pay for goods but still buys a gift.
    let answer = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "100.00", 1)]),
            cash("80.00"),
            100,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-4"), Some("redeem_points"));
    let (status, done) = exchange(&app, &card, "MUG", 1).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["balance"], 30);
    assert_eq!(gift_stock(&app, "MUG").await, 0);

    let answer = exchange(&app, &card, "BAG", 1).await;
    assert_refused(&answer, 422, Some("R-PTS-6"), None);
    let answer = exchange(&app, &card, "MUG", 1).await;
    assert_refused(&answer, 422, Some("R-PTS-6"), Some("quantity"));
    let answer = exchange(&app, &card, "NOPE", 1).await;
    assert_refused(&answer, 404, None, Some("gift_code"));
    assert_eq!(gift_stock(&app, "BAG").await, 5);
    assert_eq!(app.lookup(&card).await["balance"], 30);
    assert_eq!(app.ledger_sum(&card).await, 30);
}

#[tokio::test]
async fn r_pts_6_gift_outside_its_campaign_window_is_refused() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("S-1", &card, "1000.00", "900.00").await;
    app.set_day(day(2027, 1, 2));
    stock_gift(&app, "MUG", 50, 3).await;
    let answer = exchange(&app, &card, "MUG", 1).await;
    assert_refused(&answer, 422, Some("R-PTS-6"), None);
    assert_eq!(gift_stock(&app, "MUG").await, 3);
    assert_eq!(app.lookup(&card).await["balance"], 180);
}

// ---- annual review and reactivation -------------------------------------------------------

#[tokio::test]
async fn r_exp_1_vip_without_a_purchase_in_its_year_becomes_inactive() {
    let app = spawn_app().await;
    let idle = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let shopper = app.enrol_card(2, "300.00", ordinary_birth()).await;
    app.card_sale("S-1", &shopper, "100.00", "95.00").await;

    app.set_day(day(2027, 3, 10));
    let summary = review(&app, "2027-03-10").await;
    assert_eq!(summary["business_day"], "2027-03-10");
    assert_eq!(counts(&summary), (1, 0, 1));
    assert_eq!(
        summary["cards"],
        json!([
            { "card_number": idle, "outcome": { "action": "inactivate", "lapsed_on": "2027-03-10" } },
            { "card_number": shopper, "outcome": { "action": "renew", "tier": "vip", "valid_from": "2027-03-10", "expiry": "2028-03-09" } },
        ])
    );
    let view = app.lookup(&idle).await;
    assert_eq!(view["state"], "inactive");
    assert_eq!(view["usable"], false);
    assert_eq!(
        view["unusable"],
        json!({ "reason": "inactive", "rule": "R-EXP-1", "message": "card inactive: no purchase for a year" })
    );
    let answer = app
        .sale(
            "S-2",
            Some(&idle),
            json!([regular("COAT", "100.00", 1)]),
            cash("95.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-EXP-1"), Some("card_number"));
    let view = app.lookup(&shopper).await;
    assert_eq!(
        (&view["state"], &view["usable"], &view["expiry"]),
        (&json!("active"), &json!(true), &json!("2028-03-09"))
    );
}

#[tokio::test]
async fn r_exp_4_running_the_review_twice_changes_nothing() {
    let app = spawn_app().await;
    let idle = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let gold = app.enrol_card(2, "6000.00", ordinary_birth()).await;
    app.set_day(day(2027, 3, 10));
    let first = review(&app, "2027-03-10").await;
    assert_eq!(counts(&first), (0, 1, 1));
    let events = app.count("card_events").await;
    let outbox = app.outbox_changes().await;
    let views = (app.lookup(&idle).await, app.lookup(&gold).await);

    let second = review(&app, "2027-03-10").await;
    assert_eq!(counts(&second), (0, 0, 0));
    assert_eq!(second["cards"], json!([]));
    assert_eq!(app.count("card_events").await, events);
    assert_eq!(app.outbox_changes().await, outbox);
    assert_eq!((app.lookup(&idle).await, app.lookup(&gold).await), views);
    // Nor does the next day's run touch the cards reviewed today.
    app.set_day(day(2027, 3, 11));
    assert_eq!(counts(&review(&app, "2027-03-11").await), (0, 0, 0));
}

#[tokio::test]
async fn r_exp_3_gold_below_10000_in_its_year_is_downgraded_to_vip() {
    let app = spawn_app().await;
    let short = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let enough = app.enrol_card(2, "6000.00", ordinary_birth()).await;
    // Gold ×0.90: ¥11,111.10 → 9,999.99 paid; ¥11,111.11 → 10,000.00.
    app.card_sale("S-1", &short, "11111.10", "9999.99").await;
    app.card_sale("S-2", &enough, "11111.11", "10000.00").await;
    let points_before = app.lookup(&short).await["balance"].clone();
    assert_eq!(points_before, 1998);

    app.set_day(day(2027, 3, 10));
    let summary = review(&app, "2027-03-10").await;
    assert_eq!(counts(&summary), (1, 1, 0));
    assert_eq!(
        summary["cards"][0]["outcome"],
        json!({ "action": "downgrade", "from": "gold", "to": "vip", "valid_from": "2027-03-10", "expiry": "2028-03-09" })
    );
    assert_eq!(summary["cards"][1]["outcome"]["action"], "renew");

    let view = app.lookup(&short).await;
    assert_eq!(
        (&view["tier"], &view["state"], &view["usable"]),
        (&json!("vip"), &json!("active"), &json!(true))
    );
    assert_eq!(view["balance"], points_before, "points are kept");
    // Now priced as VIP.
    app.card_sale("S-3", &short, "100.00", "95.00").await;
    assert_eq!(app.lookup(&enough).await["tier"], "gold");
}

#[tokio::test]
async fn review_refuses_a_future_day() {
    let app = spawn_app().await;
    let answer = app
        .post("/api/review", json!({ "date": "2026-03-11" }))
        .await;
    assert_refused(&answer, 400, None, Some("date"));
    assert_eq!(app.count("review_runs").await, 0);
}

/// An inactive VIP card, lapsed on 2027-03-10.
async fn lapsed_vip(app: &TestApp) -> String {
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    app.set_day(day(2027, 3, 10));
    assert_eq!(counts(&review(app, "2027-03-10").await), (0, 0, 1));
    card
}

#[tokio::test]
async fn r_exp_2_reactivation_within_a_month_with_200_cash_today() {
    let app = spawn_app().await;
    let card = lapsed_vip(&app).await;
    app.set_day(day(2027, 3, 20));
    app.guest_cash_sale("R-199", "199.00").await;
    let answer = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-199"] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-EXP-2"), Some("receipts"));
    assert_eq!(app.lookup(&card).await["state"], "inactive");
    assert_eq!(
        app.count("qualifying_receipts").await,
        1,
        "only the enrolment receipt is used"
    );

    app.guest_cash_sale("R-200", "200.00").await;
    let (status, view) = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-200"] }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (&view["state"], &view["usable"]),
        (&json!("active"), &json!(true))
    );
    assert_eq!(
        (&view["valid_from"], &view["expiry"]),
        (&json!("2027-03-20"), &json!("2028-03-19"))
    );
    assert_eq!(view["unusable"], Value::Null);
    app.card_sale("S-1", &card, "100.00", "95.00").await;
    let answer = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-199"] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-EXP-2"), None);
}

#[tokio::test]
async fn r_exp_2_reactivation_refused_after_the_month_and_with_old_receipts() {
    let app = spawn_app().await;
    let card = lapsed_vip(&app).await;
    app.guest_cash_sale("R-OLD", "500.00").await;
    app.set_day(day(2027, 3, 11));
    let answer = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-OLD"] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-EXP-2"), Some("receipts"));

    // Lapsed 2027-03-10: the month ends on 2027-04-10.
    app.set_day(day(2027, 4, 11));
    app.guest_cash_sale("R-LATE", "500.00").await;
    let answer = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-LATE"] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-EXP-2"), None);
    assert_eq!(app.lookup(&card).await["state"], "inactive");
}

#[tokio::test]
async fn r_exp_2_reactivation_on_the_last_day_of_the_month() {
    let app = spawn_app().await;
    let card = lapsed_vip(&app).await;
    app.set_day(day(2027, 4, 10));
    app.guest_cash_sale("R-LAST", "200.00").await;
    let (status, view) = app
        .post(
            &format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": ["R-LAST"] }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "active");
}

// ---- the API document ---------------------------------------------------------------------

#[tokio::test]
async fn openapi_document_lists_the_endpoints() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("body");
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"]["/api/sales"]["post"].is_object());
    assert!(doc["paths"]["/api/cards/{card_number}"]["get"].is_object());
    assert!(doc["paths"]["/api/sales/{receipt_no}/refunds"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn r_exp_3_spend_before_a_mid_year_replacement_counts_for_the_card_year() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("S-1", &old, "11200.00", "10080.00").await;
    app.set_day(day(2026, 6, 1));
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
    assert_eq!(
        replaced["new_card"]["expiry"], "2027-03-09",
        "same card year"
    );

    app.set_day(day(2027, 3, 10));
    let summary = review(&app, "2027-03-10").await;
    assert_eq!(counts(&summary), (1, 0, 0), "{summary}");
    let view = app.lookup(&new).await;
    assert_eq!(
        (&view["tier"], &view["expiry"]),
        (&json!("gold"), &json!("2028-03-09"))
    );
}

#[tokio::test]
async fn r_exp_1_vip_purchase_before_a_mid_year_replacement_keeps_the_card_active() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "300.00", ordinary_birth()).await;
    app.card_sale("S-1", &old, "100.00", "95.00").await;
    app.set_day(day(2026, 6, 1));
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

    app.set_day(day(2027, 3, 10));
    let summary = review(&app, "2027-03-10").await;
    assert_eq!(counts(&summary), (1, 0, 0), "{summary}");
    assert_eq!(app.lookup(&new).await["state"], "active");
}

/// R-UPG-2, R-ENR-7, R-EXP-3: the Gold card from an upgrade a month before the VIP card's
/// year ends has a year of its own, so the review at the old card's year end leaves it be.
#[tokio::test]
async fn r_upg_2_an_upgraded_card_has_its_own_year_and_is_not_reviewed_at_the_old_year_end() {
    let app = spawn_app().await;
    let vip = app.enrol_card(1, "300.00", ordinary_birth()).await;
    assert_eq!(app.lookup(&vip).await["expiry"], "2027-03-09");
    // VIP ×0.95: ¥10,540 → 10,013 paid → 1,001 points, enough for Gold (R-UPG-1).
    app.card_sale("S-1", &vip, "10540.00", "10013.00").await;
    app.set_day(day(2027, 2, 9));
    let (status, up) = app
        .post(&format!("/api/cards/{vip}/upgrade"), json!({}))
        .await;
    assert_eq!(status, 200, "{up}");
    let gold = up["new_card"]["card_number"]
        .as_str()
        .expect("new number")
        .to_owned();
    assert_eq!(up["new_card"]["valid_from"], "2027-02-09");
    assert_eq!(up["new_card"]["expiry"], "2028-02-08");

    app.set_day(day(2027, 3, 11));
    assert_eq!(counts(&review(&app, "2027-03-11").await), (0, 0, 0));
    let view = app.lookup(&gold).await;
    assert_eq!(
        view["tier"], "gold",
        "not downgraded a month after upgrading"
    );
    assert_eq!(view["expiry"], "2028-02-08");
    assert_eq!(view["usable"], true);
}

#[tokio::test]
async fn r_enr_4_receipts_presented_so_far_show_their_tier_and_claim_nothing() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "250.00").await;
    app.guest_cash_sale("Q-2", "5800.00").await;
    let check = |receipts: Value| {
        let app = &app;
        async move {
            app.post(
                "/api/members/qualifying-spend",
                json!({ "receipts": receipts }),
            )
            .await
        }
    };

    // Below the VIP threshold: no tier yet, and what VIP still needs.
    let (status, one) = check(json!(["Q-1"])).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["qualifying_spend"], "250.00");
    assert_eq!(one["tier"], Value::Null);
    assert_eq!(one["next"], json!({ "tier": "vip", "missing": "50.00" }));

    // Both: ¥6,050 reaches Gold; Platinum needs ¥3,950 more.
    let (status, both) = check(json!(["Q-1", "Q-2"])).await;
    assert_eq!(status, 200, "{both}");
    assert_eq!(both["tier"], "gold");
    assert_eq!(
        both["next"],
        json!({ "tier": "platinum", "missing": "3950.00" })
    );

    // The same refusals as enrolment, on the receipts field.
    for receipts in [json!(["NOPE"]), json!(["Q-1", "Q-1"]), json!([])] {
        let (status, refused) = check(receipts.clone()).await;
        assert_eq!(
            (status, refused["rule"].as_str()),
            (422, Some("R-ENR-4")),
            "{receipts}: {refused}"
        );
        assert_eq!(refused["field"], "receipts");
    }

    // Nothing was claimed: the receipts still enrol.
    let (status, enrolled) = app
        .post(
            "/api/members",
            json!({ "applicant": applicant(1, ordinary_birth()), "receipts": ["Q-1", "Q-2"] }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    assert_eq!(enrolled["tier"], "gold");
    // ...and once used, they are refused here too.
    let (status, used) = check(json!(["Q-2"])).await;
    assert_eq!(
        (status, used["rule"].as_str()),
        (422, Some("R-ENR-4")),
        "{used}"
    );
}

// ---- back-office reports --------------------------------------------------------------------

/// A report's `days` as (day, values of `keys`) rows.
fn report_days(report: &Value, keys: &[&str]) -> Vec<(String, Vec<Value>)> {
    report["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").to_owned(),
                keys.iter().map(|k| d[*k].clone()).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reports_count_members_card_events_and_points_by_day() {
    // A year ago: a Gold and a VIP member join; the Gold card earns 180 points.
    let app = spawn_app_on(day(2025, 3, 9)).await;
    let gold = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.enrol_card(2, "300.00", ordinary_birth()).await;
    app.card_sale("R-1", &gold, "1000.00", "900.00").await;
    // Their year ends: the review downgrades Gold (spent < ¥10,000) and lapses the unused VIP.
    app.set_day(day(2026, 3, 9));
    assert_eq!(
        counts(&review(&app, "2026-03-09").await),
        (0, 1, 1),
        "downgraded and inactivated"
    );
    // Today: the (now VIP) card pays 100 points toward a ¥1,000 sale and earns 94, then is
    // reported lost.
    app.set_day(day(2026, 3, 10));
    let (status, sale) = app
        .sale(
            "R-2",
            Some(&gold),
            json!([regular("GOODS", "1000.00", 1)]),
            cash("940.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points"]["earned"], 94, "{sale}");
    let (status, report) = app
        .post(
            &format!("/api/cards/{gold}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "{report}");

    let (status, members) = app.get("/api/reports/members").await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(members["as_of"], "2026-03-10");
    assert_eq!(members["total"], 2);
    let tier = |i: usize| {
        let t = &members["tiers"][i];
        (
            t["tier"].clone(),
            t["active"].clone(),
            t["inactive"].clone(),
            t["blocked"].clone(),
        )
    };
    assert_eq!(tier(0), (json!("vip"), json!(0), json!(1), json!(1)));
    assert_eq!(tier(1), (json!("gold"), json!(0), json!(0), json!(0)));
    assert_eq!(tier(2), (json!("platinum"), json!(0), json!(0), json!(0)));

    let (status, activity) = app
        .get("/api/reports/card-activity?from=2026-03-08&to=2026-03-10")
        .await;
    assert_eq!(status, 200, "{activity}");
    assert_eq!(
        activity["range"],
        json!({ "from": "2026-03-08", "to": "2026-03-10" })
    );
    let keys = [
        "enrolled",
        "upgraded",
        "downgraded",
        "inactivated",
        "loss_reported",
        "card_events",
    ];
    assert_eq!(
        report_days(&activity, &keys),
        vec![
            (
                "2026-03-08".into(),
                vec![json!(0), json!(0), json!(0), json!(0), json!(0), json!(0)]
            ),
            (
                "2026-03-09".into(),
                vec![json!(0), json!(0), json!(1), json!(1), json!(0), json!(2)]
            ),
            (
                "2026-03-10".into(),
                vec![json!(0), json!(0), json!(0), json!(0), json!(1), json!(1)]
            ),
        ]
    );
    // The year-old enrolments are on their own day.
    let (_, year_ago) = app
        .get("/api/reports/card-activity?from=2025-03-09&to=2025-03-09")
        .await;
    assert_eq!(year_ago["days"][0]["enrolled"], 2, "{year_ago}");

    // 180 points outstanding before the range (at ¥10 per 100 points: ¥18.00), then 100
    // redeemed and 94 earned today.
    let (status, points) = app
        .get("/api/reports/points?from=2026-03-09&to=2026-03-10")
        .await;
    assert_eq!(status, 200, "{points}");
    assert_eq!(
        report_days(&points, &["issued", "redeemed", "outstanding", "liability"]),
        vec![
            (
                "2026-03-09".into(),
                vec![json!(0), json!(0), json!(180), json!("18.00")]
            ),
            (
                "2026-03-10".into(),
                vec![json!(94), json!(100), json!(174), json!("17.40")]
            ),
        ]
    );
}

#[tokio::test]
async fn print_fault_report_counts_jobs_by_the_store_day_they_were_queued() {
    let app = spawn_app().await;
    // 23:00 store time on 9 March printed at the second attempt; 01:30 on 10 March (still 9
    // March in UTC) failed for want of paper.
    let mut conn = app.kiosk.db.writer.acquire().await.expect("writer");
    for (workstation, created_at, state, attempts, fault) in [
        ("lounge", "2026-03-09T15:00:00+00:00", "printed", 2, None),
        (
            "T01",
            "2026-03-09T17:30:00.250+00:00",
            "failed",
            1,
            Some("paper_out"),
        ),
    ] {
        sqlx::query(
            "INSERT INTO print_jobs (workstation, kind, document, created_at, state, attempts, fault)
             VALUES (?1, 'sale_receipt', '{}', ?2, ?3, ?4, ?5)",
        )
        .bind(workstation)
        .bind(created_at)
        .bind(state)
        .bind(attempts)
        .bind(fault)
        .execute(&mut *conn)
        .await
        .expect("insert print job");
    }
    drop(conn);
    let (status, report) = app
        .get("/api/reports/print-faults?from=2026-03-09&to=2026-03-10")
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report_days(&report, &["jobs", "printed_after_retry", "failed"]),
        vec![
            ("2026-03-09".into(), vec![json!(1), json!(1), json!(0)]),
            ("2026-03-10".into(), vec![json!(1), json!(0), json!(1)]),
        ]
    );
    assert_eq!(
        report["open_faults"],
        json!([{ "day": "2026-03-10", "workstation": "T01", "fault": "paper_out", "jobs": 1 }])
    );
}

#[tokio::test]
async fn reports_are_for_supervisors_over_a_bounded_range_of_past_days() {
    let app = spawn_app().await;
    for path in [
        "/api/reports/members",
        "/api/reports/card-activity",
        "/api/reports/points",
        "/api/reports/print-faults",
    ] {
        let (status, body) = app.get_as("C01", "T01", path).await;
        assert_eq!(status, 403, "cashier on {path}: {body}");
        assert_eq!(body["code"], "permission_denied", "{body}");
        assert_eq!(body["permission"], "report.daily", "{body}");
        let (status, body) = app.get(path).await;
        assert_eq!(status, 200, "supervisor on {path}: {body}");
    }
    for (path, field) in [
        ("/api/reports/points?to=2026-03-11", "to"),
        ("/api/reports/points?from=2026-03-10&to=2026-03-09", "from"),
        ("/api/reports/points?from=2025-12-08&to=2026-03-10", "from"),
        ("/api/reports/points?from=10.3.2026", "from"),
        ("/api/reports/points?form=2026-03-01", "form"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
    }
    // The longest range: 92 days.
    let (status, body) = app
        .get("/api/reports/points?from=2025-12-09&to=2026-03-10")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["days"].as_array().map(Vec::len), Some(92));
}

#[tokio::test]
async fn a_card_issue_tells_the_reader_stream_when_it_writes_and_when_the_card_is_written() {
    use member_kiosk::card::hub::ReaderEvent;
    let app = spawn_app().await;
    let mut events = app.kiosk.readers.subscribe();
    app.enrol(1, "300.00", ordinary_birth()).await;
    let mut writes = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            ReaderEvent::CardWriting { workstation } => writes.push(("writing", workstation)),
            ReaderEvent::CardWritten { workstation } => writes.push(("written", workstation)),
            _ => {}
        }
    }
    assert_eq!(
        writes,
        vec![
            ("writing", "lounge".to_owned()),
            ("written", "lounge".to_owned())
        ]
    );
}
