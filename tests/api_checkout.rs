//! Checkout over HTTP: quotes and commits priced by the server (R-DSC, R-PAY-1, R-PTS-1..5),
//! idempotent receipts, request-shape refusals that name the field, nothing half-written
//! after a refusal, and concurrent redemptions on one card (R-PTS-7).

mod common;

use common::*;
use serde_json::{json, Value};
use tokio::task::JoinSet;

/// Nobody's birthday in these tests unless asked (the app starts on 2026-03-10).
fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

/// The committed rows a refusal must not leave behind.
async fn written(app: &TestApp) -> [i64; 5] {
    [
        app.count("sales").await,
        app.count("sale_lines").await,
        app.count("sale_tenders").await,
        app.count("points_ledger").await,
        app.outbox_changes().await,
    ]
}

/// A gold card holding 180 points redeemable today: ¥1,000 bought on 2026-03-10, now the 11th.
async fn gold_with_180_points(app: &TestApp) -> String {
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("EARN-1", &card, "1000.00", "900.00").await;
    app.set_day(day(2026, 3, 11));
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 180);
    assert_eq!(view["redeemable_today"], 180);
    card
}

#[tokio::test]
async fn r_dsc_1_tier_discount_and_r_pts_1_points_per_tier_over_http() {
    let app = spawn_app().await;
    let cases = [
        ("300.00", "vip", "950.00", "50.00", 95),
        ("6000.00", "gold", "900.00", "100.00", 180),
        ("10000.00", "platinum", "880.00", "120.00", 264),
    ];
    for (n, (spend, tier, payable, discount, points)) in (1u32..).zip(cases) {
        let card = app.enrol_card(n, spend, ordinary_birth()).await;
        let basket = json!({ "card_number": card, "lines": [regular("COAT", "1000.00", 1)] });
        let (status, quote) = app.post("/api/quotes", basket).await;
        assert_eq!(status, 200, "{quote}");
        assert_eq!(quote["tier"], tier);
        assert_eq!(quote["gross_total"], "1000.00");
        assert_eq!(quote["discount_total"], discount);
        assert_eq!(quote["payable"], payable);
        assert_eq!(quote["points_earned"], points);
        assert_eq!(quote["lines"][0]["benefit"], "tier");

        let (status, sale) = app
            .sale(
                &format!("S-{n}"),
                Some(&card),
                json!([regular("COAT", "1000.00", 1)]),
                cash(payable),
                0,
            )
            .await;
        assert_eq!(status, 201, "{sale}");
        assert_eq!(sale["tier"], tier);
        assert_eq!(sale["quote"]["payable"], payable);
        assert_eq!(sale["points"]["earned"], points);
        assert_eq!(sale["points"]["balance"], points);
        assert_eq!(sale["points"]["usable_from"], "2026-03-11");
        assert_eq!(app.lookup(&card).await["balance"], points);
    }
}

#[tokio::test]
async fn r_pay_1_tenders_not_settling_the_server_total_are_refused() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let before = written(&app).await;
    // The till thinks the coat costs the full ¥1,000; the server prices it at ¥900 for gold.
    let answer = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("1000.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PAY-1"), Some("tenders"));
    let answer = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            json!([]),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PAY-1"), Some("tenders"));
    assert_eq!(written(&app).await, before, "a refused sale writes nothing");
    assert_eq!(app.lookup(&card).await["balance"], 0);
    // The receipt number was not burnt by the refusals.
    app.card_sale("S-1", &card, "1000.00", "900.00").await;
}

#[tokio::test]
async fn same_receipt_same_body_replays_the_first_answer_once() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let first = app.card_sale("S-1", &card, "1000.00", "900.00").await;
    let after_first = written(&app).await;
    app.clock.advance(chrono::Duration::minutes(5));
    let (status, again) = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("GOODS", "1000.00", 1)]),
            cash("900.00"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(first["print"][0]["state"], "printed", "{first}");
    assert_eq!(
        print_outcomes(&again),
        print_outcomes(&first),
        "a replay answers the receipt's print outcome, not `[]`: {again}"
    );
    assert_eq!(
        receipt_only(again),
        receipt_only(first.clone()),
        "the very first answer, committed_at included"
    );
    assert_eq!(
        written(&app).await,
        after_first,
        "no second sale, ledger entry or outbox row"
    );
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 180, "points not doubled");
    assert_eq!(app.ledger_sum(&card).await, 180);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_receipt_sent_by_five_tills_at_once_is_one_sale() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let sales_before = app.count("sales").await;
    let mut retries = JoinSet::new();
    for _ in 0..5 {
        let (client, url, card) = (app.client.clone(), app.url("/api/sales"), card.clone());
        let token = app.token("S01", "lounge").await;
        retries.spawn(async move {
            let body = json!({ "receipt_no": "S-1", "till_id": "T01", "card_number": card,
                               "lines": [regular("COAT", "1000.00", 1)], "tenders": cash("900.00") });
            let r = client.post(url).bearer_auth(token).json(&body).send().await.expect("request");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = retries.join_next().await {
        answers.push(done.expect("task"));
    }
    assert!(
        answers.iter().all(|(status, body)| *status == 201
            && receipt_only(body.clone()) == receipt_only(answers[0].1.clone())),
        "{answers:?}"
    );
    assert_eq!(app.count("sales").await, sales_before + 1);
    assert_eq!(app.lookup(&card).await["balance"], 180);
    assert_eq!(app.ledger_sum(&card).await, 180);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sales_on_one_card_each_answer_the_balance_after_them() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    // Each is priced before it is queued, on the card as it was read; the ones committed
    // after another sale on the card are priced again at commit.
    let mut tills = JoinSet::new();
    for i in 0..12 {
        let (client, url, card) = (app.client.clone(), app.url("/api/sales"), card.clone());
        let token = app.token("S01", "lounge").await;
        tills.spawn(async move {
            let body = json!({ "receipt_no": format!("P-{i}"), "till_id": "T01", "card_number": card,
                               "lines": [regular("COAT", "1000.00", 1)], "tenders": cash("900.00") });
            let r = client.post(url).bearer_auth(token).json(&body).send().await.expect("request");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        });
    }
    let mut balances = Vec::new();
    while let Some(done) = tills.join_next().await {
        let (status, body) = done.expect("till task");
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["points"]["earned"], 180, "{body}");
        balances.push(body["points"]["balance"].as_i64().expect("balance"));
    }
    balances.sort_unstable();
    assert_eq!(balances, (1..=12).map(|n| n * 180).collect::<Vec<_>>());
    assert_eq!(app.ledger_sum(&card).await, 12 * 180);
}

#[tokio::test]
async fn same_receipt_different_body_is_a_409_on_receipt_no() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("S-1", &card, "1000.00", "900.00").await;
    let before = written(&app).await;
    let answer = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("GOODS", "2000.00", 1)]),
            cash("1800.00"),
            0,
        )
        .await;
    assert_refused(&answer, 409, None, Some("receipt_no"));
    // A guest sale reusing a member's receipt number is just as much a different body.
    let answer = app
        .sale(
            "S-1",
            None,
            json!([regular("GOODS", "1000.00", 1)]),
            cash("1000.00"),
            0,
        )
        .await;
    assert_refused(&answer, 409, None, Some("receipt_no"));
    assert_eq!(written(&app).await, before);
    assert_eq!(app.lookup(&card).await["balance"], 180);
}

#[tokio::test]
async fn r_pts_4_150_points_refused_over_http() {
    let app = spawn_app().await;
    let card = gold_with_180_points(&app).await;
    let before = written(&app).await;
    let answer = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("885.00"),
            150,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-4"), Some("redeem_points"));
    let answer = app.post("/api/quotes", json!({ "card_number": card, "lines": [regular("COAT", "1000.00", 1)], "redeem_points": 150 })).await;
    assert_refused(&answer, 422, Some("R-PTS-4"), Some("redeem_points"));
    // More than the redeemable balance.
    let answer = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("880.00"),
            200,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-4"), Some("redeem_points"));
    assert_eq!(written(&app).await, before);

    // 100 points pay ¥10: 900 − 10 = 890 payable, which earns 178.
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["quote"]["redeem_value"], "10.00");
    assert_eq!(sale["quote"]["payable"], "890.00");
    assert_eq!(sale["points"]["redeemed"], 100);
    assert_eq!(sale["points"]["earned"], 178);
    assert_eq!(sale["points"]["balance"], 258);
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 258);
    assert_eq!(view["redeemable_today"], 80);
}

#[tokio::test]
async fn r_pts_4_guest_cannot_redeem() {
    let app = spawn_app().await;
    let answer = app
        .sale(
            "G-1",
            None,
            json!([regular("COAT", "100.00", 1)]),
            cash("90.00"),
            100,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-4"), Some("redeem_points"));
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test]
async fn r_pts_5_points_earned_today_redeemable_from_tomorrow() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let sale = app.card_sale("S-1", &card, "1000.00", "900.00").await;
    assert_eq!(sale["points"]["usable_from"], "2026-03-11");
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 180);
    assert_eq!(view["redeemable_today"], 0);
    let (status, quote) = app
        .post(
            "/api/quotes",
            json!({ "card_number": card, "lines": [regular("COAT", "1000.00", 1)] }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(quote["max_redeemable_points"], 0);
    let answer = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-5"), Some("redeem_points"));

    app.set_day(day(2026, 3, 11));
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 180);
    assert_eq!(view["redeemable_today"], 180);
    let (_, quote) = app
        .post(
            "/api/quotes",
            json!({ "card_number": card, "lines": [regular("COAT", "1000.00", 1)] }),
        )
        .await;
    assert_eq!(quote["max_redeemable_points"], 100);
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
}

#[tokio::test]
async fn r_pay_1_non_cash_tender_removes_the_discount_and_scales_points() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let tenders = json!([{ "kind": "gift_voucher", "amount": "200.00" }, { "kind": "cash", "amount": "800.00" }]);
    let (status, quote) = app.post("/api/quotes", json!({ "card_number": card, "lines": [regular("COAT", "1000.00", 1)], "tenders": tenders })).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["payable"], "1000.00");
    assert_eq!(quote["non_cash_tender"], true);
    // Tendering the discounted ¥900 no longer settles: the voucher took the discount away.
    let answer = app.sale("S-1", Some(&card), json!([regular("COAT", "1000.00", 1)]), json!([{ "kind": "gift_voucher", "amount": "200.00" }, { "kind": "cash", "amount": "700.00" }]), 0).await;
    assert_refused(&answer, 422, Some("R-PAY-1"), Some("tenders"));

    let (status, sale) = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            tenders,
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["quote"]["discount_total"], "0.00");
    assert_eq!(sale["quote"]["payable"], "1000.00");
    assert_eq!(sale["quote"]["lines"][0]["benefit"], "non_cash_tender");
    // Points on the cash part only: ¥800 of ¥1,000 → 80 steps × 2.
    assert_eq!(sale["points"]["earned"], 160);
    assert_eq!(app.lookup(&card).await["balance"], 160);
}

#[tokio::test]
async fn r_pay_1_unknown_tender_kind_is_refused_by_name() {
    let app = spawn_app().await;
    let answer = app
        .sale(
            "G-1",
            None,
            json!([regular("COAT", "100.00", 1)]),
            json!([{ "kind": "bitcoin", "amount": "100.00" }]),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PAY-1"), Some("tenders[0].kind"));
}

#[tokio::test]
async fn r_dsc_4_group_purchase_gets_no_discount_and_no_points() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    // ¥5,000 and 5 items: a group purchase.
    let (status, sale) = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("SUIT", "1000.00", 5)]),
            cash("5000.00"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["quote"]["group_purchase"], true);
    assert_eq!(sale["quote"]["discount_total"], "0.00");
    assert_eq!(sale["quote"]["payable"], "5000.00");
    assert_eq!(sale["quote"]["lines"][0]["benefit"], "group_purchase");
    assert_eq!(sale["points"]["earned"], 0);
    // Same amount in 4 items is not a group purchase.
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("SUIT", "1250.00", 4)]),
            cash("4500.00"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["quote"]["group_purchase"], false);
    assert_eq!(sale["points"]["earned"], 900);
    assert_eq!(app.lookup(&card).await["balance"], 900);
}

#[tokio::test]
async fn r_dsc_3_birthday_rates_on_the_members_birthday() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", day(1980, 3, 10)).await;
    assert_eq!(app.lookup(&card).await["birthday_today"], true);
    let lines = json!([
        regular("COAT", "1000.00", 1),
        { "sku": "SCARF", "class": "special_c", "unit_price": "100.00", "quantity": 1 },
        { "sku": "BAG", "class": "sale", "unit_price": "600.00", "original_unit_price": "1000.00", "quantity": 1 },
        { "sku": "WATCH", "class": "special_a", "unit_price": "100.00", "quantity": 1 },
    ]);
    // Gold birthday: regular ×0.88, special C ×0.90, sale at ≥ 50% ×0.95, special A none.
    let (status, sale) = app
        .sale("S-1", Some(&card), lines.clone(), cash("1640.00"), 0)
        .await;
    assert_eq!(status, 201, "{sale}");
    let q = &sale["quote"];
    assert_eq!(q["birthday"], true);
    let nets: Vec<&Value> = (0..4).map(|i| &q["lines"][i]["net"]).collect();
    assert_eq!(nets, ["880.00", "90.00", "570.00", "100.00"]);
    let benefits: Vec<&Value> = (0..4).map(|i| &q["lines"][i]["benefit"]).collect();
    assert_eq!(benefits, ["birthday", "birthday", "birthday_sale", "none"]);
    assert_eq!(q["payable"], "1640.00");
    // Regular pool 880 + 570 → 145 × 2; special pool 90 + 100 → 3 × 2.
    assert_eq!(sale["points"]["earned"], 296);

    // The day after, the same basket is priced at the tier rate again.
    app.set_day(day(2026, 3, 11));
    let (_, quote) = app
        .post(
            "/api/quotes",
            json!({ "card_number": card, "lines": lines }),
        )
        .await;
    assert_eq!(quote["birthday"], false);
    assert_eq!(quote["lines"][0]["net"], "900.00");
    assert_eq!(quote["lines"][1]["net"], "100.00");
    assert_eq!(quote["lines"][2]["net"], "600.00");
}

#[tokio::test]
async fn r_rep_2_blocked_card_is_refused_for_a_sale() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let (status, body) = app
        .post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = written(&app).await;
    let answer = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("900.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), Some("card_number"));
    let answer = app
        .sale(
            "S-1",
            Some(&card),
            json!([regular("COAT", "1000.00", 1)]),
            cash("1000.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), Some("card_number"));
    assert_eq!(written(&app).await, before);
}

#[tokio::test]
async fn guest_sale_without_a_card_pays_full_price_and_earns_nothing() {
    let app = spawn_app().await;
    let (status, sale) = app
        .sale(
            "G-1",
            None,
            json!([regular("COAT", "1000.00", 1), regular("TIE", "99.90", 2)]),
            cash("1199.80"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["card_number"], Value::Null);
    assert_eq!(sale["tier"], Value::Null);
    assert_eq!(sale["points"], Value::Null);
    assert_eq!(sale["quote"]["gross_total"], "1199.80");
    assert_eq!(sale["quote"]["payable"], "1199.80");
    assert_eq!(sale["staff_id"], "S01");
    assert_eq!(sale["business_day"], "2026-03-10");
    assert_eq!(app.count("sales").await, 1);
    assert_eq!(app.count("points_ledger").await, 0);
}

#[tokio::test]
async fn unknown_card_is_404_and_a_mistyped_number_400() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    // Same length, last digit changed: fails the Luhn check.
    let last = card
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .expect("digit");
    let mistyped = format!("{}{}", &card[..card.len() - 1], (last + 1) % 10);
    let answer = app
        .sale(
            "S-1",
            Some(&mistyped),
            json!([regular("COAT", "100.00", 1)]),
            cash("95.00"),
            0,
        )
        .await;
    assert_refused(&answer, 400, None, Some("card_number"));
    let answer = app.get(&format!("/api/cards/{mistyped}")).await;
    assert_refused(&answer, 400, None, Some("card_number"));
    // Well formed, but never issued.
    let unknown = member_kiosk::domain::card_number::CardNumber::compose("88", "0001", 99_999_999)
        .expect("number");
    let answer = app.get(&format!("/api/cards/{}", unknown.as_str())).await;
    assert_refused(&answer, 404, None, Some("card_number"));
    let answer = app
        .sale(
            "S-1",
            Some(unknown.as_str()),
            json!([regular("COAT", "100.00", 1)]),
            cash("100.00"),
            0,
        )
        .await;
    assert_refused(&answer, 404, None, Some("card_number"));
    assert_eq!(app.count("sales").await, 1);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_raw(
            "/api/sales",
            r#"{"receipt_no": "S-1", "lines": ["#,
            Some("S01"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["rule"], Value::Null);
    let (status, _) = app
        .post_raw("/api/sales", "not json at all", Some("S01"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test]
async fn unknown_field_is_422_naming_the_field() {
    let app = spawn_app().await;
    let body = json!({ "receipt_no": "S-1", "till_id": "T01", "lines": [regular("COAT", "100.00", 1)],
                       "tenders": cash("100.00"), "total": "1.00" });
    let answer = app.post("/api/sales", body).await;
    assert_refused(&answer, 422, None, Some("total"));
    let body = json!({ "receipt_no": "S-1", "till_id": "T01",
                       "lines": [{ "sku": "A", "class": "regular", "unit_price": "1.00", "quantity": 1, "discount": "0.50" }],
                       "tenders": cash("1.00") });
    let answer = app.post("/api/sales", body).await;
    assert_refused(&answer, 422, None, Some("lines[0].discount"));
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test]
async fn negative_quantity_is_422_on_lines_0_quantity() {
    let app = spawn_app().await;
    let body = json!({ "receipt_no": "S-1", "till_id": "T01",
                       "lines": [{ "sku": "A", "class": "regular", "unit_price": "100.00", "quantity": -1 }],
                       "tenders": cash("100.00") });
    let answer = app.post("/api/sales", body).await;
    assert_refused(&answer, 422, None, Some("lines[0].quantity"));
    let answer = app
        .sale(
            "S-1",
            None,
            json!([regular("A", "100.00", 0)]),
            cash("100.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-DSC-6"), Some("lines[0].quantity"));
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test]
async fn r_dsc_6_price_with_three_decimals_is_422_on_the_line() {
    let app = spawn_app().await;
    let answer = app
        .sale(
            "S-1",
            None,
            json!([regular("A", "10.00", 1), regular("B", "9.995", 1)]),
            cash("19.99"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-DSC-6"), Some("lines[1].unit_price"));
    let answer = app
        .sale(
            "S-1",
            None,
            json!([regular("A", "10.00", 1)]),
            cash("10.001"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-DSC-6"), Some("tenders[0].amount"));
    let answer = app
        .sale(
            "S-1",
            None,
            json!([regular("A", "-10.00", 1)]),
            cash("10.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-DSC-6"), Some("lines[0].unit_price"));
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test]
async fn a_sale_without_a_session_is_401_on_the_authorization_header() {
    let app = spawn_app().await;
    let body = json!({ "receipt_no": "S-1", "till_id": "T01", "lines": [regular("A", "10.00", 1)], "tenders": cash("10.00") }).to_string();
    let answer = app.post_raw("/api/sales", &body, None).await;
    assert_refused(&answer, 401, None, Some("Authorization"));
    let forged = app
        .client
        .post(app.url("/api/sales"))
        .header("content-type", "application/json")
        .bearer_auth("0".repeat(64))
        .body(body.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(app.count("sales").await, 0);
    let (status, _) = app.post_raw("/api/sales", &body, Some("S01")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn bad_receipt_number_is_400_on_receipt_no() {
    let app = spawn_app().await;
    let answer = app
        .sale(
            "S 1; DROP",
            None,
            json!([regular("A", "10.00", 1)]),
            cash("10.00"),
            0,
        )
        .await;
    assert_refused(&answer, 400, None, Some("receipt_no"));
    assert_eq!(app.count("sales").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_pts_7_concurrent_redemptions_never_overdraw_the_card() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    // ¥5,000 in one item (not a group purchase) → 4,500 paid → 900 points, redeemable tomorrow.
    app.card_sale("EARN-1", &card, "5000.00", "4500.00").await;
    app.set_day(day(2026, 3, 11));
    assert_eq!(app.lookup(&card).await["redeemable_today"], 900);
    let sales_before = app.count("sales").await;

    // 40 tills at once, each redeeming 100 points on a ¥100 item: 90 − 10 = 80 payable.
    let mut tills = JoinSet::new();
    for i in 0..40 {
        let (client, url, card) = (app.client.clone(), app.url("/api/sales"), card.clone());
        let token = app.token("S01", "lounge").await;
        tills.spawn(async move {
            let body = json!({ "receipt_no": format!("C-{i}"), "till_id": "T01", "card_number": card,
                               "lines": [regular("ITEM", "100.00", 1)], "tenders": cash("80.00"), "redeem_points": 100 });
            let r = client.post(url).bearer_auth(token).json(&body).send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("json"))
        });
    }
    let (mut committed, mut refused) = (0, 0);
    while let Some(done) = tills.join_next().await {
        let (status, body) = done.expect("till task");
        match status {
            201 => {
                committed += 1;
                assert_eq!(body["points"]["redeemed"], 100);
                assert_eq!(body["points"]["earned"], 16);
                assert!(body["points"]["balance"].as_i64().expect("balance") >= 0);
            }
            422 => {
                refused += 1;
                // Only today's earnings are left: they pay from tomorrow.
                assert_eq!(body["rule"], "R-PTS-5", "{body}");
                assert_eq!(body["field"], "redeem_points");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((committed, refused), (9, 31));
    assert_eq!(app.count("sales").await, sales_before + 9);
    let view = app.lookup(&card).await;
    // 900 − 9 × 100 redeemed + 9 × 16 earned today (not redeemable until tomorrow).
    assert_eq!(view["balance"], 144);
    assert_eq!(view["redeemable_today"], 0);
    assert_eq!(app.ledger_sum(&card).await, 144);
    assert!(app.lowest_running_balance(&card).await >= 0);
}

#[tokio::test]
async fn a_retry_writing_amounts_differently_is_the_same_sale() {
    let app = spawn_app().await;
    let body = |price: &str, paid: &str| {
        json!({ "receipt_no": "T01-77", "till_id": "T01",
                "lines": [{ "sku": "A", "class": "regular", "unit_price": price, "quantity": 1 }],
                "tenders": [{ "kind": "cash", "amount": paid }] })
    };
    let (first, receipt) = app.post("/api/sales", body("900.0", "900.0")).await;
    assert_eq!(first, 201, "{receipt}");
    assert_eq!(receipt["tenders"][0]["amount"], "900.00");
    let (again, replay) = app.post("/api/sales", body("900.00", "900")).await;
    assert_eq!(again, 201, "{replay}");
    assert_eq!(receipt_only(replay), receipt_only(receipt));
    assert_eq!(app.count("sales").await, 1);
}

#[tokio::test]
async fn wrong_method_and_bad_query_answer_in_json() {
    let app = spawn_app().await;
    let (status, body) = app
        .send(reqwest::Method::DELETE, "/api/sales", json!({}))
        .await;
    assert_eq!(status, 405);
    assert!(body["error"].is_string(), "{body}");
    let (status, body) = app.get("/api/birthdays?date=not-a-day").await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "date");
}

/// The print outcomes of an answer, without the operator's message (a replay can't know
/// whether the paper was running low when it printed).
fn print_outcomes(answer: &Value) -> Vec<Value> {
    answer["print"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| json!([o["job_id"], o["state"], o["fault"], o["preview"]]))
        .collect()
}

#[tokio::test]
async fn replayed_sale_answers_the_receipt_print_outcome_as_it_stands_now() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    // The spool can't be written (a file is where its folder should be): the print fails.
    let spool = app.dir.path().join("spool");
    let _ = std::fs::remove_dir_all(&spool);
    std::fs::write(&spool, b"not a folder").expect("block the spool");
    let first = app.card_sale("S-1", &card, "1000.00", "900.00").await;
    assert_eq!(first["print"][0]["state"], "failed", "{first}");
    let job_id = first["print"][0]["job_id"].as_i64().expect("job id");
    let jobs = app.count("print_jobs").await;

    let retry = || {
        app.sale(
            "S-1",
            Some(&card),
            json!([regular("GOODS", "1000.00", 1)]),
            cash("900.00"),
            0,
        )
    };
    let (status, again) = retry().await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["print"][0]["job_id"], job_id, "{again}");
    assert_eq!(again["print"][0]["state"], "failed", "{again}");
    assert_eq!(again["print"][0]["fault"], first["print"][0]["fault"]);
    assert_eq!(again["print"][0]["message"], first["print"][0]["message"]);
    assert_eq!(print_outcomes(&again), print_outcomes(&first));

    // The operator fixes the printer and retries the job; the till's next retry sees it printed.
    std::fs::remove_file(&spool).expect("unblock the spool");
    let (status, retried) = app
        .post(&format!("/api/print-jobs/{job_id}/retry"), json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["state"], "printed", "{retried}");
    let (status, later) = retry().await;
    assert_eq!(status, 201, "{later}");
    assert_eq!(later["print"][0]["job_id"], job_id, "{later}");
    assert_eq!(later["print"][0]["state"], "printed", "{later}");
    assert_eq!(later["print"][0]["fault"], Value::Null, "{later}");
    assert_eq!(later["print"][0]["preview"], first["print"][0]["preview"]);
    assert_eq!(receipt_only(later), receipt_only(first));
    assert_eq!(
        app.count("print_jobs").await,
        jobs,
        "a replay prints nothing"
    );
}

#[tokio::test]
async fn r_pts_5_redeeming_points_earned_today_is_refused_naming_r_pts_5() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    app.card_sale("EARN-1", &card, "1000.00", "900.00").await;
    assert_eq!(app.lookup(&card).await["balance"], 180);
    let lines = json!([regular("GOODS", "500.00", 1)]);
    let answers = [
        app.post(
            "/api/quotes",
            json!({ "card_number": card, "lines": lines, "redeem_points": 100 }),
        )
        .await,
        app.sale("S-2", Some(&card), lines.clone(), cash("440.00"), 100)
            .await,
    ];
    for answer in &answers {
        assert_refused(answer, 422, Some("R-PTS-5"), Some("redeem_points"));
        let message = answer.1["error"].as_str().unwrap_or_default();
        assert!(!message.contains("gift"), "{message}");
    }
    // From the next day they pay.
    app.set_day(day(2026, 3, 11));
    let (status, sale) = app
        .sale("S-2", Some(&card), lines, cash("440.00"), 100)
        .await;
    assert_eq!(status, 201, "{sale}");
}

/// A sale answer without its `print` outcomes: the part that is stored and replayed.
fn receipt_only(mut answer: Value) -> Value {
    if let Some(map) = answer.as_object_mut() {
        map.remove("print");
    }
    answer
}
