//! Head office against the machine's PostgreSQL (a fresh database per test, dropped after;
//! a test fails, never skips, when PostgreSQL is unreachable), served by the real binary over
//! TLS with a test CA made by `init-tls`'s code: registration and credentials, push exactly
//! once, conflicts, unknown versions, projections, the feed, redemption holds, enrolment
//! check, keys and rotation, staff sign-in, the annual review, and two head-office processes
//! ingesting at once from many concurrent pushers; a store rebuilt from head office.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use member_kiosk::domain::card_status::CardState;
use member_kiosk::domain::events::{
    CardCause, CardChanged, CardSnapshot, Event, LedgerEntry, MemberRecorded, MemberSnapshot,
    Money, SaleCommitted, SealedDocument,
};
use member_kiosk::domain::ledger::EntryKind;
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::tier::Tier;
use member_kiosk::headoffice::{self as hq, config::HqConfig};
use member_kiosk::sync::protocol::{
    ChainKeys, ChangeBody, ChangesAnswer, EnrolmentCheck, EnrolmentCheckAnswer, PushAnswer,
    PushRequest, RedemptionAnswer, RedemptionRequest, SentEvent,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::{Connection, PgPool};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

// ---------------------------------------------------------------- harness

/// A fresh database, dropped when the test ends (also when it panics).
struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> TestDb {
        let name = format!("hq_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(ADMIN_URL)
            .await
            .expect("PostgreSQL must be running at 127.0.0.1:5432 (user postgres)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        TestDb { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: a thread with its own runtime does the async drop.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            })
        })
        .join();
    }
}

/// A running `member-kiosk head-office serve` process.
struct HqProcess {
    child: Child,
    url: String,
}

impl Drop for HqProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One chain: a database, TLS files, head office's key file, a client trusting the test CA.
struct Chain {
    db: TestDb,
    pool: PgPool,
    dir: tempfile::TempDir,
    key_file: PathBuf,
    client: reqwest::Client,
}

impl Chain {
    async fn new() -> Chain {
        let db = TestDb::create().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let tls = hq::tls::init_tls(&dir.path().join("tls"), &["127.0.0.1".to_owned()])
            .expect("test CA and server certificate");
        let key_file = dir.path().join("hq-keys.toml");
        hq::keys::load_or_create(&key_file).expect("chain key file");
        let pool = hq::db::connect(
            &HqConfig {
                database_url: db.url.clone(),
                key_file: key_file.clone(),
                max_connections: 8,
            },
            true,
        )
        .await
        .expect("connect and migrate");
        let ca = std::fs::read(&tls.ca_cert).expect("ca.pem");
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA pem"))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Chain {
            db,
            pool,
            dir,
            key_file,
            client,
        }
    }

    fn tls_dir(&self) -> PathBuf {
        self.dir.path().join("tls")
    }

    fn start(&self) -> HqProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
            .args([
                "head-office",
                "--database-url",
                &self.db.url,
                "--chain-key-file",
            ])
            .arg(&self.key_file)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-review-job",
                "--tls-cert",
            ])
            .arg(self.tls_dir().join("server.pem"))
            .arg("--tls-key")
            .arg(self.tls_dir().join("server.key"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn head office");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(addr) = line.split("https://").nth(1) {
                        let _ = tx.send(addr.trim().to_owned());
                        sent = true;
                    }
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("head office printed its address");
        HqProcess {
            child,
            url: format!("https://{addr}"),
        }
    }

    async fn register(&self, store_id: &str) -> String {
        hq::credentials::register_store(&self.pool, store_id, &format!("Store {store_id}"))
            .await
            .expect("register")
            .credential
    }
}

/// A store's view of head office: base URL and credential.
#[derive(Clone)]
struct StoreClient {
    client: reqwest::Client,
    url: String,
    store_id: String,
    credential: String,
}

impl StoreClient {
    fn new(chain: &Chain, hq: &HqProcess, store_id: &str, credential: &str) -> StoreClient {
        StoreClient {
            client: chain.client.clone(),
            url: hq.url.clone(),
            store_id: store_id.to_owned(),
            credential: credential.to_owned(),
        }
    }

    async fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.credential)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.credential)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn push(&self, events: Vec<SentEvent>) -> (u16, Value) {
        let request = PushRequest {
            store_id: self.store_id.clone(),
            events,
        };
        self.post("/sync/v1/push", &request).await
    }

    async fn push_ok(&self, events: Vec<SentEvent>) -> PushAnswer {
        let (status, body) = self.push(events).await;
        assert_eq!(status, 200, "push: {body}");
        serde_json::from_value(body).expect("PushAnswer")
    }

    async fn changes(&self, after: i64, limit: i64) -> ChangesAnswer {
        let (status, body) = self
            .get(&format!("/sync/v1/changes?after={after}&limit={limit}"))
            .await;
        assert_eq!(status, 200, "changes: {body}");
        serde_json::from_value(body).expect("ChangesAnswer")
    }

    async fn all_changes(&self) -> ChangesAnswer {
        let mut after = 0;
        let mut all = Vec::new();
        loop {
            let page = self.changes(after, 1000).await;
            let done = page.next == after;
            after = page.next;
            all.extend(page.changes);
            if done {
                return ChangesAnswer {
                    changes: all,
                    next: after,
                    at: Utc::now(),
                };
            }
        }
    }
}

// ---------------------------------------------------------------- events

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0)
        .single()
        .expect("time")
}

fn sent(seq: i64, event: &Event) -> SentEvent {
    let e = event.encode().expect("encodes");
    SentEvent {
        seq,
        kind: e.kind.to_owned(),
        version: e.version,
        payload: e.payload,
        hash: e.hash,
        created_at: t(seq),
    }
}

fn numbered(events: &[Event]) -> Vec<SentEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| sent(i as i64 + 1, e))
        .collect()
}

fn ledger(ledger_seq: i64, card: &str, points: i64, receipt: Option<&str>) -> Event {
    Event::LedgerEntry(LedgerEntry {
        ledger_seq,
        card_number: card.to_owned(),
        kind: if points >= 0 {
            EntryKind::Earn
        } else {
            EntryKind::Redeem
        },
        points,
        business_day: day("2026-11-29"),
        receipt_no: receipt.map(str::to_owned),
        refund_no: None,
        related_card: None,
        staff_id: "s-1".into(),
        created_at: t(ledger_seq),
    })
}

fn snapshot(number: &str, member: &str, state: CardState, store: &str) -> CardSnapshot {
    CardSnapshot {
        number: number.to_owned(),
        member_id: member.to_owned(),
        tier: Tier::Gold,
        state,
        valid_from: day("2025-11-01"),
        expiry: day("2026-10-31"),
        lapsed_on: None,
        generation: 1,
        replaces: None,
        replaced_by: None,
        upgrade_points_carried: 0,
        points_debt: 0,
        issued_store: store.to_owned(),
        issued_on: day("2025-11-01"),
        record_seq: 1,
        record_key_id: Some(1),
    }
}

fn card(cause: CardCause, card: CardSnapshot, at: i64) -> Event {
    Event::Card(
        cause,
        CardChanged {
            card,
            staff_id: "s-1".into(),
            workstation: "desk".into(),
            business_day: day("2026-11-29"),
            at: t(at),
            detail: json!({}),
        },
    )
}

fn member(id: &str, store: &str, lookup: &str, at: i64) -> Event {
    Event::MemberEnrolled(MemberRecorded {
        member: MemberSnapshot {
            id: id.to_owned(),
            name: "v1:sealed-name".into(),
            sex: "f".into(),
            birth_date: "v1:sealed".into(),
            phone: "v1:sealed-phone".into(),
            id_document: SealedDocument {
                kind: "prc_id".into(),
                number: "v1:sealed-id".into(),
            },
            address: None,
            email: None,
            preferences: None,
            home_store: store.to_owned(),
            id_lookup: Some(lookup.to_owned()),
            phone_lookup: Some(format!("phone-{lookup}")),
        },
        staff_id: "s-1".into(),
        at: t(at),
    })
}

fn sale(receipt: &str, card: &str, cash: Decimal, business_day: NaiveDate) -> Event {
    Event::SaleCommitted(SaleCommitted {
        receipt_no: receipt.to_owned(),
        till_id: "T1".into(),
        staff_id: "s-1".into(),
        business_day,
        committed_at: t(0),
        card_number: Some(card.to_owned()),
        member_id: Some("m-1".into()),
        tier: Some(Tier::Gold),
        birthday: false,
        group_purchase: false,
        gross: Money(cash),
        discount: Money(Decimal::ZERO),
        net: Money(cash),
        redeem_points: 0,
        redeem_amount: Money(Decimal::ZERO),
        payable: Money(cash),
        cash: Money(cash),
        points_earned: 0,
        policy_version: 1,
        redemption: None,
        lines: vec![],
        tenders: vec![],
    })
}

async fn balance(pool: &PgPool, card: &str) -> i64 {
    sqlx::query_scalar("SELECT points FROM balances WHERE card_number = $1")
        .bind(card)
        .fetch_optional(pool)
        .await
        .expect("balance")
        .unwrap_or(0)
}

async fn card_state(pool: &PgPool, card: &str) -> String {
    sqlx::query_scalar("SELECT state FROM cards WHERE card_number = $1")
        .bind(card)
        .fetch_one(pool)
        .await
        .expect("card")
}

/// Signs in an hq_admin made with the library (as `add-admin` does) and returns the token.
async fn admin_token(chain: &Chain, hq_proc: &HqProcess) -> String {
    let (_, secrets) = hq::keys::load_or_create(&chain.key_file).expect("keys");
    hq::staff::add_admin(
        &chain.pool,
        Arc::new(secrets),
        "H001",
        "Admin",
        "482913".into(),
    )
    .await
    .expect("add admin");
    let r = chain
        .client
        .post(format!("{}/api/hq/sessions", hq_proc.url))
        .json(&json!({ "staff_number": "H001", "pin": "482913" }))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["role"], "hq_admin");
    body["token"].as_str().expect("token").to_owned()
}

async fn admin_get(chain: &Chain, hq_proc: &HqProcess, token: &str, path: &str) -> (u16, Value) {
    let r = chain
        .client
        .get(format!("{}{path}", hq_proc.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn a_store_needs_its_own_credential_over_tls() {
    let chain = Chain::new().await;
    let credential = chain.register("0002").await;
    let other = chain.register("0003").await;
    let hq_proc = chain.start();
    let store = StoreClient::new(&chain, &hq_proc, "0002", &credential);

    let (status, body) = store.get("/api/health").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let mut bad = store.clone();
    bad.credential = format!("0002.{}", "0".repeat(64));
    let (status, body) = bad.push(vec![]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("bad_credential"))
    );
    bad.credential = String::new();
    assert_eq!(bad.get("/sync/v1/changes").await.0, 401);

    // Store 0003's credential pushing a batch that says it is 0002's.
    let mut wrong = store.clone();
    wrong.credential = other;
    let events = numbered(&[ledger(1, "880002000000011", 10, None)]);
    let (status, body) = wrong.push(events).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_store")));

    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!(
            "{}/api/health",
            hq_proc.url.replace("https://", "http://")
        ))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.map(|r| !r.status().is_success()).unwrap_or(true),
        "plain HTTP must not be served"
    );

    // Only the credential's SHA-256 is stored.
    let stored: String =
        sqlx::query_scalar("SELECT credential_sha256 FROM stores WHERE store_id = '0002'")
            .fetch_one(&chain.pool)
            .await
            .expect("store row");
    assert_eq!(stored, hq::credentials::digest(&credential));
    assert!(!stored.contains(credential.split('.').nth(1).unwrap_or("-")));
}

#[tokio::test]
async fn a_push_is_stored_exactly_once_and_answers_the_contiguous_high_water() {
    let chain = Chain::new().await;
    let credential = chain.register("0002").await;
    let hq_proc = chain.start();
    let store = StoreClient::new(&chain, &hq_proc, "0002", &credential);
    let card = "880002000000011";
    let events: Vec<Event> = (1..=8).map(|i| ledger(i, card, 10 * i, None)).collect();
    let sent_all = numbered(&events);

    let a = store.push_ok(sent_all[..5].to_vec()).await;
    assert_eq!((a.high_water, a.inserted), (5, 5));
    // A retry of the same batch plus one more: only the new one counts.
    let a = store.push_ok(sent_all[..6].to_vec()).await;
    assert_eq!((a.high_water, a.inserted), (6, 1));
    // seq 8 without 7: stored, but the mark stays below the gap.
    let a = store.push_ok(vec![sent_all[7].clone()]).await;
    assert_eq!((a.high_water, a.inserted), (6, 1));
    let a = store.push_ok(vec![sent_all[6].clone()]).await;
    assert_eq!((a.high_water, a.inserted), (8, 1));

    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&chain.pool)
        .await
        .expect("count");
    assert_eq!(count, 8);
    assert_eq!(
        balance(&chain.pool, card).await,
        (1..=8).map(|i| 10 * i).sum::<i64>()
    );

    // A hash that does not match the payload is refused.
    let mut forged = sent(9, &ledger(9, card, 1, None));
    forged.payload = forged.payload.replace("\"points\":1", "\"points\":1000");
    let (status, body) = store.push(vec![forged]).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("bad_hash")));
}

#[tokio::test]
async fn the_same_key_with_another_hash_is_a_409_and_an_alarm_never_an_overwrite() {
    let chain = Chain::new().await;
    let credential = chain.register("0002").await;
    let hq_proc = chain.start();
    let store = StoreClient::new(&chain, &hq_proc, "0002", &credential);
    let card = "880002000000011";
    let first = sent(1, &ledger(1, card, 50, None));
    store.push_ok(vec![first.clone()]).await;
    let other = sent(1, &ledger(1, card, 70, None));
    let (status, body) = store
        .push(vec![sent(2, &ledger(2, card, 5, None)), other.clone()])
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "event_conflict");
    assert_eq!(body["seq"], 1);
    assert_eq!(body["stored_hash"], first.hash.as_str());
    assert_eq!(body["sent_hash"], other.hash.as_str());
    // Nothing of that push was kept, nothing overwritten.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT hash FROM events ORDER BY seq")
        .fetch_all(&chain.pool)
        .await
        .expect("events");
    assert_eq!(hashes, vec![first.hash.clone()]);
    assert_eq!(balance(&chain.pool, card).await, 50);

    let token = admin_token(&chain, &hq_proc).await;
    let (status, alarms) = admin_get(&chain, &hq_proc, &token, "/api/hq/alarms").await;
    assert_eq!(status, 200);
    assert_eq!(alarms[0]["code"], "event_conflict");
    assert_eq!(alarms[0]["store_id"], "0002");
    assert_eq!(alarms[0]["seq"], 1);
}

#[tokio::test]
async fn an_unknown_version_is_kept_counted_and_projects_nothing() {
    let chain = Chain::new().await;
    let credential = chain.register("0002").await;
    let hq_proc = chain.start();
    let store = StoreClient::new(&chain, &hq_proc, "0002", &credential);
    let payload = "{\"points\":5,\"future\":true}".to_owned();
    let future = SentEvent {
        seq: 1,
        kind: "ledger.entry".into(),
        version: 2,
        hash: member_kiosk::domain::events::event_hash("ledger.entry", 2, &payload),
        payload,
        created_at: t(1),
    };
    let legacy_payload = "{\"old\":1}".to_owned();
    let legacy = SentEvent {
        seq: 2,
        kind: "sale".into(),
        version: 0,
        hash: member_kiosk::domain::events::event_hash("sale", 0, &legacy_payload),
        payload: legacy_payload,
        created_at: t(2),
    };
    let answer = store.push_ok(vec![future, legacy]).await;
    assert_eq!((answer.high_water, answer.inserted), (2, 2));
    assert_eq!(store.all_changes().await.changes.len(), 0);

    let token = admin_token(&chain, &hq_proc).await;
    let (status, unknown) = admin_get(&chain, &hq_proc, &token, "/api/hq/unknown-events").await;
    assert_eq!(status, 200);
    let rows = unknown.as_array().expect("list");
    assert_eq!(rows.len(), 2, "{unknown}");
    assert!(rows
        .iter()
        .any(|r| r["kind"] == "ledger.entry" && r["version"] == 2 && r["count"] == 1));
    assert!(rows
        .iter()
        .any(|r| r["kind"] == "sale" && r["version"] == 0));
}

#[tokio::test]
async fn projections_balances_card_precedence_and_hotlist() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let c3 = chain.register("0003").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let s3 = StoreClient::new(&chain, &hq_proc, "0003", &c3);
    let number = "880002000000011";

    // Issued in 0002 with earnings; 0003 earns and redeems on it too.
    s2.push_ok(numbered(&[
        member("m-1", "0002", "lookup-1", 1),
        card(
            CardCause::Issued,
            snapshot(number, "m-1", CardState::Active, "0002"),
            2,
        ),
        ledger(1, number, 300, None),
        ledger(2, number, 45, None),
    ]))
    .await;
    s3.push_ok(numbered(&[
        ledger(1, number, 120, None),
        ledger(2, number, -200, Some("R3-1")),
    ]))
    .await;
    assert_eq!(balance(&chain.pool, number).await, 300 + 45 + 120 - 200);

    // 0003 takes a loss report; 0002 later sends an active snapshot (a rewrite): still blocked.
    s3.push_ok(vec![sent(
        3,
        &card(
            CardCause::LossReported,
            snapshot(number, "m-1", CardState::Blocked, "0002"),
            10,
        ),
    )])
    .await;
    let mut rewritten = snapshot(number, "m-1", CardState::Active, "0002");
    rewritten.record_seq = 2;
    s2.push_ok(vec![sent(5, &card(CardCause::Rewritten, rewritten, 20))])
        .await;
    assert_eq!(card_state(&chain.pool, number).await, "blocked");
    let record_seq: i64 = sqlx::query_scalar(
        "SELECT (snapshot->>'record_seq')::bigint FROM cards WHERE card_number = $1",
    )
    .bind(number)
    .fetch_one(&chain.pool)
    .await
    .expect("snapshot");
    assert_eq!(record_seq, 2, "other fields come from the newest snapshot");
    let hot: Vec<String> = sqlx::query_scalar("SELECT card_number FROM hotlist")
        .fetch_all(&chain.pool)
        .await
        .expect("hotlist");
    assert_eq!(hot, vec![number.to_owned()]);

    // A withdrawal from a store that did not take the report changes nothing…
    s2.push_ok(vec![sent(
        6,
        &card(
            CardCause::LossReportWithdrawn,
            snapshot(number, "m-1", CardState::Active, "0002"),
            30,
        ),
    )])
    .await;
    assert_eq!(card_state(&chain.pool, number).await, "blocked");
    // …from the store that took it, the card is active again, flagged as a withdrawal.
    s3.push_ok(vec![sent(
        4,
        &card(
            CardCause::LossReportWithdrawn,
            snapshot(number, "m-1", CardState::Active, "0002"),
            40,
        ),
    )])
    .await;
    assert_eq!(card_state(&chain.pool, number).await, "active");
    let feed = s2.all_changes().await;
    let last_card = feed
        .changes
        .iter()
        .rev()
        .find_map(|c| match &c.body {
            ChangeBody::Card { card, withdrawal } => Some((card.state, *withdrawal)),
            _ => None,
        })
        .expect("a card change from 0003");
    assert_eq!(last_card, (CardState::Active, true));

    // Replaced wins over everything after.
    let mut replaced = snapshot(number, "m-1", CardState::Replaced, "0002");
    replaced.replaced_by = Some("880002000000029".into());
    s2.push_ok(vec![sent(7, &card(CardCause::Replaced, replaced, 50))])
        .await;
    s3.push_ok(vec![sent(
        5,
        &card(
            CardCause::Reactivated,
            snapshot(number, "m-1", CardState::Active, "0002"),
            60,
        ),
    )])
    .await;
    assert_eq!(card_state(&chain.pool, number).await, "replaced");
}

#[tokio::test]
async fn the_feed_is_in_order_members_before_cards_and_leaves_out_the_askers_own_changes() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let c3 = chain.register("0003").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let s3 = StoreClient::new(&chain, &hq_proc, "0003", &c3);
    let number = "880002000000011";
    s2.push_ok(numbered(&[
        card(
            CardCause::Issued,
            snapshot(number, "m-1", CardState::Active, "0002"),
            2,
        ),
        member("m-1", "0002", "lookup-1", 1),
        ledger(1, number, 100, None),
    ]))
    .await;
    s3.push_ok(numbered(&[ledger(1, number, 7, None)])).await;

    let for3 = s3.all_changes().await;
    let kinds: Vec<&str> = for3
        .changes
        .iter()
        .map(|c| match c.body {
            ChangeBody::Member { .. } => "member",
            ChangeBody::Card { .. } => "card",
            ChangeBody::Points { .. } => "points",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, vec!["member", "card", "points"]);
    assert!(for3
        .changes
        .iter()
        .all(|c| c.origin.as_deref() == Some("0002")));
    assert!(for3.changes.windows(2).all(|w| w[0].id < w[1].id));

    let for2 = s2.all_changes().await;
    assert_eq!(for2.changes.len(), 1);
    assert!(matches!(
        &for2.changes[0].body,
        ChangeBody::Points { store_id, points: 7, .. } if store_id == "0003"
    ));
    // The cursor moves past the asker's own changes too.
    assert_eq!(for2.next, for3.next);
    // Paging gives the same sequence.
    let first = s3.changes(0, 2).await;
    let rest = s3.changes(first.next, 10).await;
    let paged: Vec<i64> = first
        .changes
        .iter()
        .chain(rest.changes.iter())
        .map(|c| c.id)
        .collect();
    assert_eq!(paged, for3.changes.iter().map(|c| c.id).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_redemption_hold_is_idempotent_bounded_and_released_by_the_sale() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let c3 = chain.register("0003").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let s3 = StoreClient::new(&chain, &hq_proc, "0003", &c3);
    let number = "880002000000011";
    s2.push_ok(numbered(&[ledger(1, number, 500, None)])).await;

    let ask = |receipt: &str, points: i64, delta: i64| RedemptionRequest {
        card_number: number.into(),
        receipt_no: receipt.into(),
        points,
        unacknowledged_delta: delta,
    };
    let answer = |(status, body): (u16, Value)| -> RedemptionAnswer {
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).expect("RedemptionAnswer")
    };
    let a = answer(s3.post("/sync/v1/redemptions", &ask("R3-1", 300, 0)).await);
    assert_eq!((a.approved, a.balance), (true, 500));
    // The same request again (a lost answer): same approval, no second hold.
    let again = answer(s3.post("/sync/v1/redemptions", &ask("R3-1", 300, 0)).await);
    assert_eq!(again, a);
    // Another store can only have what is left: 500 - 300 held.
    let b = answer(s2.post("/sync/v1/redemptions", &ask("R2-9", 300, 0)).await);
    assert_eq!((b.approved, b.balance), (false, 200));
    // The store's not-yet-acknowledged earnings count.
    let c = answer(
        s2.post("/sync/v1/redemptions", &ask("R2-9", 300, 100))
            .await,
    );
    assert_eq!((c.approved, c.balance), (true, 300));
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM holds WHERE released_at IS NULL")
        .fetch_one(&chain.pool)
        .await
        .expect("holds");
    assert_eq!(open, 2);

    // 0003's sale arrives with its redeem entry: its hold is released, the balance carries it.
    s3.push_ok(numbered(&[ledger(1, number, -300, Some("R3-1"))]))
        .await;
    let released: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT released_at FROM holds WHERE receipt_no = 'R3-1'")
            .fetch_one(&chain.pool)
            .await
            .expect("hold");
    assert!(released.is_some());
    assert_eq!(balance(&chain.pool, number).await, 200);
    // 200 left, 300 held by R2-9: nothing more for anyone.
    let d = answer(s3.post("/sync/v1/redemptions", &ask("R3-2", 100, 0)).await);
    assert!(!d.approved);

    // An offline overdraft (no hold) that takes the chain balance below zero is flagged.
    s2.push_ok(vec![sent(2, &ledger(2, number, -500, Some("R2-off")))])
        .await;
    let token = admin_token(&chain, &hq_proc).await;
    let (_, debts) = admin_get(&chain, &hq_proc, &token, "/api/hq/reports/debts").await;
    assert_eq!(debts[0]["card_number"], number);
    assert_eq!(debts[0]["points"], 300);
    assert_eq!(debts[0]["balance_after"], -300);
    let for3 = s3.all_changes().await;
    assert!(for3.changes.iter().any(|c| matches!(
        &c.body,
        ChangeBody::Debt { card_number, points: 300 } if card_number == number
    )));
}

#[tokio::test]
async fn enrolment_check_finds_a_member_of_any_store_by_the_blind_index() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let c3 = chain.register("0003").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let s3 = StoreClient::new(&chain, &hq_proc, "0003", &c3);
    let number = "880002000000011";
    s2.push_ok(numbered(&[
        member("m-1", "0002", "lookup-1", 1),
        card(
            CardCause::Issued,
            snapshot(number, "m-1", CardState::Active, "0002"),
            2,
        ),
    ]))
    .await;
    let ask = |lookup: &str| EnrolmentCheck {
        id_kind: "prc_id".into(),
        id_lookup: lookup.into(),
    };
    let (status, body) = s3.post("/sync/v1/enrolment-check", &ask("lookup-1")).await;
    assert_eq!(status, 200);
    let found: EnrolmentCheckAnswer = serde_json::from_value(body).expect("answer");
    assert_eq!(found.members.len(), 1);
    assert_eq!(found.members[0].member_id, "m-1");
    assert_eq!(found.members[0].home_store, "0002");
    assert_eq!(found.members[0].live_card.as_deref(), Some(number));
    let (_, body) = s3.post("/sync/v1/enrolment-check", &ask("lookup-2")).await;
    let none: EnrolmentCheckAnswer = serde_json::from_value(body).expect("answer");
    assert!(none.members.is_empty());
    // Head office holds only sealed data and lookup keys.
    let snapshot: String = sqlx::query_scalar("SELECT snapshot::text FROM members")
        .fetch_one(&chain.pool)
        .await
        .expect("member");
    assert!(snapshot.contains("v1:sealed-phone"));
}

#[tokio::test]
async fn keys_are_provisioned_and_a_rotation_is_served_at_once() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let (status, body) = s2.get("/sync/v1/keys").await;
    assert_eq!(status, 200);
    let keys: ChainKeys = serde_json::from_value(body).expect("keys");
    assert_eq!(keys.current, 1);
    assert_eq!(keys.issuer_keys.len(), 1);
    assert_eq!(keys.issuer_keys[0].1.len(), 64);

    // The store's key file from registration holds the same keys and the data secret.
    let store_file = chain.dir.path().join("store-0002.toml");
    let (chain_keys, _) = hq::keys::load_or_create(&chain.key_file).expect("keys");
    hq::keys::write_store_key_file(&store_file, &chain_keys).expect("store key file");
    let store_keys = member_kiosk::card::keys::Keyring::load(&store_file).expect("loads");
    assert_eq!(store_keys.export_issuer_keys(), keys.issuer_keys);
    assert_eq!(store_keys.data_secret(), chain_keys.data_secret());
    assert!(hq::keys::write_store_key_file(&store_file, &chain_keys).is_err());

    let out = Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
        .args(["head-office", "--chain-key-file"])
        .arg(&chain.key_file)
        .arg("rotate-key")
        .output()
        .expect("rotate-key");
    assert!(out.status.success());
    let (_, body) = s2.get("/sync/v1/keys").await;
    let rotated: ChainKeys = serde_json::from_value(body).expect("keys");
    assert_eq!(rotated.current, 2);
    assert_eq!(rotated.issuer_keys.len(), 2);
    assert_eq!(rotated.issuer_keys[0], keys.issuer_keys[0], "old key kept");
}

#[tokio::test]
async fn hq_admin_signs_in_with_staff_number_and_pin() {
    let chain = Chain::new().await;
    let hq_proc = chain.start();
    let token = admin_token(&chain, &hq_proc).await;
    let (status, stores) = admin_get(&chain, &hq_proc, &token, "/api/hq/stores").await;
    assert_eq!(status, 200);
    assert!(stores.as_array().expect("list").is_empty());

    let r = chain
        .client
        .post(format!("{}/api/hq/sessions", hq_proc.url))
        .json(&json!({ "staff_number": "H001", "pin": "000000" }))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status().as_u16(), 401);
    let (status, body) = admin_get(&chain, &hq_proc, "not-a-token", "/api/hq/stores").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("not_signed_in"))
    );
    // A store credential is not a staff session.
    let c2 = chain.register("0002").await;
    assert_eq!(
        admin_get(&chain, &hq_proc, &c2, "/api/hq/alarms").await.0,
        401
    );
}

#[tokio::test]
async fn the_annual_review_runs_over_chain_wide_spend_once_per_day() {
    let chain = Chain::new().await;
    let c2 = chain.register("0002").await;
    let c3 = chain.register("0003").await;
    let hq_proc = chain.start();
    let s2 = StoreClient::new(&chain, &hq_proc, "0002", &c2);
    let s3 = StoreClient::new(&chain, &hq_proc, "0003", &c3);
    // Gold needs 10,000 in its year (charter default): 6,000 in 0002 + 5,000 in 0003 renews;
    // the other card spent 6,000 only in 0002 and goes down to VIP.
    let (keep, down) = ("880002000000011", "880002000000029");
    s2.push_ok(numbered(&[
        card(
            CardCause::Issued,
            snapshot(keep, "m-1", CardState::Active, "0002"),
            1,
        ),
        card(
            CardCause::Issued,
            snapshot(down, "m-2", CardState::Active, "0002"),
            2,
        ),
        sale("R2-1", keep, Decimal::new(600_000, 2), day("2026-03-01")),
        sale("R2-2", down, Decimal::new(600_000, 2), day("2026-03-01")),
    ]))
    .await;
    s3.push_ok(numbered(&[sale(
        "R3-1",
        keep,
        Decimal::new(500_000, 2),
        day("2026-05-01"),
    )]))
    .await;
    let policy = Policy::charter_default();
    let today = day("2026-11-29");
    let (first, second) = tokio::join!(
        hq::review::run(&chain.pool, &policy, today),
        hq::review::run(&chain.pool, &policy, today)
    );
    let (first, second) = (first.expect("review"), second.expect("review"));
    assert!(first.ran ^ second.ran, "one run per day");
    let ran = if first.ran { first } else { second };
    assert_eq!((ran.renewed, ran.downgraded), (1, 1));
    let tier: String =
        sqlx::query_scalar("SELECT snapshot->>'tier' FROM cards WHERE card_number = $1")
            .bind(down)
            .fetch_one(&chain.pool)
            .await
            .expect("card");
    assert_eq!(tier, "vip");
    let feed = s2.all_changes().await;
    let review_changes: Vec<_> = feed.changes.iter().filter(|c| c.origin.is_none()).collect();
    assert_eq!(
        review_changes.len(),
        2,
        "both stores see head office's changes"
    );
    let again = hq::review::run(&chain.pool, &policy, today)
        .await
        .expect("review");
    assert!(!again.ran);

    // Head office wins on merge: store 0002 was offline and its own review renewed the card
    // at gold for the same new term; pushed later, it changes neither tier nor term.
    let (expiry, valid_from): (String, String) = sqlx::query_as(
        "SELECT snapshot->>'expiry', snapshot->>'valid_from' FROM cards WHERE card_number = $1",
    )
    .bind(down)
    .fetch_one(&chain.pool)
    .await
    .expect("card");
    let mut store_review = snapshot(down, "m-2", CardState::Active, "0002");
    store_review.valid_from = day(&valid_from);
    store_review.expiry = day(&expiry);
    store_review.record_seq = 2;
    let Event::Card(_, mut renewed) = card(CardCause::Renewed, store_review, 0) else {
        unreachable!("a card event")
    };
    renewed.at = t(10_000_000);
    s2.push_ok(vec![sent(5, &Event::Card(CardCause::Renewed, renewed))])
        .await;
    let (tier, record_seq): (String, String) = sqlx::query_as(
        "SELECT snapshot->>'tier', snapshot->>'record_seq' FROM cards WHERE card_number = $1",
    )
    .bind(down)
    .fetch_one(&chain.pool)
    .await
    .expect("card");
    assert_eq!(tier, "vip", "head office's review wins over the store's");
    assert_eq!(record_seq, "2", "the rest of the store's snapshot is taken");
}

/// Two head-office processes, three stores, many concurrent pushers sending overlapping and
/// duplicate batches to either process, and a reader per store following the feed meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_head_office_processes_ingest_concurrently_without_duplicates_or_gaps() {
    let chain = Chain::new().await;
    let stores = ["0002", "0003", "0004"];
    let mut credentials = HashMap::new();
    for s in stores {
        credentials.insert(s, chain.register(s).await);
    }
    let procs = [chain.start(), chain.start()];
    const PER_STORE: i64 = 1500;
    const CARDS: i64 = 40;
    const BATCH: usize = 100;

    // Each store's log: mostly ledger entries on shared cards, some card and member events.
    let mut logs: BTreeMap<&str, Vec<SentEvent>> = BTreeMap::new();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for store in stores {
        let mut events = Vec::new();
        for i in 1..=PER_STORE {
            let card_no = format!("8800020000{:05}", next() % CARDS as u64);
            let event = match next() % 20 {
                0 => member(&format!("m-{store}-{i}"), store, &format!("l-{i}"), i),
                1 => card(
                    CardCause::Rewritten,
                    snapshot(&card_no, "m-x", CardState::Active, "0002"),
                    i,
                ),
                _ => {
                    let points = (next() % 200) as i64 - 50;
                    *expected.entry(card_no.clone()).or_default() += points;
                    ledger(i, &card_no, points, None)
                }
            };
            events.push(sent(i, &event));
        }
        logs.insert(store, events);
    }

    let mut pushers = tokio::task::JoinSet::new();
    for (si, store) in stores.iter().enumerate() {
        let log = logs[store].clone();
        // Four pushers per store: each sends every batch, in its own order, to either process,
        // plus some batches straddling two others.
        for p in 0..4usize {
            let client = StoreClient::new(&chain, &procs[(si + p) % 2], store, &credentials[store]);
            let other =
                StoreClient::new(&chain, &procs[(si + p + 1) % 2], store, &credentials[store]);
            let mut batches: Vec<Vec<SentEvent>> =
                log.chunks(BATCH).map(<[SentEvent]>::to_vec).collect();
            for start in (BATCH / 2..log.len()).step_by(BATCH * 3) {
                batches.push(log[start..(start + BATCH).min(log.len())].to_vec());
            }
            if p % 2 == 1 {
                batches.reverse();
            }
            pushers.spawn(async move {
                for (i, batch) in batches.into_iter().enumerate() {
                    let to = if i % 3 == 0 { &other } else { &client };
                    let (status, body) = to.push(batch).await;
                    assert_eq!(status, 200, "push: {body}");
                }
            });
        }
    }

    // A reader per store follows the feed while the pushes run.
    let mut readers = tokio::task::JoinSet::new();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for (si, store) in stores.iter().enumerate() {
        let client = StoreClient::new(&chain, &procs[si % 2], store, &credentials[store]);
        let done = done.clone();
        readers.spawn(async move {
            let mut seen = Vec::new();
            let mut after = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = client.changes(after, 500).await;
                seen.extend(page.changes.iter().map(|c| c.id));
                let empty = page.next == after;
                after = page.next;
                if finished && empty {
                    return (client.store_id.clone(), seen);
                }
                if empty {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
    }
    while let Some(r) = pushers.join_next().await {
        r.expect("pusher");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);

    // Every event exactly once, high water right.
    for store in stores {
        let (count, distinct, max): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM events WHERE store_id = $1",
        )
        .bind(store)
        .fetch_one(&chain.pool)
        .await
        .expect("events");
        assert_eq!(
            (count, distinct, max),
            (PER_STORE, PER_STORE, Some(PER_STORE))
        );
        let high: i64 = sqlx::query_scalar("SELECT high_water FROM stores WHERE store_id = $1")
            .bind(store)
            .fetch_one(&chain.pool)
            .await
            .expect("store");
        assert_eq!(high, PER_STORE, "{store}");
    }
    // Balances are the sum of every store's deltas.
    for (card_no, points) in &expected {
        assert_eq!(balance(&chain.pool, card_no).await, *points, "{card_no}");
    }
    let ledger_changes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM changes WHERE body->>'type' = 'points'")
            .fetch_one(&chain.pool)
            .await
            .expect("changes");
    let ledger_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'ledger.entry'")
            .fetch_one(&chain.pool)
            .await
            .expect("events");
    assert_eq!(
        ledger_changes, ledger_events,
        "one feed entry per points entry"
    );

    // Each reader saw exactly the feed minus its own changes: no duplicate, no gap.
    while let Some(r) = readers.join_next().await {
        let (store, seen) = r.expect("reader");
        let all: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM changes WHERE origin IS DISTINCT FROM $1 ORDER BY id",
        )
        .bind(&store)
        .fetch_all(&chain.pool)
        .await
        .expect("feed");
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "{store}: in order, no duplicate"
        );
        let seen_set: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(seen_set.len(), seen.len());
        assert_eq!(seen, all, "{store}: the reader missed or added changes");
    }
    let _ = Path::new(".");
}

// ---------------------------------------------------------------- restore (docs/sync.md §8)

/// The store's ledger as a restore must rebuild it: members, cards (number, tier, state) and
/// each card's balance.
async fn ledger_picture(
    k: &member_kiosk::kiosk::Kiosk,
) -> (i64, Vec<(String, String, String, i64)>) {
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(&k.db.reader)
        .await
        .expect("members");
    let cards: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT c.number, c.tier, c.state, COALESCE((SELECT SUM(points) FROM points_ledger p WHERE p.card_number = c.number), 0)
         FROM cards c ORDER BY c.number",
    )
    .fetch_all(&k.db.reader)
    .await
    .expect("cards");
    (members, cards)
}

#[tokio::test]
async fn a_store_whose_disk_died_is_rebuilt_from_head_office_and_never_reuses_a_seq() {
    use member_kiosk::sync::http_client::HttpHeadOffice;
    use member_kiosk::sync::task::{self, SyncMemory};
    let chain = Chain::new().await;
    let hq_proc = chain.start();
    let credential = chain.register("0001").await;
    let ca = std::fs::read(chain.tls_dir().join("ca.pem")).expect("ca.pem");
    let ho = HttpHeadOffice::new(&hq_proc.url, &ca, &credential, Duration::from_secs(20))
        .expect("client");

    // Store 0001 trades: two members, card sales earning points, a loss report.
    let old = common::spawn_app().await;
    let birth = NaiveDate::from_ymd_opt(1980, 5, 1).expect("date");
    let a = old.enrol_card(1, "300.00", birth).await;
    let b = old.enrol_card(2, "6000.00", birth).await;
    old.card_sale("R-1", &a, "1000.00", "950.00").await;
    old.card_sale("R-2", &b, "500.00", "450.00").await;
    let (status, body) = old
        .post(
            &format!("/api/cards/{b}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert!(status == 201 || status == 200, "loss report: {body}");
    let mut memory = SyncMemory::default();
    for _ in 0..20 {
        let round = task::round(&old.kiosk, &ho, &mut memory).await;
        assert!(round.failed.is_none(), "{round:?}");
        if !round.more {
            break;
        }
    }
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&old.kiosk.db.reader)
        .await
        .expect("outbox");
    assert_eq!(unsent, 0, "everything at head office");
    let last_seq: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM outbox")
        .fetch_one(&old.kiosk.db.reader)
        .await
        .expect("seq");
    let before = ledger_picture(&old.kiosk).await;
    assert_eq!(before.0, 2);
    drop(old);

    // The disk died: a new empty database, the same store and key file.
    let new = common::spawn_app().await;
    let restored = member_kiosk::flows::restore::restore(&new.kiosk, &ho)
        .await
        .expect("restored");
    assert_eq!(restored.outbox_after, last_seq, "{restored:?}");
    assert_eq!(restored.high_water, last_seq);
    assert_eq!(
        ledger_picture(&new.kiosk).await,
        before,
        "members, cards, balances"
    );
    // A second restore into the rebuilt database is refused.
    let again = member_kiosk::flows::restore::restore(&new.kiosk, &ho).await;
    assert!(again.is_err(), "not an empty database");

    // The member's data opens with the chain's key (sealed at head office, never in clear).
    let view = new.lookup(&a).await;
    assert_eq!(view["member_name"], "会员1", "{view}");
    assert_eq!(new.lookup(&b).await["state"], "blocked");
    // Trading goes on: the outbox continues after head office's mark, and head office
    // takes the new events (no seq reused: a reused one would be a 409 conflict).
    new.card_sale("R-3", &a, "100.00", "95.00").await;
    let first_new: i64 = sqlx::query_scalar("SELECT MIN(seq) FROM outbox")
        .fetch_one(&new.kiosk.db.reader)
        .await
        .expect("seq");
    assert!(first_new > last_seq, "{first_new} after {last_seq}");
    let c = new.enrol_card(3, "300.00", birth).await;
    assert!(
        !before.1.iter().any(|card| card.0 == c),
        "a new card number: {c}"
    );
    let mut memory = SyncMemory::default();
    for _ in 0..20 {
        let round = task::round(&new.kiosk, &ho, &mut memory).await;
        assert!(round.failed.is_none() && !round.conflict, "{round:?}");
        if !round.more {
            break;
        }
    }
    let (high_water,): (i64,) =
        sqlx::query_as("SELECT high_water FROM stores WHERE store_id = '0001'")
            .fetch_one(&chain.pool)
            .await
            .expect("stores");
    let top: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM outbox")
        .fetch_one(&new.kiosk.db.reader)
        .await
        .expect("seq");
    assert_eq!(high_water, top, "contiguous after the restore");
    assert_eq!(balance(&chain.pool, &a).await, new.ledger_sum(&a).await);
}
