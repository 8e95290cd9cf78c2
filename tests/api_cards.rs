//! Cards over HTTP: enrolment (R-ENR-1..7) with the two-phase card write, upgrade
//! (R-UPG-1..4), loss reports and replacement cards (R-REP-1..6), and member data
//! (R-SVC-1/3: contact changes, masked personal data).

mod common;

use common::*;
use member_kiosk::card::reader::ReaderError;
use member_kiosk::card::record::CardContent;
use serde_json::{json, Value};

fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

async fn enrol_with(app: &TestApp, applicant: Value, receipts: &[&str]) -> (u16, Value) {
    app.post(
        "/api/members",
        json!({ "applicant": applicant, "receipts": receipts }),
    )
    .await
}

async fn active_cards(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE state = 'active'")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("count")
}

async fn report_loss(app: &TestApp, card: &str) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "loss report: {body}");
    body
}

async fn replace(app: &TestApp, card: &str, reason: &str) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/cards/{card}/replacement"),
            json!({ "reason": reason }),
        )
        .await;
    assert_eq!(status, 200, "replacement: {body}");
    body
}

// ---- enrolment ----------------------------------------------------------------------------

#[tokio::test]
async fn r_enr_1_applicant_under_18_is_refused() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "300.00").await;
    // Turns 18 tomorrow.
    let answer = enrol_with(&app, applicant(1, day(2008, 3, 11)), &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-1"), Some("applicant.birth_date"));
    assert_eq!(app.count("members").await, 0);
    assert_eq!(app.count("cards").await, 0);
    // 18 today: accepted, with the receipt the refusal did not consume.
    let (status, body) = enrol_with(&app, applicant(2, day(2008, 3, 10)), &["Q-1"]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["tier"], "vip");
}

#[tokio::test]
async fn r_enr_2_bad_id_checksum_is_refused_on_the_number() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "300.00").await;
    let good = prc_id(ordinary_birth(), 1);
    let wrong_check = if good.ends_with('0') { '1' } else { '0' };
    let bad = format!("{}{wrong_check}", &good[..17]);
    let mut person = applicant(1, ordinary_birth());
    person["id_document"]["number"] = json!(bad);
    let answer = enrol_with(&app, person.clone(), &["Q-1"]).await;
    assert_refused(
        &answer,
        422,
        Some("R-ENR-2"),
        Some("applicant.id_document.number"),
    );
    assert!(
        !answer.1.to_string().contains(&bad),
        "the refusal must not echo the ID number: {}",
        answer.1
    );
    // A valid number whose embedded birth date differs from the one entered.
    person["id_document"]["number"] = json!(prc_id(day(1980, 5, 2), 1));
    let answer = enrol_with(&app, person, &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-2"), Some("applicant.birth_date"));
    assert_eq!(app.count("members").await, 0);
}

#[tokio::test]
async fn r_enr_3_same_person_cannot_enrol_twice() {
    let app = spawn_app().await;
    app.enrol(1, "300.00", ordinary_birth()).await;
    app.guest_cash_sale("Q-2", "6000.00").await;
    // Same ID document, typed in lower case with spaces around it.
    let mut again = applicant(1, ordinary_birth());
    again["id_document"]["number"] =
        json!(format!(" {} ", prc_id(ordinary_birth(), 1).to_lowercase()));
    let answer = enrol_with(&app, again, &["Q-2"]).await;
    assert_refused(&answer, 422, Some("R-ENR-3"), Some("applicant.id_document"));
    assert_eq!(app.count("cards").await, 1);
    assert_eq!(app.count("members").await, 1);
    assert_eq!(
        app.count("qualifying_receipts").await,
        1,
        "Q-2 is still unused"
    );
}

#[tokio::test]
async fn r_enr_4_same_day_cash_spend_decides_the_tier() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "299.99").await;
    let answer = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    assert_eq!(
        app.count("members").await,
        0,
        "nothing kept of a refused enrolment"
    );

    // Receipts add up: 299.99 + 0.01 reaches VIP.
    app.guest_cash_sale("Q-1b", "0.01").await;
    let (status, vip) = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1", "Q-1b"]).await;
    assert_eq!(status, 201, "{vip}");
    assert_eq!(
        (&vip["tier"], &vip["qualifying_spend"]),
        (&json!("vip"), &json!("300.00"))
    );

    let gold = app.enrol(2, "6000.00", ordinary_birth()).await;
    assert_eq!(gold["tier"], "gold");
    let platinum = app.enrol(3, "10000.00", ordinary_birth()).await;
    assert_eq!(
        (&platinum["tier"], &platinum["qualifying_spend"]),
        (&json!("platinum"), &json!("10000.00"))
    );
    assert_eq!(platinum["card"]["tier"], "platinum");
}

#[tokio::test]
async fn r_enr_4_only_the_cash_part_counts() {
    let app = spawn_app().await;
    let tenders = json!([{ "kind": "gift_voucher", "amount": "200.00" }, { "kind": "mobile_wallet", "amount": "250.00" }]);
    let (status, _) = app
        .sale(
            "Q-1",
            None,
            json!([regular("COAT", "450.00", 1)]),
            tenders,
            0,
        )
        .await;
    assert_eq!(status, 201);
    let answer = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    app.guest_cash_sale("Q-2", "50.00").await;
    let (status, body) = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1", "Q-2"]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["qualifying_spend"], "300.00");
}

#[tokio::test]
async fn r_enr_4_a_receipt_qualifies_one_enrolment_only() {
    let app = spawn_app().await;
    app.enrol(1, "6000.00", ordinary_birth()).await;
    let answer = enrol_with(&app, applicant(2, ordinary_birth()), &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    // The same receipt twice in one application.
    app.guest_cash_sale("Q-2", "200.00").await;
    let answer = enrol_with(&app, applicant(2, ordinary_birth()), &["Q-2", "Q-2"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    // A receipt the store never recorded.
    let answer = enrol_with(&app, applicant(2, ordinary_birth()), &["NO-SUCH"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    assert_eq!(app.count("members").await, 1);
    assert_eq!(app.count("cards").await, 1);
}

#[tokio::test]
async fn r_enr_4_a_receipt_from_yesterday_is_refused() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    app.set_day(day(2026, 3, 11));
    let answer = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1"]).await;
    assert_refused(&answer, 422, Some("R-ENR-4"), Some("receipts"));
    assert_eq!(app.count("cards").await, 0);
}

#[tokio::test]
async fn r_enr_6_welcome_gift_for_gold_and_platinum_only() {
    let app = spawn_app().await;
    let vip = app.enrol(1, "300.00", ordinary_birth()).await;
    let gold = app.enrol(2, "6000.00", ordinary_birth()).await;
    let platinum = app.enrol(3, "10000.00", ordinary_birth()).await;
    assert_eq!(vip["welcome_gift"], false);
    assert_eq!(gold["welcome_gift"], true);
    assert_eq!(platinum["welcome_gift"], true);
    let gifts: Vec<String> = sqlx::query_scalar(
        "SELECT card_number FROM service_grants WHERE kind = 'welcome_gift' ORDER BY id",
    )
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("grants");
    assert_eq!(
        gifts,
        [TestApp::card_number(&gold), TestApp::card_number(&platinum)]
    );
}

#[tokio::test]
async fn r_enr_7_card_valid_for_a_year_less_a_day() {
    let app = spawn_app().await;
    let enrolled = app.enrol(1, "300.00", ordinary_birth()).await;
    assert_eq!(enrolled["card"]["valid_from"], "2026-03-10");
    assert_eq!(enrolled["card"]["expiry"], "2027-03-09");
    assert_eq!(enrolled["card"]["state"], "active");
    assert_eq!(enrolled["card"]["usable"], true);
    let card = TestApp::card_number(&enrolled);
    app.set_day(day(2027, 3, 9));
    assert_eq!(app.lookup(&card).await["usable"], true);
    app.set_day(day(2027, 3, 10));
    let view = app.lookup(&card).await;
    assert_eq!(view["usable"], false);
    assert_eq!(view["unusable"]["reason"], "expired");
    assert_eq!(view["unusable"]["rule"], "R-ENR-7");
}

#[tokio::test]
async fn card_write_failure_voids_the_reservation_and_keeps_the_receipt() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    app.cards.fail_next(ReaderError::Removed);
    let answer = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1"]).await;
    assert_refused(&answer, 409, None, Some("card"));
    assert!(
        answer.1["error"]
            .as_str()
            .unwrap_or_default()
            .contains("insert it again"),
        "{}",
        answer.1
    );

    let voided: Vec<(String, String)> = sqlx::query_as("SELECT number, state FROM cards")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("cards");
    assert_eq!(voided.len(), 1);
    let (failed, state) = &voided[0];
    assert_eq!(state, "void");
    let view = app.lookup(failed).await;
    assert_eq!(view["state"], "void");
    assert_eq!(view["usable"], false);
    assert_eq!(view["unusable"]["reason"], "not_issued");
    assert_eq!(active_cards(&app).await, 0);
    assert_eq!(
        app.count("qualifying_receipts").await,
        0,
        "the receipt was not consumed"
    );
    assert_eq!(
        app.count("service_grants").await,
        0,
        "no welcome gift for a card never issued"
    );
    let answer = app
        .sale(
            "S-1",
            Some(failed),
            json!([regular("COAT", "100.00", 1)]),
            cash("100.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-ENR-3"), Some("card_number"));

    // The retry with the same receipt succeeds under a new number.
    let (status, retry) = enrol_with(&app, applicant(1, ordinary_birth()), &["Q-1"]).await;
    assert_eq!(status, 201, "{retry}");
    assert_eq!(retry["tier"], "gold");
    let issued = TestApp::card_number(&retry);
    assert_ne!(&issued, failed, "a voided number is never reused");
    assert_eq!(app.cards.writes(), 1);
    // The card handed to the member carries the issued number, verified under the issuer key.
    let card = app.cards.handed_out(&issued).expect("card handed out");
    app.cards.insert("checkout-1", card);
    let read = member_kiosk::card::reader::CardReader::read(app.cards.as_ref(), "checkout-1")
        .expect("read");
    match read.seen {
        member_kiosk::card::reader::CardSeen::Iso(CardContent::Record { current, .. }) => {
            assert_eq!(current.identity.card_number, issued);
            assert_eq!(current.seq, 1);
        }
        other => panic!("expected a record, got {other:?}"),
    }
    assert_eq!(active_cards(&app).await, 1);
    assert_eq!(app.count("members").await, 1);
    assert_eq!(app.lookup(failed).await["state"], "void");
}

// ---- upgrade ------------------------------------------------------------------------------

#[tokio::test]
async fn r_upg_1_vip_with_1000_earned_points_upgrades_to_gold() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "300.00", ordinary_birth()).await;
    // VIP ×0.95: ¥10,520 → 9,994 paid → 999 points, one short.
    app.card_sale("S-1", &old, "10520.00", "9994.00").await;
    assert_eq!(app.lookup(&old).await["upgrade_points"], 999);
    let answer = app
        .post(&format!("/api/cards/{old}/upgrade"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-UPG-1"), None);
    assert_eq!(
        app.count("cards").await,
        1,
        "a refused upgrade reserves no number"
    );

    app.card_sale("S-2", &old, "20.00", "19.00").await;
    app.set_day(day(2026, 3, 12));
    let (status, up) = app
        .post(&format!("/api/cards/{old}/upgrade"), json!({}))
        .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!((&up["from"], &up["to"]), (&json!("vip"), &json!("gold")));
    assert_eq!(up["old_card_number"], old.as_str());
    assert_eq!(up["points_moved"], 1000);
    let new = up["new_card"]["card_number"]
        .as_str()
        .expect("new number")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(up["new_card"]["tier"], "gold");
    assert_eq!(up["new_card"]["generation"], 2);
    assert_eq!(up["new_card"]["valid_from"], "2026-03-12");
    assert_eq!(up["new_card"]["expiry"], "2027-03-11");

    // R-UPG-2: the old card is invalid at once; R-UPG-4: the balance moved.
    let old_view = app.lookup(&old).await;
    assert_eq!(old_view["state"], "replaced");
    assert_eq!(old_view["usable"], false);
    assert_eq!(old_view["replaced_by"], new.as_str());
    assert_eq!(old_view["balance"], 0);
    let new_view = app.lookup(&new).await;
    assert_eq!(new_view["usable"], true);
    assert_eq!(new_view["balance"], 1000);
    assert_eq!(new_view["redeemable_today"], 1000);
    assert_eq!(
        new_view["upgrade_points"], 0,
        "the count toward platinum starts again"
    );
    assert_eq!(app.ledger_sum(&old).await, 0);
    assert_eq!(app.ledger_sum(&new).await, 1000);

    let answer = app
        .sale(
            "S-3",
            Some(&old),
            json!([regular("COAT", "1000.00", 1)]),
            cash("950.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-5"), Some("card_number"));
    let answer = app
        .post(&format!("/api/cards/{old}/upgrade"), json!({}))
        .await;
    assert_refused(&answer, 422, Some("R-UPG-2"), None);
    // The new card prices at gold.
    app.card_sale("S-3", &new, "1000.00", "900.00").await;
}

#[tokio::test]
async fn r_upg_1_redemptions_do_not_lower_the_count() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    app.card_sale("S-1", &card, "10520.00", "9994.00").await;
    app.set_day(day(2026, 3, 11));
    // Spend 900 points: the 999 earned still count toward the upgrade.
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&card),
            json!([regular("COAT", "100.00", 1)]),
            cash("5.00"),
            900,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["points"]["earned"], 0);
    let view = app.lookup(&card).await;
    assert_eq!(view["balance"], 99);
    assert_eq!(view["upgrade_points"], 999);
    app.card_sale("S-3", &card, "20.00", "19.00").await;
    let (status, up) = app
        .post(&format!("/api/cards/{card}/upgrade"), json!({}))
        .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["points_moved"], 100);
}

// ---- loss and replacement -----------------------------------------------------------------

#[tokio::test]
async fn r_rep_2_loss_report_blocks_at_once_and_the_lookup_says_why() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let report = report_loss(&app, &card).await;
    assert_eq!(report["reported_on"], "2026-03-10");
    assert_eq!(report["deadline"], "2026-03-17");
    assert_eq!(report["card"]["state"], "blocked");
    let view = app.lookup(&card).await;
    assert_eq!(view["state"], "blocked");
    assert_eq!(view["usable"], false);
    assert_eq!(view["redeemable_today"], 0);
    assert_eq!(
        view["unusable"],
        json!({ "reason": "blocked", "rule": "R-REP-2", "message": "card reported lost and blocked" })
    );

    let answer = app
        .post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), None);
    let answer = app
        .post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "pigeon" }),
        )
        .await;
    assert_refused(&answer, 400, None, Some("channel"));
    let hotlist: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE topic = 'card.loss_reported' AND entity_id = ?1",
    )
    .bind(&card)
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("count");
    assert_eq!(
        hotlist, 1,
        "one loss-report event (the hotlist entry) for the other stores"
    );
}

#[tokio::test]
async fn r_rep_1_vip_replacement_costs_10_new_number_valid_tomorrow() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "300.00", ordinary_birth()).await;
    app.card_sale("S-1", &old, "1000.00", "950.00").await;
    report_loss(&app, &old).await;
    app.set_day(day(2026, 3, 12));
    let replaced = replace(&app, &old, "lost").await;
    assert_eq!(replaced["fee"], "10.00");
    assert_eq!(replaced["fee_waived"], false);
    assert_eq!(replaced["late"], false);
    assert_eq!(replaced["points_moved"], 95);
    let new = replaced["new_card"]["card_number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert_ne!(new, old);

    // R-REP-5: valid from tomorrow, same card year.
    let view = app.lookup(&new).await;
    assert_eq!(view["valid_from"], "2026-03-13");
    assert_eq!(view["expiry"], "2027-03-09");
    assert_eq!(view["usable"], false);
    assert_eq!(view["unusable"]["reason"], "pending");
    assert_eq!(view["unusable"]["rule"], "R-REP-5");
    assert_eq!(view["balance"], 95);
    let answer = app
        .sale(
            "S-2",
            Some(&new),
            json!([regular("COAT", "100.00", 1)]),
            cash("95.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-5"), Some("card_number"));

    app.set_day(day(2026, 3, 13));
    let view = app.lookup(&new).await;
    assert_eq!(view["usable"], true);
    assert_eq!(view["balance"], 95);
    assert_eq!(view["redeemable_today"], 95);
    app.card_sale("S-2", &new, "100.00", "95.00").await;

    // R-REP-6: the found old card stays refused.
    let old_view = app.lookup(&old).await;
    assert_eq!(old_view["state"], "blocked");
    assert_eq!(old_view["replaced_by"], new.as_str());
    assert_eq!(old_view["balance"], 0);
    let answer = app
        .sale(
            "S-3",
            Some(&old),
            json!([regular("COAT", "100.00", 1)]),
            cash("95.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), Some("card_number"));
    let answer = app
        .post(
            &format!("/api/cards/{old}/replacement"),
            json!({ "reason": "lost" }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-2"), None);
    let (_, overdue) = app.get("/api/loss-reports/overdue").await;
    assert_eq!(overdue, json!([]), "a completed report needs no follow-up");
}

#[tokio::test]
async fn r_rep_3_gold_replaces_a_damaged_card_free() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "6000.00", ordinary_birth()).await;
    let replaced = replace(&app, &old, "damaged").await;
    assert_eq!(replaced["fee"], "0.00");
    let new = replaced["new_card"]["card_number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(replaced["new_card"]["tier"], "gold");
    assert_eq!(replaced["new_card"]["valid_from"], "2026-03-11");
    let old_view = app.lookup(&old).await;
    assert_eq!(old_view["state"], "replaced");
    assert_eq!(old_view["usable"], false);
    let answer = app
        .sale(
            "S-1",
            Some(&old),
            json!([regular("COAT", "100.00", 1)]),
            cash("90.00"),
            0,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-5"), Some("card_number"));
}

#[tokio::test]
async fn r_rep_1_supervisor_can_waive_the_vip_fee() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let path = format!("/api/cards/{old}/replacement");
    let waive = json!({ "reason": "damaged", "waive_fee": true });
    // The desk clerk asks; without a supervisor's PIN the waiver is refused, naming it.
    let (status, refused) = app.post_as("D01", "desk", &path, waive.clone()).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["permission"], "fee.waive");
    let (status, replaced) = app
        .request_as(
            "D01",
            "desk",
            reqwest::Method::POST,
            &path,
            Some(waive),
            &[("x-supervisor", "S02"), ("x-supervisor-pin", common::PIN)],
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["fee"], "0.00");
    assert_eq!(replaced["fee_waived"], true);
}

#[tokio::test]
async fn r_rep_2_loss_report_not_completed_in_7_days_is_listed_for_follow_up() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    report_loss(&app, &card).await;
    app.set_day(day(2026, 3, 17));
    let (status, overdue) = app.get("/api/loss-reports/overdue").await;
    assert_eq!(status, 200);
    assert_eq!(overdue, json!([]), "day 7 is still inside the deadline");
    app.set_day(day(2026, 3, 18));
    let (_, overdue) = app.get("/api/loss-reports/overdue").await;
    assert_eq!(overdue.as_array().map(Vec::len), Some(1), "{overdue}");
    assert_eq!(overdue[0]["card_number"], card.as_str());
    assert_eq!(overdue[0]["reported_on"], "2026-03-10");
    assert_eq!(overdue[0]["deadline"], "2026-03-17");
    assert_eq!(overdue[0]["completed_on"], Value::Null);
    // Whom to call: the member's name and phone in full.
    assert_eq!(overdue[0]["member_name"], "会员1");
    assert_eq!(overdue[0]["phone"], "13900000001");
    // Never unblocked by itself; a late completion is allowed and marked.
    assert_eq!(app.lookup(&card).await["state"], "blocked");
    let replaced = replace(&app, &card, "lost").await;
    assert_eq!(replaced["late"], true);
    let (_, overdue) = app.get("/api/loss-reports/overdue").await;
    assert_eq!(overdue, json!([]));
}

// ---- member data --------------------------------------------------------------------------

#[tokio::test]
async fn r_svc_3_contact_update_changes_the_phone_shown_masked() {
    let app = spawn_app().await;
    let enrolled = app.enrol(1, "300.00", ordinary_birth()).await;
    let member = enrolled["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let desk_path = format!("/api/members/{member}");
    let (status, view) = app.get_as("D01", "desk", &desk_path).await;
    assert_eq!(status, 200);
    assert_eq!(view["phone"], "139****0001");

    let (status, updated) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/members/{member}/contact"),
            json!({ "phone": "138-1234-5678" }),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["personal_data"], "full",
        "a supervisor sees it in full"
    );
    let (_, view) = app.get_as("D01", "desk", &desk_path).await;
    assert_eq!(view["phone"], "138****5678");
    assert_eq!(view["name"], "会员1");

    let answer = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/members/{member}/contact"),
            json!({ "phone": "12345" }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-ENR-5"), Some("phone"));
    let (_, view) = app.get_as("D01", "desk", &desk_path).await;
    assert_eq!(
        view["phone"], "138****5678",
        "a refused change changes nothing"
    );
    let changes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'member.contact_changed'")
            .fetch_one(&app.kiosk.db.reader)
            .await
            .expect("count");
    assert_eq!(changes, 1);

    let answer = app
        .send(
            reqwest::Method::PATCH,
            "/api/members/no-such-member/contact",
            json!({ "phone": "13812345678" }),
        )
        .await;
    assert_refused(&answer, 404, None, Some("member_id"));
}

#[tokio::test]
async fn r_svc_1_member_record_is_masked_except_for_roles_that_need_it() {
    let app = spawn_app().await;
    let enrolled = app.enrol(7, "300.00", ordinary_birth()).await;
    let member = enrolled["member_id"].as_str().expect("member id");
    let id_number = prc_id(ordinary_birth(), 7);
    let path = format!("/api/members/{member}");
    let (status, view) = app.get_as("D01", "desk", &path).await;
    assert_eq!(status, 200);
    assert_eq!(
        view["id_number"],
        format!("110***********{}", &id_number[14..])
    );
    assert_eq!(view["phone"], "139****0007");
    // The lounge enrols and serves members: it sees the record in full.
    let (status, view) = app.get_as("L01", "lounge", &path).await;
    assert_eq!(status, 200);
    assert_eq!(view["id_number"], id_number);
    assert_eq!(view["phone"], "13900000007");
    assert_eq!(view["personal_data"], "full");
}

#[tokio::test]
async fn r_pts_5_points_earned_today_stay_unredeemable_after_a_same_day_upgrade() {
    let app = spawn_app().await;
    let old = app.enrol_card(1, "300.00", ordinary_birth()).await;
    // VIP ×0.95: ¥10,540 → ¥10,013 paid → 1,001 points, all earned today.
    app.card_sale("S-1", &old, "10540.00", "10013.00").await;
    let (status, up) = app
        .post(&format!("/api/cards/{old}/upgrade"), json!({}))
        .await;
    assert_eq!(status, 200, "{up}");
    let new = up["new_card"]["card_number"]
        .as_str()
        .expect("new number")
        .to_owned();
    let card = app.lookup(&new).await;
    assert_eq!(
        (card["balance"].as_i64(), card["redeemable_today"].as_i64()),
        (Some(1001), Some(0))
    );
    let answer = app
        .sale(
            "S-2",
            Some(&new),
            json!([regular("COAT", "1000.00", 1)]),
            cash("800.00"),
            1000,
        )
        .await;
    assert_refused(&answer, 422, Some("R-PTS-5"), Some("redeem_points"));
    app.set_day(day(2026, 3, 11));
    assert_eq!(app.lookup(&new).await["redeemable_today"], 1001);
}
