//! The event contract on the store side (issue 11, docs/events.md): every flow driven through
//! the real API leaves its typed, versioned events in the outbox, each decodes as a known
//! event and carries the hash of its exact text; the ledger events of a card add up to its
//! balance; no payload holds an ID number or a phone in clear; a change that rolls back gives
//! its seq back (seqs stay contiguous); docs/events.md lists exactly the kinds this build writes.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use member_kiosk::domain::card_status::CardState;
use member_kiosk::domain::events::{decode, event_hash, Decoded, Event, KINDS};
use member_kiosk::domain::gift_exchange::Gift;
use member_kiosk::domain::ledger::EntryKind;
use serde_json::json;

const SUPERVISOR_PIN: [(&str, &str); 2] = [("x-supervisor", "S02"), ("x-supervisor-pin", PIN)];

fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

/// One outbox row as stored.
#[derive(Debug, Clone)]
struct Row {
    seq: i64,
    kind: String,
    version: i64,
    entity_id: String,
    payload: String,
    hash: Option<String>,
}

async fn outbox(app: &TestApp) -> Vec<Row> {
    let rows: Vec<(i64, String, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT seq, topic, version, entity_id, payload, hash FROM outbox ORDER BY seq",
    )
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("outbox");
    rows.into_iter()
        .map(|(seq, kind, version, entity_id, payload, hash)| Row {
            seq,
            kind,
            version,
            entity_id,
            payload,
            hash,
        })
        .collect()
}

async fn last_seq(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM outbox")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("max seq")
}

/// The event of a row, which must be a known one.
#[track_caller]
fn known(row: &Row) -> Event {
    let version = u32::try_from(row.version).expect("version");
    match decode(&row.kind, version, &row.payload) {
        Ok(Decoded::Known(event)) => event,
        other => panic!(
            "seq {} ({}) is not a known event: {other:?}",
            row.seq, row.kind
        ),
    }
}

/// Records the outbox rows each step writes.
struct Steps<'a> {
    app: &'a TestApp,
    mark: i64,
}

impl<'a> Steps<'a> {
    async fn new(app: &'a TestApp) -> Steps<'a> {
        Steps {
            mark: last_seq(app).await,
            app,
        }
    }

    /// The rows written since the last call, checked: at least one `staff.action` (every
    /// request is audited) and, besides those, exactly `expected` (in any order).
    async fn written(&mut self, step: &str, expected: &[&str]) -> Vec<Row> {
        let rows: Vec<Row> = outbox(self.app)
            .await
            .into_iter()
            .filter(|r| r.seq > self.mark)
            .collect();
        self.mark = rows.last().map_or(self.mark, |r| r.seq);
        assert!(
            rows.iter().any(|r| r.kind == "staff.action"),
            "{step}: its request is audited"
        );
        let mut kinds: Vec<&str> = rows
            .iter()
            .map(|r| r.kind.as_str())
            .filter(|k| *k != "staff.action")
            .collect();
        kinds.sort_unstable();
        let mut want = expected.to_vec();
        want.sort_unstable();
        assert_eq!(kinds, want, "{step}: the events written");
        rows.into_iter()
            .filter(|r| r.kind != "staff.action")
            .collect()
    }
}

fn one<'r>(rows: &'r [Row], kind: &str) -> &'r Row {
    let found: Vec<&Row> = rows.iter().filter(|r| r.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} in {rows:?}");
    found[0]
}

#[track_caller]
fn card_of(row: &Row) -> member_kiosk::domain::events::CardSnapshot {
    match known(row) {
        Event::Card(cause, changed) => {
            assert_eq!(cause.kind(), row.kind);
            assert_eq!(changed.card.number, row.entity_id, "entity is the card");
            changed.card
        }
        other => panic!("{} is not a card event: {other:?}", row.kind),
    }
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

async fn enrol_step(app: &TestApp, steps: &mut Steps<'_>, n: u32, spend: &str) -> (String, String) {
    let receipt = app.guest_cash_sale(&format!("Q-{n}"), spend).await;
    steps.written("guest sale", &["sale.committed"]).await;
    let (status, body) = app
        .post(
            "/api/members",
            json!({ "applicant": applicant(n, ordinary_birth()), "receipts": [receipt] }),
        )
        .await;
    assert_eq!(status, 201, "enrol: {body}");
    let mut expected = vec!["member.enrolled", "card.issued"];
    if body["welcome_gift"] == true {
        expected.push("service.granted");
    }
    let rows = steps.written("enrolment", &expected).await;
    let card = TestApp::card_number(&body);
    let member = body["member_id"].as_str().expect("member id").to_owned();
    // The member before its card, sealed, with its chain-wide lookups.
    let enrolled = one(&rows, "member.enrolled");
    let issued = one(&rows, "card.issued");
    assert!(enrolled.seq < issued.seq, "the member first, then its card");
    match known(enrolled) {
        Event::MemberEnrolled(m) => {
            assert_eq!(m.member.id, member);
            assert!(m.member.phone.starts_with("v1:"), "phone sealed");
            assert!(m.member.id_document.number.starts_with("v1:"), "ID sealed");
            assert!(m.member.id_lookup.is_some() && m.member.phone_lookup.is_some());
        }
        other => panic!("not an enrolment: {other:?}"),
    }
    let snapshot = card_of(issued);
    assert_eq!(
        (snapshot.number.as_str(), snapshot.member_id.as_str()),
        (card.as_str(), member.as_str())
    );
    assert_eq!(snapshot.state, CardState::Active);
    assert!(snapshot.record_seq > 0, "the written record is in the row");
    assert_eq!(snapshot.issued_store, app.kiosk.config.store_id);
    (card, member)
}

#[tokio::test]
async fn every_flow_writes_its_typed_events() {
    let app = spawn_app().await;
    let mut steps = Steps::new(&app).await;

    // A gold member: earns, redeems, is refunded, gets parking and a gift, changes phone,
    // reports the card lost, withdraws the report, replaces the card.
    let (gold, gold_member) = enrol_step(&app, &mut steps, 1, "6000.00").await;
    app.card_sale("EARN-1", &gold, "1000.00", "900.00").await;
    steps
        .written("card sale", &["sale.committed", "ledger.entry"])
        .await;
    app.set_day(day(2026, 3, 11));
    let (status, sale) = app
        .sale(
            "S-2",
            Some(&gold),
            json!([regular("COAT", "1000.00", 1)]),
            cash("890.00"),
            100,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    let rows = steps
        .written(
            "sale with redemption",
            &["sale.committed", "ledger.entry", "ledger.entry"],
        )
        .await;
    let committed = one(&rows, "sale.committed");
    assert!(
        rows.iter().all(|r| r.seq >= committed.seq),
        "the sale, then its ledger entries"
    );
    match known(committed) {
        Event::SaleCommitted(s) => {
            assert_eq!(s.receipt_no, "S-2");
            assert_eq!(s.card_number.as_deref(), Some(gold.as_str()));
            assert_eq!(s.member_id.as_deref(), Some(gold_member.as_str()));
            assert_eq!(s.redeem_points, 100);
            assert_eq!(s.redeem_amount.0.to_string(), "10.00");
            assert_eq!(s.payable.0.to_string(), "890.00");
            assert_eq!(s.cash.0.to_string(), "890.00", "the cash-like part");
            assert_eq!(s.points_earned, 178);
            assert_eq!(s.redemption, None, "no sync authority yet");
            assert_eq!(s.lines.len(), 1);
            assert_eq!(s.lines[0].redemption_points, 100);
            assert_eq!(s.tenders.len(), 1);
            assert!(s.tenders[0].cash_like);
        }
        other => panic!("not a sale: {other:?}"),
    }
    // Amounts travel as two-place strings.
    assert!(
        committed.payload.contains("\"payable\":\"890.00\""),
        "{}",
        committed.payload
    );
    let mut ledger_kinds = Vec::new();
    for row in rows.iter().filter(|r| r.kind == "ledger.entry") {
        match known(row) {
            Event::LedgerEntry(e) => {
                assert_eq!(e.receipt_no.as_deref(), Some("S-2"), "named by its receipt");
                assert_eq!(e.refund_no, None);
                assert_eq!(e.card_number, gold);
                ledger_kinds.push(e.kind);
            }
            other => panic!("not a ledger entry: {other:?}"),
        }
    }
    assert!(
        ledger_kinds.contains(&EntryKind::Redeem),
        "{ledger_kinds:?}"
    );

    let (status, refund) = app
        .request_as(
            DEFAULT_STAFF,
            "lounge",
            reqwest::Method::POST,
            "/api/sales/S-2/refunds",
            Some(json!({ "refund_no": "RF-1", "till_id": "T01", "lines": [{ "index": 0, "quantity": 1 }] })),
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 201, "refund: {refund}");
    let rows = steps
        .written("refund", &["refund.booked", "ledger.entry", "ledger.entry"])
        .await;
    match known(one(&rows, "refund.booked")) {
        Event::RefundBooked(r) => {
            assert_eq!(
                (r.refund_no.as_str(), r.receipt_no.as_str()),
                ("RF-1", "S-2")
            );
            assert_eq!(r.amount.0.to_string(), "890.00");
            assert_eq!(r.cash.0.to_string(), "890.00");
            assert_eq!((r.points_reversed, r.points_restored), (178, 100));
            assert_eq!(r.lines.len(), 1);
        }
        other => panic!("not a refund: {other:?}"),
    }
    for row in rows.iter().filter(|r| r.kind == "ledger.entry") {
        match known(row) {
            Event::LedgerEntry(e) => {
                assert_eq!(e.refund_no.as_deref(), Some("RF-1"));
                assert_eq!(e.receipt_no.as_deref(), Some("S-2"));
            }
            other => panic!("not a ledger entry: {other:?}"),
        }
    }

    // The next day: what was refunded today settles into the redeemable balance.
    app.set_day(day(2026, 3, 12));
    let (status, grant) = app
        .post(&format!("/api/cards/{gold}/parking"), json!({}))
        .await;
    assert_eq!(status, 200, "{grant}");
    let rows = steps.written("parking", &["service.granted"]).await;
    match known(&rows[0]) {
        Event::ServiceGranted(g) => {
            assert_eq!(
                (g.kind.as_str(), g.card_number.as_str()),
                ("parking", gold.as_str())
            );
            assert_eq!(g.member_id, gold_member);
        }
        other => panic!("not a grant: {other:?}"),
    }

    stock_gift(&app, "MUG", 50, 3).await;
    let (status, done) = app
        .post(
            &format!("/api/cards/{gold}/gift-exchanges"),
            json!({ "gift_code": "MUG", "quantity": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let rows = steps
        .written("gift exchange", &["gift.exchanged", "ledger.entry"])
        .await;
    match known(one(&rows, "gift.exchanged")) {
        Event::GiftExchanged(g) => {
            assert_eq!(g.kind, "gift_exchange");
            assert_eq!(g.detail["gift_code"], "MUG");
        }
        other => panic!("not a gift exchange: {other:?}"),
    }

    let (status, view) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/members/{gold_member}/contact"),
            json!({ "phone": "138-1234-5678" }),
        )
        .await;
    assert_eq!(status, 200, "contact change: {view}");
    let rows = steps
        .written(
            "contact change",
            &["member.changed", "member.contact_changed"],
        )
        .await;
    match known(one(&rows, "member.contact_changed")) {
        Event::ContactChanged(c) => {
            assert_eq!(c.member_id, gold_member);
            assert_eq!(c.fields, ["phone"]);
        }
        other => panic!("not a contact change: {other:?}"),
    }
    match known(one(&rows, "member.changed")) {
        Event::MemberChanged(m) => assert!(m.member.phone.starts_with("v1:")),
        other => panic!("not a member change: {other:?}"),
    }

    let (status, report) = app
        .post(
            &format!("/api/cards/{gold}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "loss report: {report}");
    let rows = steps.written("loss report", &["card.loss_reported"]).await;
    assert_eq!(
        card_of(&rows[0]).state,
        CardState::Blocked,
        "the hotlist entry"
    );

    let (status, view) = app
        .request_as(
            "D01",
            "desk",
            reqwest::Method::POST,
            &format!("/api/cards/{gold}/loss-report/cancellation"),
            None,
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 200, "withdrawal: {view}");
    let rows = steps
        .written("loss report withdrawal", &["card.loss_report_withdrawn"])
        .await;
    assert_eq!(
        card_of(&rows[0]).state,
        CardState::Active,
        "off the hotlist"
    );

    let (status, replaced) = app
        .post(
            &format!("/api/cards/{gold}/replacement"),
            json!({ "reason": "damaged" }),
        )
        .await;
    assert_eq!(status, 200, "replacement: {replaced}");
    let rows = steps
        .written(
            "replacement",
            &[
                "card.replaced",
                "card.issued",
                "card.replacement_fee",
                "ledger.entry",
                "ledger.entry",
            ],
        )
        .await;
    let old = card_of(one(&rows, "card.replaced"));
    let new = card_of(one(&rows, "card.issued"));
    assert_eq!(old.number, gold);
    assert_eq!(old.state, CardState::Replaced);
    assert_eq!(old.replaced_by.as_deref(), Some(new.number.as_str()));
    assert_eq!(new.replaces.as_deref(), Some(gold.as_str()));
    assert_eq!(
        card_of(one(&rows, "card.replacement_fee")).number,
        new.number
    );
    for row in rows.iter().filter(|r| r.kind == "ledger.entry") {
        match known(row) {
            Event::LedgerEntry(e) => {
                assert!(e.related_card.is_some(), "a transfer names the other card")
            }
            other => panic!("not a ledger entry: {other:?}"),
        }
    }

    // A VIP member upgrades to gold.
    let (vip, _) = enrol_step(&app, &mut steps, 2, "300.00").await;
    app.card_sale("U-1", &vip, "10520.00", "9994.00").await;
    app.card_sale("U-2", &vip, "20.00", "19.00").await;
    steps
        .written(
            "two card sales",
            &[
                "sale.committed",
                "ledger.entry",
                "sale.committed",
                "ledger.entry",
            ],
        )
        .await;
    app.set_day(day(2026, 3, 13));
    let (status, up) = app
        .post(&format!("/api/cards/{vip}/upgrade"), json!({}))
        .await;
    assert_eq!(status, 200, "upgrade: {up}");
    let rows = steps
        .written(
            "upgrade",
            &[
                "card.upgraded",
                "card.issued",
                "ledger.entry",
                "ledger.entry",
            ],
        )
        .await;
    let old = card_of(one(&rows, "card.upgraded"));
    assert_eq!(
        (old.number.as_str(), old.state),
        (vip.as_str(), CardState::Replaced)
    );
    let new = card_of(one(&rows, "card.issued"));
    assert_eq!(new.tier, member_kiosk::domain::Tier::Gold);
    assert_eq!(new.generation, 2);

    // A VIP member lapses at the annual review and is reactivated.
    let (idle, _) = enrol_step(&app, &mut steps, 3, "300.00").await;
    // Enrolled on 2026-03-13: its year ends on 2027-03-12 without a purchase.
    app.set_day(day(2027, 3, 13));
    let (status, summary) = app
        .post("/api/review", json!({ "date": "2027-03-13" }))
        .await;
    assert_eq!(status, 200, "review: {summary}");
    let rows: Vec<Row> = outbox(&app)
        .await
        .into_iter()
        .filter(|r| r.seq > steps.mark && r.kind != "staff.action")
        .collect();
    steps.mark = last_seq(&app).await;
    assert!(
        rows.iter()
            .all(|r| ["card.renewed", "card.downgraded", "card.inactivated"]
                .contains(&r.kind.as_str())),
        "the review writes card terms only: {rows:?}"
    );
    let lapsed = rows
        .iter()
        .find(|r| r.entity_id == idle)
        .expect("the idle card's review event");
    assert_eq!(lapsed.kind, "card.inactivated");
    assert_eq!(card_of(lapsed).state, CardState::Inactive);
    app.set_day(day(2027, 3, 20));
    app.guest_cash_sale("R-200", "200.00").await;
    steps.written("guest sale", &["sale.committed"]).await;
    let (status, view) = app
        .post(
            &format!("/api/cards/{idle}/reactivation"),
            json!({ "receipts": ["R-200"] }),
        )
        .await;
    assert_eq!(status, 200, "reactivation: {view}");
    let rows = steps.written("reactivation", &["card.reactivated"]).await;
    assert_eq!(card_of(&rows[0]).state, CardState::Active);

    check_contract(&app, &[1, 2, 3], &["13812345678"]).await;
}

/// What must hold of a whole outbox: seqs 1..n without a gap, every row a known event of
/// the current version whose hash is over its exact text, the ledger events of each card
/// summing to its balance, and no ID number or phone (of applicants `people`, or `phones`)
/// in clear in any payload.
async fn check_contract(app: &TestApp, people: &[u32], phones: &[&str]) {
    let rows = outbox(app).await;
    assert!(!rows.is_empty());
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let contiguous: Vec<i64> = (1..=i64::try_from(rows.len()).expect("count")).collect();
    assert_eq!(seqs, contiguous, "seqs contiguous from 1");
    let mut ledger: HashMap<String, i64> = HashMap::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.version, 1, "seq {} ({})", row.seq, row.kind);
        assert!(
            KINDS
                .iter()
                .any(|(k, v)| *k == row.kind && i64::from(*v) == row.version),
            "{} v{} is in the kind table",
            row.kind,
            row.version
        );
        assert_eq!(
            row.hash.as_deref(),
            Some(event_hash(&row.kind, 1, &row.payload).as_str()),
            "hash of seq {} ({})",
            row.seq,
            row.kind
        );
        let event = known(row);
        assert_eq!(event.kind(), row.kind);
        // The stored text is the canonical encoding of the event it decodes to.
        let again = event.encode().expect("encodes");
        assert_eq!(again.payload, row.payload, "seq {} is canonical", row.seq);
        if let Event::LedgerEntry(e) = &event {
            *ledger.entry(e.card_number.clone()).or_default() += e.points;
        }
        *kinds.entry(row.kind.clone()).or_default() += 1;
    }
    let cards: Vec<(String, String)> = sqlx::query_as("SELECT number, state FROM cards")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("cards");
    for (card, state) in &cards {
        let balance = app.ledger_sum(card).await;
        assert_eq!(
            ledger.get(card).copied().unwrap_or(0),
            balance,
            "the ledger events of {card} sum to its balance"
        );
        if state == "active" {
            assert_eq!(
                app.lookup(card).await["balance"],
                balance,
                "{card} as the API shows it"
            );
        }
    }
    let mut secrets: Vec<String> = phones.iter().map(|p| (*p).to_owned()).collect();
    for &n in people {
        secrets.push(format!("139{n:08}"));
        secrets.push(prc_id(ordinary_birth(), n));
    }
    for row in &rows {
        for secret in &secrets {
            assert!(
                !row.payload.contains(secret.as_str()),
                "seq {} ({}) holds {secret} in clear",
                row.seq,
                row.kind
            );
        }
    }
    eprintln!("outbox checked: {} rows, {kinds:?}", rows.len());
}

#[tokio::test]
async fn a_change_that_rolls_back_leaves_no_event_and_gives_its_seq_back() {
    let app = spawn_app().await;
    app.guest_cash_sale("G-1", "100.00").await;
    let before = last_seq(&app).await;
    let event = known(
        outbox(&app)
            .await
            .iter()
            .find(|r| r.kind == "sale.committed")
            .expect("a sale event"),
    );
    let now = app.kiosk.clock.now();
    let store = app.kiosk.config.store_id.clone();

    // A whole transaction rolled back after its event was written.
    {
        let mut tx = app.kiosk.db.writer.begin().await.expect("begin");
        member_kiosk::store::outbox::record(&mut tx, &store, "rolled-back", &event, now)
            .await
            .expect("record");
        let seq: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM outbox")
            .fetch_one(&mut *tx)
            .await
            .expect("seq");
        assert_eq!(seq, before + 1);
        tx.rollback().await.expect("rollback");
    }
    // A savepoint rolled back inside a transaction that commits (what the group-commit
    // writer does with a refused sale in a batch).
    {
        let mut tx = app.kiosk.db.writer.begin().await.expect("begin");
        member_kiosk::store::outbox::record(&mut tx, &store, "kept-1", &event, now)
            .await
            .expect("record");
        {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await.expect("savepoint");
            member_kiosk::store::outbox::record(&mut savepoint, &store, "refused", &event, now)
                .await
                .expect("record");
            savepoint.rollback().await.expect("rollback savepoint");
        }
        member_kiosk::store::outbox::record(&mut tx, &store, "kept-2", &event, now)
            .await
            .expect("record");
        tx.commit().await.expect("commit");
    }
    // A request refused by the rules writes nothing but its audit row.
    let changes = app.outbox_changes().await;
    let answer = app
        .sale(
            "G-2",
            None,
            json!([regular("COAT", "100.00", 1)]),
            cash("99.00"),
            0,
        )
        .await;
    assert_eq!(answer.0, 422, "tenders that don't settle: {}", answer.1);
    assert_eq!(app.outbox_changes().await, changes);
    app.guest_cash_sale("G-3", "100.00").await;

    let rows = outbox(&app).await;
    let entities: Vec<&str> = rows.iter().map(|r| r.entity_id.as_str()).collect();
    assert!(!entities.contains(&"rolled-back") && !entities.contains(&"refused"));
    let kept: Vec<i64> = rows
        .iter()
        .filter(|r| r.entity_id.starts_with("kept-"))
        .map(|r| r.seq)
        .collect();
    assert_eq!(
        kept,
        [before + 1, before + 2],
        "the rolled-back seqs are given back"
    );
    check_contract(&app, &[], &[]).await;
}

#[tokio::test]
async fn a_row_from_before_the_contract_is_kept_as_unknown() {
    let app = spawn_app().await;
    // As an older version wrote it: no version, no hash.
    sqlx::query(
        "INSERT INTO outbox (store_id, topic, entity_id, payload, created_at) \
         VALUES ('0001', 'hotlist', '8800010000000018', '{\"reason\":\"lost\"}', '2025-01-01T00:00:00Z')",
    )
    .execute(&app.kiosk.db.writer)
    .await
    .expect("legacy row");
    let rows = outbox(&app).await;
    let legacy = rows
        .iter()
        .find(|r| r.kind == "hotlist")
        .expect("legacy row");
    assert_eq!((legacy.version, legacy.hash.as_deref()), (0, None));
    assert_eq!(
        decode(&legacy.kind, 0, &legacy.payload).expect("kept"),
        Decoded::Unknown
    );
    // The row is as fixed as any other.
    let edit = sqlx::query("UPDATE outbox SET version = 1 WHERE topic = 'hotlist'")
        .execute(&app.kiosk.db.writer)
        .await;
    assert!(edit.is_err(), "outbox rows are immutable, version included");
}

#[test]
fn docs_events_md_lists_exactly_the_kinds_this_build_writes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md"))
        .expect("docs/events.md");
    // Entries are headings: "### `kind` — version N".
    let mut documented: Vec<(String, u32)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("### `") else {
            continue;
        };
        let (kind, tail) = rest.split_once('`').expect("closing backtick");
        let version = tail
            .split("version ")
            .nth(1)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no version in heading: {line}"));
        documented.push((kind.to_owned(), version));
    }
    let mut expected: Vec<(String, u32)> =
        KINDS.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    expected.sort();
    let mut sorted = documented.clone();
    sorted.sort();
    assert_eq!(
        sorted, expected,
        "docs/events.md lists exactly domain::events::KINDS"
    );
    sorted.dedup();
    assert_eq!(sorted.len(), documented.len(), "each kind once");
}
