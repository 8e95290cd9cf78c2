//! The store's sync engine against an in-process fake head office over TLS (a test CA made
//! with rcgen; the kiosk trusts only it): every outbox event arrives exactly once even when
//! an answer is lost after head office stored it, a conflicting copy raises the alarm and
//! stops pushing, a hotlist change pulled makes the card refused, foreign points are applied
//! once, a member enrolled twice is flagged, and the cursor survives a restart.
//! (The end-to-end tests against the real head office are in the chain suite.)

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use common::{assert_refused, cash, day, regular, spawn_app, test_keys, test_secrets};
use member_kiosk::card::keys::Keyring;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::card::virtual_card::VirtualCard;
use member_kiosk::clock::{Clock, FixedClock};
use member_kiosk::config::{Config, Credential, HeadOfficeConfig};
use member_kiosk::domain::card_status::CardState;
use member_kiosk::domain::events::{CardSnapshot, MemberSnapshot, SealedDocument};
use member_kiosk::domain::ledger::EntryKind;
use member_kiosk::jobs::JobRunner;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::store::audit::AuditEntry;
use member_kiosk::store::sealed::Field;
use member_kiosk::sync::http_client::HttpHeadOffice;
use member_kiosk::sync::memory::MemoryHeadOffice;
use member_kiosk::sync::protocol::{
    Change, ChangeBody, ChangesAnswer, PushAnswer, PushRequest, SentEvent,
};
use member_kiosk::sync::task::{self, SyncMemory};
use serde::Deserialize;
use serde_json::{json, Value};

const CREDENTIAL: &str = "0001.test-secret";

/// What the fake head office holds and how it misbehaves.
#[derive(Default)]
struct Hq {
    events: BTreeMap<i64, SentEvent>,
    changes: Vec<Change>,
    /// Store the next push, then answer only after the client gave up.
    stall_next_push: bool,
    pushes: u32,
    /// The `after` of every changes request.
    asked_after: Vec<i64>,
}

type Shared = Arc<Mutex<Hq>>;

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {CREDENTIAL}"))
}

fn refusal(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code, "code": code }))).into_response()
}

async fn push(
    State(hq): State<Shared>,
    headers: HeaderMap,
    Json(req): Json<PushRequest>,
) -> Response {
    if !authorised(&headers) {
        return refusal(StatusCode::UNAUTHORIZED, "bad_credential");
    }
    if req.store_id != "0001" {
        return refusal(StatusCode::FORBIDDEN, "wrong_store");
    }
    let (answer, stall) = {
        let mut hq = hq.lock().expect("lock");
        hq.pushes += 1;
        let mut inserted = 0;
        for e in &req.events {
            match hq.events.get(&e.seq) {
                Some(stored) if stored.hash != e.hash => {
                    let body = json!({ "error": "conflict", "code": "event_conflict", "seq": e.seq,
                                       "stored_hash": stored.hash, "sent_hash": e.hash });
                    return (StatusCode::CONFLICT, Json(body)).into_response();
                }
                Some(_) => {}
                None => {
                    hq.events.insert(e.seq, e.clone());
                    inserted += 1;
                }
            }
        }
        let mut high_water = 0;
        while hq.events.contains_key(&(high_water + 1)) {
            high_water += 1;
        }
        (
            PushAnswer {
                high_water,
                inserted,
            },
            std::mem::take(&mut hq.stall_next_push),
        )
    };
    if stall {
        // Committed, but the answer comes after the store's time limit: lost on the way.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
struct After {
    after: i64,
    limit: u32,
}

async fn changes(State(hq): State<Shared>, headers: HeaderMap, Query(q): Query<After>) -> Response {
    if !authorised(&headers) {
        return refusal(StatusCode::UNAUTHORIZED, "bad_credential");
    }
    let mut hq = hq.lock().expect("lock");
    hq.asked_after.push(q.after);
    let page: Vec<Change> = hq
        .changes
        .iter()
        .filter(|c| c.id > q.after)
        .take(q.limit as usize)
        .cloned()
        .collect();
    let next = page.last().map_or(q.after, |c| c.id);
    Json(ChangesAnswer {
        changes: page,
        next,
        at: Utc::now(),
    })
    .into_response()
}

async fn keys() -> Response {
    refusal(StatusCode::NOT_FOUND, "not_found")
}

/// A fake head office on 127.0.0.1 over TLS; returns its address, state and the CA's PEM.
async fn fake_head_office() -> (SocketAddr, Shared, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test chain CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("server params")
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        server.pem().into_bytes(),
        server_key.serialize_pem().into_bytes(),
    )
    .await
    .expect("TLS config");
    let hq: Shared = Arc::default();
    let app = Router::new()
        .route("/sync/v1/push", post(push))
        .route("/sync/v1/changes", get(changes))
        .route("/sync/v1/keys", get(keys))
        .with_state(hq.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let server = axum_server::from_tcp_rustls(listener, tls);
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    (addr, hq, ca.pem())
}

fn client(addr: SocketAddr, ca_pem: &str, timeout: Duration) -> HttpHeadOffice {
    HttpHeadOffice::new(
        &format!("https://{addr}"),
        ca_pem.as_bytes(),
        CREDENTIAL,
        timeout,
    )
    .expect("client")
}

/// Some outbox events: audit rows are one producer every kiosk has.
async fn make_events(k: &Kiosk, n: usize) {
    for i in 0..n {
        k.audit(AuditEntry {
            store_id: k.config.store_id.clone(),
            at: k.clock.now(),
            staff_id: "S01".into(),
            role: None,
            workstation: "test".into(),
            action: "test.event".into(),
            target: Some(i.to_string()),
            detail: None,
            result: 200,
        })
        .await
        .expect("audited");
    }
}

async fn outbox(k: &Kiosk) -> (i64, i64) {
    sqlx::query_as("SELECT COUNT(*), COUNT(sent_at) FROM outbox")
        .fetch_one(&k.db.reader)
        .await
        .expect("outbox")
}

async fn drain(k: &Kiosk, ho: &HttpHeadOffice, memory: &mut SyncMemory) {
    for _ in 0..50 {
        let round = task::round(k, ho, memory).await;
        let (all, sent) = outbox(k).await;
        if round.failed.is_none() && all == sent {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("outbox not drained: {:?}", outbox(k).await);
}

#[tokio::test]
async fn every_event_arrives_exactly_once_even_when_an_answer_is_lost() {
    let (addr, hq, ca) = fake_head_office().await;
    let app = spawn_app().await;
    let ho = client(addr, &ca, Duration::from_secs(1));
    let mut memory = SyncMemory::default();
    make_events(&app.kiosk, 30).await;
    hq.lock().expect("lock").stall_next_push = true;

    let first = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(first.failed.is_some(), "the answer was lost: {first:?}");
    let (all, sent) = outbox(&app.kiosk).await;
    assert_eq!(sent, 0, "nothing acknowledged without an answer");
    assert_eq!(
        hq.lock().expect("lock").events.len() as i64,
        all,
        "head office stored them"
    );

    make_events(&app.kiosk, 5).await;
    drain(&app.kiosk, &ho, &mut memory).await;
    let (all, sent) = outbox(&app.kiosk).await;
    assert_eq!(all, sent);
    let stored: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, topic, payload FROM outbox ORDER BY seq")
            .fetch_all(&app.kiosk.db.reader)
            .await
            .expect("outbox");
    let hq = hq.lock().expect("lock");
    let seqs: Vec<i64> = hq.events.keys().copied().collect();
    assert_eq!(seqs, (1..=all).collect::<Vec<_>>(), "each seq once, no gap");
    assert!(hq.pushes >= 2, "the lost batch was sent again");
    for (seq, topic, payload) in stored {
        let e = &hq.events[&seq];
        assert_eq!((&e.kind, &e.payload), (&topic, &payload), "sent as stored");
    }
}

#[tokio::test]
async fn a_conflicting_copy_raises_the_alarm_stops_pushing_and_overwrites_nothing() {
    let (addr, hq, ca) = fake_head_office().await;
    let app = spawn_app().await;
    let ho = client(addr, &ca, Duration::from_secs(5));
    let mut memory = SyncMemory::default();
    make_events(&app.kiosk, 3).await;
    drain(&app.kiosk, &ho, &mut memory).await;
    let (acknowledged, _) = outbox(&app.kiosk).await;

    // Head office holds the next seq with another hash (another copy of this store's log).
    let next = acknowledged + 1;
    hq.lock().expect("lock").events.insert(
        next,
        SentEvent {
            seq: next,
            kind: "other".into(),
            version: 1,
            payload: "{}".into(),
            hash: "0".repeat(64),
            created_at: Utc::now(),
        },
    );
    make_events(&app.kiosk, 2).await;
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.conflict, "{round:?}");
    let alarms: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT kind, seq FROM sync_alarms WHERE resolved_at IS NULL")
            .fetch_all(&app.kiosk.db.reader)
            .await
            .expect("alarms");
    assert_eq!(alarms, vec![("event_conflict".to_string(), Some(next))]);
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'sync.event_conflict'")
            .fetch_one(&app.kiosk.db.reader)
            .await
            .unwrap_or(-1);
    assert_eq!(audited, 1, "the alarm is in the audit trail");
    assert_eq!(hq.lock().expect("lock").events[&next].hash, "0".repeat(64));

    // Pushing stays stopped: another round sends nothing.
    let pushes = hq.lock().expect("lock").pushes;
    let again = task::round(&app.kiosk, &ho, &mut memory).await;
    assert_eq!(again.pushed, 0);
    assert_eq!(hq.lock().expect("lock").pushes, pushes);
    let (status, health) = app.get("/api/health").await;
    assert_eq!(status, 200);
    // This kiosk's config has no head office (the test drives the task itself).
    assert_eq!(health["sync"]["state"], "not_configured");
    assert!(
        health["sync"]["backlog"].as_i64().unwrap_or(0) >= 2,
        "{health}"
    );
    assert!(health["sync"]["last_error"]
        .as_str()
        .unwrap_or("")
        .contains("conflicts"));
}

/// The card's row as head office would send it.
async fn snapshot(k: &Kiosk, number: &str) -> CardSnapshot {
    let mut conn = k.db.reader.acquire().await.expect("conn");
    member_kiosk::store::cards::snapshot(&mut conn, number)
        .await
        .expect("card")
}

fn add_change(hq: &Shared, origin: &str, body: ChangeBody) {
    let mut hq = hq.lock().expect("lock");
    let id = hq.changes.len() as i64 + 1;
    hq.changes.push(Change {
        id,
        origin: Some(origin.into()),
        body,
    });
}

#[tokio::test]
async fn a_pulled_hotlist_change_makes_the_card_refused_and_never_returns_it_to_active() {
    let (addr, hq, ca) = fake_head_office().await;
    let app = spawn_app().await;
    let ho = client(addr, &ca, Duration::from_secs(5));
    let mut memory = SyncMemory::default();
    let card = app.enrol_card(1, "300.00", day(1980, 5, 1)).await;
    let before = app.ledger_sum(&card).await;

    // Store 0002 took a loss report; and earlier an entry of 250 points there.
    let mut blocked = snapshot(&app.kiosk, &card).await;
    blocked.state = CardState::Blocked;
    add_change(
        &hq,
        "0002",
        ChangeBody::Points {
            store_id: "0002".into(),
            ledger_seq: 41,
            card_number: card.clone(),
            kind: EntryKind::Earn,
            points: 250,
            business_day: day(2026, 3, 9),
        },
    );
    add_change(
        &hq,
        "0002",
        ChangeBody::Card {
            card: blocked.clone(),
            withdrawal: false,
        },
    );
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    assert_eq!(round.pulled, 2);

    let view = app.lookup(&card).await;
    assert_eq!(view["state"], "blocked", "{view}");
    assert_eq!(view["usable"], false);
    let sale = app
        .sale(
            "R-HOT-1",
            Some(&card),
            json!([regular("GOODS", "100.00", 1)]),
            cash("95.00"),
            0,
        )
        .await;
    assert_refused(&sale, 422, Some("R-REP-2"), Some("card_number"));
    assert_eq!(
        app.ledger_sum(&card).await,
        before + 250,
        "foreign points applied"
    );

    // The same entry again (a re-sent change) and an old "active" copy: neither changes anything.
    add_change(
        &hq,
        "0002",
        ChangeBody::Points {
            store_id: "0002".into(),
            ledger_seq: 41,
            card_number: card.clone(),
            kind: EntryKind::Earn,
            points: 250,
            business_day: day(2026, 3, 9),
        },
    );
    let mut stale = blocked.clone();
    stale.state = CardState::Active;
    add_change(
        &hq,
        "0003",
        ChangeBody::Card {
            card: stale,
            withdrawal: false,
        },
    );
    add_change(
        &hq,
        "0002",
        ChangeBody::Debt {
            card_number: card.clone(),
            points: 40,
        },
    );
    memory = SyncMemory::default();
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    assert_eq!(
        app.lookup(&card).await["state"],
        "blocked",
        "never back to active"
    );
    assert_eq!(app.ledger_sum(&card).await, before + 250, "applied once");
    let (debt, flags): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT points_debt FROM cards WHERE number = ?1), (SELECT COUNT(*) FROM sync_alarms WHERE kind = 'overdraft_debt')",
    )
    .bind(&card)
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("debt");
    assert_eq!((debt, flags), (0, 1), "flagged, not counted twice");
    let cursor: i64 = sqlx::query_scalar("SELECT pull_cursor FROM sync_state")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("cursor");
    assert_eq!(cursor, 5);
}

#[tokio::test]
async fn a_member_enrolled_twice_in_the_chain_is_stored_and_flagged_not_merged() {
    let (addr, hq, ca) = fake_head_office().await;
    let app = spawn_app().await;
    let ho = client(addr, &ca, Duration::from_secs(5));
    let card = app.enrol_card(2, "300.00", day(1980, 5, 1)).await;
    let ours: (String, String, String, String, String, String) = sqlx::query_as(
        "SELECT m.id, m.id_kind, m.id_number, m.id_lookup, m.phone, m.phone_lookup FROM members m JOIN cards c ON c.member_id = m.id WHERE c.number = ?1",
    )
    .bind(&card)
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("member");
    // The same person enrolled in store 0002 while it was offline: another member id, the
    // personal data sealed with the chain's key for that id.
    let their_id = "0190aaaa-0000-7000-8000-000000000002";
    let sealer = &app.kiosk.sealer;
    let reseal = |field: Field, sealed: &str| {
        let plain = sealer.open(&ours.0, field, sealed).expect("opens");
        sealer.seal(their_id, field, &plain).expect("seals")
    };
    let theirs = MemberSnapshot {
        id: their_id.into(),
        name: "Test Member".into(),
        sex: "female".into(),
        birth_date: "1980-05-01".into(),
        phone: reseal(Field::Phone, &ours.4),
        id_document: SealedDocument {
            kind: ours.1.clone(),
            number: reseal(Field::IdNumber, &ours.2),
        },
        address: None,
        email: None,
        preferences: None,
        home_store: "0002".into(),
        id_lookup: Some(ours.3.clone()),
        phone_lookup: Some(ours.5.clone()),
    };
    let mut their_card = snapshot(&app.kiosk, &card).await;
    their_card.number = "880002000000017".into();
    their_card.member_id = theirs.id.clone();
    their_card.issued_store = "0002".into();
    add_change(
        &hq,
        "0002",
        ChangeBody::Member {
            member: theirs.clone(),
        },
    );
    add_change(
        &hq,
        "0002",
        ChangeBody::Card {
            card: their_card,
            withdrawal: false,
        },
    );
    let mut memory = SyncMemory::default();
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    let flags: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT member_a, member_b, card_a, card_b FROM duplicate_members WHERE resolved_at IS NULL",
    )
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("flags");
    assert_eq!(flags.len(), 1, "{flags:?}");
    let (a, b, card_a, card_b) = &flags[0];
    let mut members = vec![a.clone(), b.clone()];
    members.sort();
    let mut expected = vec![ours.0.clone(), theirs.id.clone()];
    expected.sort();
    assert_eq!(members, expected);
    let mut cards = vec![card_a.clone(), card_b.clone()];
    cards.sort();
    let mut expected_cards = vec![Some("880002000000017".to_string()), Some(card.clone())];
    expected_cards.sort();
    assert_eq!(cards, expected_cards);
    // Both cards stay live (never merged by the sync); the local one still works.
    assert_eq!(app.lookup(&card).await["state"], "active");

    // R-ENR-3 still refuses a local enrolment of the same person.
    let receipt = app.guest_cash_sale("Q-DUP", "300.00").await;
    let answer = app
        .post(
            "/api/members",
            json!({ "applicant": common::applicant(2, day(1980, 5, 1)), "receipts": [receipt] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-ENR-3"), Some("applicant.id_document"));

    // The lounge lists the flag with both members and cards; a cashier may not.
    let (status, list) = app.get_as("L01", "lounge", "/api/duplicate-members").await;
    assert_eq!(status, 200, "{list}");
    let flag = &list[0];
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let shown: Vec<&str> = [&flag["member_a"], &flag["member_b"]]
        .iter()
        .map(|m| m["member_id"].as_str().unwrap_or(""))
        .collect();
    assert!(
        shown.contains(&ours.0.as_str()) && shown.contains(&their_id),
        "{flag}"
    );
    assert_eq!(
        flag["member_a"]["personal_data"], "full",
        "a lounge clerk reads in full"
    );
    assert!(flag["member_b"]["cards"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    let (status, _) = app.get_as("C01", "T01", "/api/duplicate-members").await;
    assert_eq!(status, 403);
    let (status, masked) = app.get_as("D01", "desk", "/api/duplicate-members").await;
    assert_eq!(status, 403, "{masked}");

    // Resolving it is audited, settles it once, and merges nothing.
    let path = format!("/api/duplicate-members/{}/resolution", flag["id"]);
    let body = json!({ "outcome": "not_duplicate", "note": "checked both ID cards" });
    let (status, resolved) = app.post_as("L01", "lounge", &path, body.clone()).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["outcome"], "not_duplicate");
    assert_eq!(resolved["resolved_by"], "L01");
    let (status, again) = app.post_as("L01", "lounge", &path, body).await;
    assert_eq!(status, 200, "the same decision again: {again}");
    let other = app
        .post_as("S01", "lounge", &path, json!({ "outcome": "handled" }))
        .await;
    assert_refused(&other, 409, None, Some("outcome"));
    let (_, list) = app.get_as("L01", "lounge", "/api/duplicate-members").await;
    assert_eq!(list, json!([]));
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'POST /api/duplicate-members/{flag_id}/resolution' AND staff_id = 'L01'",
    )
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("audit");
    assert_eq!(audited, 2);
    assert_eq!(app.count("members").await, 2, "never merged");
}

/// A kiosk configured with head office (the real driver from its config) and its jobs.
async fn start_store(dir: &std::path::Path, addr: SocketAddr) -> (Kiosk, JobRunner) {
    let config = Config {
        database: dir.join("kiosk.db"),
        spool_dir: dir.join("spool"),
        key_file: dir.join("keys.toml"),
        head_office: HeadOfficeConfig {
            url: Some(format!("https://{addr}")),
            ca_file: Some(dir.join("chain-ca.pem")),
            credential: Some(Credential(CREDENTIAL.into())),
            push_every_ms: 50,
            pull_every_ms: 100,
            keys_every_seconds: 3600,
            request_timeout_ms: 2000,
            ..HeadOfficeConfig::default()
        },
        ..Config::default()
    };
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let reader = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    let kiosk = Kiosk::start(config, clock, reader, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts");
    let jobs = JobRunner::start(&kiosk).await.expect("jobs");
    (kiosk, jobs)
}

async fn health(k: &Kiosk) -> Value {
    let Json(h) = member_kiosk::http::back_office::health(State(k.clone()))
        .await
        .map_err(|_| "health")
        .expect("health");
    serde_json::to_value(h).expect("json")
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn the_job_syncs_health_shows_it_and_the_cursor_survives_a_restart() {
    let (addr, hq, ca) = fake_head_office().await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("chain-ca.pem"), &ca).expect("CA file");
    let policy = serde_json::to_value(member_kiosk::domain::policy::Policy {
        version: 7,
        effective_from: day(2026, 1, 1),
        ..member_kiosk::domain::policy::Policy::charter_default()
    })
    .expect("policy");
    add_change(
        &hq,
        "hq",
        ChangeBody::Policy {
            version: 7,
            effective_from: day(2026, 1, 1),
            body: policy,
        },
    );

    let (kiosk, jobs) = start_store(dir.path(), addr).await;
    make_events(&kiosk, 10).await;
    eventually("the outbox is acknowledged", async || {
        let (all, sent) = outbox(&kiosk).await;
        all > 0 && all == sent
    })
    .await;
    eventually("the policy is pulled", async || {
        kiosk.policy(day(2026, 3, 10)).version == 7
    })
    .await;
    let h = health(&kiosk).await;
    assert_eq!(h["sync"]["state"], "online", "{h}");
    assert_eq!(h["sync"]["cursor"], 1);
    assert!(h["sync"]["last_success"].is_string());
    assert_eq!(h["sync"]["lag_seconds"], 0);
    jobs.stop().await;
    kiosk.db.close().await;

    // Restarted: the cursor is where it was, the policy too; the next pull asks after it.
    hq.lock().expect("lock").asked_after.clear();
    let (kiosk, jobs) = start_store(dir.path(), addr).await;
    assert_eq!(kiosk.policy(day(2026, 3, 10)).version, 7);
    eventually("a pull after the restart", async || {
        !hq.lock().expect("lock").asked_after.is_empty()
    })
    .await;
    assert_eq!(hq.lock().expect("lock").asked_after[0], 1);
    let h = health(&kiosk).await;
    assert_eq!(h["sync"]["cursor"], 1);
    jobs.stop().await;
    kiosk.db.close().await;
}

// ---- Redemption across the chain (docs/sync.md §6), against the in-memory head office ----

/// The app's kiosk with a head office double, seen as online (or not) by the sync.
fn with_head_office(app: &common::TestApp, ho: Arc<MemoryHeadOffice>, online: bool) -> Kiosk {
    let mut k = app.kiosk.clone();
    k.head_office = Some(ho);
    let now = app.clock.now();
    k.sync.update(|s| {
        s.configured = true;
        s.online = online;
        s.hotlist_at = Some(now - chrono::Duration::minutes(1));
        if online {
            s.last_success = Some(now);
            s.last_failure = None;
            s.offline_since = None;
        } else {
            s.last_success = Some(now - chrono::Duration::minutes(2));
            s.last_failure = Some(now);
            s.offline_since = Some(now - chrono::Duration::minutes(1));
        }
    });
    k
}

/// A card with 1,000 points earned yesterday in store 0002 (redeemable today).
async fn card_with_points(app: &common::TestApp) -> String {
    card_with_points_n(app, 3).await
}

async fn redeem(
    k: &Kiosk,
    receipt: &str,
    card: &str,
    points: i64,
    payable: &str,
) -> Result<Value, String> {
    let req: member_kiosk::flows::checkout::SaleRequest = serde_json::from_value(json!({
        "receipt_no": receipt, "till_id": "T01", "card_number": card,
        "lines": [regular("GOODS", "100.00", 1)], "tenders": cash(payable), "redeem_points": points,
    }))
    .expect("request");
    let action = k.action("S01", "T01");
    member_kiosk::flows::checkout::commit_sale(k, &action, req)
        .await
        .map(|(answer, _)| serde_json::from_str(&answer).expect("json"))
        .map_err(|e| e.to_string())
}

async fn authority(k: &Kiosk, receipt: &str) -> Option<String> {
    sqlx::query_scalar("SELECT authority FROM sale_redemptions WHERE receipt_no = ?1")
        .bind(receipt)
        .fetch_optional(&k.db.reader)
        .await
        .expect("read")
}

#[tokio::test]
async fn online_head_office_confirms_or_refuses_a_redemption_before_the_sale_commits() {
    let app = spawn_app().await;
    let card = card_with_points(&app).await;
    let ho = Arc::new(MemoryHeadOffice::default());
    ho.set_balance(150);
    let k = with_head_office(&app, ho.clone(), true);

    redeem(&k, "R-ON-1", &card, 100, "85.00")
        .await
        .expect("approved");
    assert_eq!(
        authority(&k, "R-ON-1").await.as_deref(),
        Some("head_office")
    );
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE topic = 'sale.committed' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&k.db.reader)
    .await
    .expect("event");
    assert!(
        payload.contains("\"redemption\":\"head_office\""),
        "{payload}"
    );

    // Head office's chain-wide balance (50 left) is what counts, not this store's 900.
    let refused = redeem(&k, "R-ON-2", &card, 100, "85.00").await.unwrap_err();
    assert!(refused.contains("R-PTS-7"), "{refused}");
    assert_eq!(authority(&k, "R-ON-2").await, None);
}

#[tokio::test]
async fn offline_redemption_is_bounded_by_the_card_allowance_and_a_fresh_hotlist() {
    let app = spawn_app().await;
    let card = card_with_points(&app).await;
    let ho = Arc::new(MemoryHeadOffice::default());
    // Online as far as the kiosk knew, but head office does not answer: the bounds decide.
    ho.fail_next(100);
    let k = with_head_office(&app, ho.clone(), true);
    redeem(&k, "R-OFF-1", &card, 300, "65.00")
        .await
        .expect("within the allowance");
    assert_eq!(authority(&k, "R-OFF-1").await.as_deref(), Some("offline"));
    assert!(
        !k.sync.snapshot().online(),
        "the failed call made the store offline"
    );
    redeem(&k, "R-OFF-2", &card, 200, "75.00")
        .await
        .expect("500 in all");
    let over = redeem(&k, "R-OFF-3", &card, 100, "85.00")
        .await
        .unwrap_err();
    assert!(over.contains("R-PTS-7") && over.contains("500"), "{over}");
    // Earning never stops offline.
    redeem(&k, "R-OFF-4", &card, 0, "95.00")
        .await
        .expect("a sale without redemption");

    // A hotlist older than 15 minutes: no redemption offline at all.
    let stale = with_head_office(&app, ho, false);
    stale
        .sync
        .update(|s| s.hotlist_at = Some(app.clock.now() - chrono::Duration::minutes(16)));
    let other = card_with_points_n(&app, 4).await;
    let refused = redeem(&stale, "R-OFF-5", &other, 100, "85.00")
        .await
        .unwrap_err();
    assert!(refused.contains("hotlist"), "{refused}");
}

/// [`card_with_points`] for applicant `n`.
async fn card_with_points_n(app: &common::TestApp, n: u32) -> String {
    let card = app.enrol_card(n, "300.00", day(1980, 5, 1)).await;
    let mut tx = app.kiosk.db.writer.begin().await.expect("tx");
    member_kiosk::store::replica::insert_foreign_points(
        &mut tx,
        "0002",
        100 + i64::from(n),
        &card,
        EntryKind::Earn,
        1000,
        day(2026, 3, 9),
        app.clock.now(),
    )
    .await
    .expect("points");
    tx.commit().await.expect("commit");
    card
}

#[tokio::test]
async fn a_page_and_its_cursor_are_one_transaction() {
    let app = spawn_app().await;
    let card = app.enrol_card(5, "300.00", day(1980, 5, 1)).await;
    let mut blocked = snapshot(&app.kiosk, &card).await;
    blocked.state = CardState::Blocked;
    let change = |id, body| Change {
        id,
        origin: Some("0002".into()),
        body,
    };
    let page = ChangesAnswer {
        changes: vec![
            change(
                1,
                ChangeBody::Card {
                    card: blocked.clone(),
                    withdrawal: false,
                },
            ),
            // Points of a card this store has never seen: refused by the database (applied
            // after the card, so the card's change was already written in the transaction).
            change(
                2,
                ChangeBody::Points {
                    store_id: "0002".into(),
                    ledger_seq: 1,
                    card_number: "880009000000019".into(),
                    kind: EntryKind::Earn,
                    points: 10,
                    business_day: day(2026, 3, 9),
                },
            ),
        ],
        next: 2,
        at: Utc::now(),
    };
    let failed = member_kiosk::flows::sync_apply::apply_page(&app.kiosk, 0, &page).await;
    assert!(failed.is_err());
    assert_eq!(
        app.lookup(&card).await["state"],
        "active",
        "nothing of the page applied"
    );
    let cursor = || async {
        sqlx::query_scalar::<_, i64>("SELECT pull_cursor FROM sync_state")
            .fetch_one(&app.kiosk.db.reader)
            .await
            .expect("cursor")
    };
    assert_eq!(cursor().await, 0, "and the cursor did not move");

    let page = ChangesAnswer {
        changes: vec![change(
            1,
            ChangeBody::Card {
                card: blocked,
                withdrawal: false,
            },
        )],
        next: 1,
        at: Utc::now(),
    };
    let applied = member_kiosk::flows::sync_apply::apply_page(&app.kiosk, 0, &page)
        .await
        .expect("applied");
    assert_eq!(applied.hotlisted, 1);
    assert_eq!(cursor().await, 1);
    // The same page again (another run asked from the old cursor): applied once only.
    let again = member_kiosk::flows::sync_apply::apply_page(&app.kiosk, 0, &page)
        .await
        .expect("skipped");
    assert_eq!(again, Default::default());
    assert_eq!(app.lookup(&card).await["state"], "blocked");
}

#[tokio::test]
async fn r_enr_3_online_asks_head_office_before_enrolling() {
    let app = spawn_app().await;
    let ho = Arc::new(MemoryHeadOffice::default());
    ho.set_known(vec![member_kiosk::sync::protocol::KnownMember {
        member_id: "0190aaaa-0000-7000-8000-000000000003".into(),
        home_store: "0002".into(),
        live_card: Some("880002000000017".into()),
    }]);
    let k = with_head_office(&app, ho.clone(), true);
    let receipt = app.guest_cash_sale("Q-CHAIN", "300.00").await;
    let request = || -> member_kiosk::flows::enrolment::EnrolmentRequest {
        serde_json::from_value(json!({
            "applicant": common::applicant(6, day(1980, 5, 1)), "receipts": [receipt.clone()],
        }))
        .expect("request")
    };
    let refused = member_kiosk::flows::enrolment::enrol(&k, &k.action("L01", "lounge"), request())
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("R-ENR-3") && refused.contains("0002"),
        "{refused}"
    );
    assert_eq!(app.count("members").await, 0, "nothing written");

    // Head office unreachable: the store enrols on its own check (flagged at sync if need be).
    ho.fail_next(1);
    member_kiosk::flows::enrolment::enrol(&k, &k.action("L01", "lounge"), request())
        .await
        .map_err(|e| e.to_string())
        .expect("enrolled offline");
    assert_eq!(app.count("members").await, 1);
}

/// Runs `n` offline redemptions of 100 points at once on `cards` (round robin); the number
/// that committed.
async fn redeem_at_once(k: &Kiosk, tag: &str, cards: &[String], n: usize) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (k, card) = (k.clone(), cards[i % cards.len()].clone());
        let receipt = format!("R-{tag}-{i}");
        tasks.spawn(async move { redeem(&k, &receipt, &card, 100, "85.00").await });
    }
    let mut passed = 0;
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            Ok(_) => passed += 1,
            Err(e) => assert!(e.contains("R-PTS-7"), "{e}"),
        }
    }
    passed
}

#[tokio::test]
async fn concurrent_offline_redemptions_never_pass_the_card_allowance_together() {
    let app = spawn_app().await;
    let card = card_with_points(&app).await;
    let k = with_head_office(&app, Arc::new(MemoryHeadOffice::default()), false);
    // 20 tills at once, 100 points each, on one card with 1,000 points: the allowance (500)
    // lets exactly five through, however the requests interleave.
    let passed = redeem_at_once(&k, "CARD", std::slice::from_ref(&card), 20).await;
    assert_eq!(passed, 5);
    let mut conn = k.db.reader.acquire().await.expect("conn");
    let offline = member_kiosk::store::sync_state::offline_redeemed(&mut conn, Some(&card))
        .await
        .expect("sum");
    assert_eq!(offline, 500);
    let redeemed: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE card_number = ?1 AND kind = 'redeem'",
    )
    .bind(&card)
    .fetch_one(&mut *conn)
    .await
    .expect("ledger");
    assert_eq!(redeemed, -500, "the ledger agrees: five redemptions");
}

#[tokio::test]
async fn concurrent_offline_redemptions_never_pass_the_store_budget_together() {
    let app = spawn_app().await;
    let mut cards = Vec::new();
    for n in 3..7 {
        cards.push(card_with_points_n(&app, n).await);
    }
    let k = with_head_office(&app, Arc::new(MemoryHeadOffice::default()), false);
    // A policy version with a store budget of 300 points (allowance per card still 500).
    let mut policy = member_kiosk::domain::policy::Policy::charter_default();
    policy.version = 2;
    policy.offline.store_budget_points = 300;
    let mut conn = k.db.writer.acquire().await.expect("conn");
    member_kiosk::store::policy::insert_if_new(&mut conn, &policy, app.clock.now())
        .await
        .expect("policy stored");
    drop(conn);
    k.remember_policy(policy);
    let passed = redeem_at_once(&k, "STORE", &cards, 24).await;
    assert_eq!(passed, 3);
    let mut conn = k.db.reader.acquire().await.expect("conn");
    let offline = member_kiosk::store::sync_state::offline_redeemed(&mut conn, None)
        .await
        .expect("sum");
    assert_eq!(offline, 300);
}

/// Appends head office's own change (no origin: its annual review) to the fake feed.
fn add_review_change(hq: &Shared, card: CardSnapshot) {
    let mut hq = hq.lock().expect("lock");
    let id = hq.changes.len() as i64 + 1;
    hq.changes.push(Change {
        id,
        origin: None,
        body: ChangeBody::Card {
            card,
            withdrawal: false,
        },
    });
}

#[tokio::test]
async fn head_office_review_wins_over_the_stores_own_and_a_later_store_snapshot() {
    let (addr, hq, ca) = fake_head_office().await;
    let app = spawn_app().await;
    let ho = client(addr, &ca, Duration::from_secs(5));
    let mut memory = SyncMemory::default();
    let card = app.enrol_card(7, "6000.00", day(1980, 5, 1)).await;
    let issued = snapshot(&app.kiosk, &card).await;
    assert_eq!(issued.tier, member_kiosk::domain::Tier::Gold);
    let next_from = issued.expiry + chrono::Days::new(1);
    let next_expiry = issued.expiry + chrono::Months::new(12);

    // Offline, this store's own review saw only its own spend and downgraded the card.
    sqlx::query("UPDATE cards SET tier = 'vip', valid_from = ?2, expiry = ?3 WHERE number = ?1")
        .bind(&card)
        .bind(next_from.to_string())
        .bind(next_expiry.to_string())
        .execute(&app.kiosk.db.writer)
        .await
        .expect("own review");
    // Head office's review over the chain's spend renewed it at gold for the same term.
    let mut renewed = issued.clone();
    renewed.valid_from = next_from;
    renewed.expiry = next_expiry;
    add_review_change(&hq, renewed.clone());
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    let now = snapshot(&app.kiosk, &card).await;
    assert_eq!(
        (now.tier, now.valid_from, now.expiry),
        (member_kiosk::domain::Tier::Gold, next_from, next_expiry),
        "head office wins on merge"
    );

    // Later: another store's own offline review (same term, downgraded), then a snapshot
    // from before the review (old term, inactive): neither undoes head office's review.
    let mut theirs = renewed.clone();
    theirs.tier = member_kiosk::domain::Tier::Vip;
    add_change(
        &hq,
        "0003",
        ChangeBody::Card {
            card: theirs,
            withdrawal: false,
        },
    );
    let mut old = issued.clone();
    old.state = CardState::Inactive;
    old.lapsed_on = Some(issued.expiry);
    add_change(
        &hq,
        "0003",
        ChangeBody::Card {
            card: old,
            withdrawal: false,
        },
    );
    memory = SyncMemory::default();
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    assert_eq!(round.pulled, 2);
    let now = snapshot(&app.kiosk, &card).await;
    assert_eq!(
        (now.tier, now.state, now.expiry, now.lapsed_on),
        (
            member_kiosk::domain::Tier::Gold,
            CardState::Active,
            next_expiry,
            None
        ),
        "a store's later snapshot does not undo the review"
    );

    // A loss report in another store still blocks it (precedence), keeping the review's tier.
    let mut blocked = renewed.clone();
    blocked.state = CardState::Blocked;
    blocked.tier = member_kiosk::domain::Tier::Vip;
    add_change(
        &hq,
        "0003",
        ChangeBody::Card {
            card: blocked,
            withdrawal: false,
        },
    );
    memory = SyncMemory::default();
    let round = task::round(&app.kiosk, &ho, &mut memory).await;
    assert!(round.failed.is_none(), "{round:?}");
    assert_eq!(round.pulled, 1);
    let now = snapshot(&app.kiosk, &card).await;
    assert_eq!(
        (now.tier, now.state),
        (member_kiosk::domain::Tier::Gold, CardState::Blocked)
    );
}

/// A member and live card issued in store 0002 (as head office's feed carries them).
fn issued_elsewhere(app: &common::TestApp, n: u64) -> (MemberSnapshot, CardSnapshot) {
    let id = format!("0190bbbb-0000-7000-8000-{n:012}");
    let sealer = &app.kiosk.sealer;
    let member = MemberSnapshot {
        id: id.clone(),
        name: format!("会员B{n}"),
        sex: "female".into(),
        birth_date: "1985-07-01".into(),
        phone: sealer.seal(&id, Field::Phone, "13900000000").expect("seal"),
        id_document: SealedDocument {
            kind: "passport".into(),
            number: sealer
                .seal(&id, Field::IdNumber, &format!("E{n:08}"))
                .expect("seal"),
        },
        address: None,
        email: None,
        preferences: None,
        home_store: "0002".into(),
        id_lookup: None,
        phone_lookup: None,
    };
    let number =
        member_kiosk::domain::card_number::CardNumber::compose("88", "0002", n).expect("number");
    let card = CardSnapshot {
        number: number.as_str().to_owned(),
        member_id: id,
        tier: member_kiosk::domain::Tier::Gold,
        state: CardState::Active,
        valid_from: day(2026, 3, 1),
        expiry: day(2027, 2, 28),
        lapsed_on: None,
        generation: 1,
        replaces: None,
        replaced_by: None,
        upgrade_points_carried: 0,
        points_debt: 0,
        issued_store: "0002".into(),
        issued_on: day(2026, 3, 1),
        record_seq: 1,
        record_key_id: None,
    };
    (member, card)
}

#[tokio::test]
async fn a_card_issued_in_another_store_a_moment_ago_works_at_once_online() {
    let app = spawn_app().await;
    let ho = Arc::new(MemoryHeadOffice::default());
    let k = with_head_office(&app, ho.clone(), true);
    let (member, card) = issued_elsewhere(&app, 11);
    ho.add_change(Some("0002"), ChangeBody::Member { member });
    ho.add_change(
        Some("0002"),
        ChangeBody::Card {
            card: card.clone(),
            withdrawal: false,
        },
    );
    // Not on file yet (the sync task has not pulled): the lookup pulls it now.
    let view = member_kiosk::flows::lookup::lookup(&k, &card.number)
        .await
        .expect("found through head office");
    assert_eq!(view.tier, member_kiosk::domain::Tier::Gold);
    // A sale on another such card, straight away: gold discount, points on that card.
    let (member, other) = issued_elsewhere(&app, 12);
    ho.add_change(Some("0002"), ChangeBody::Member { member });
    ho.add_change(
        Some("0002"),
        ChangeBody::Card {
            card: other.clone(),
            withdrawal: false,
        },
    );
    let sale = redeem(&k, "R-ELSE-1", &other.number, 0, "90.00")
        .await
        .expect("sale with a card from store 0002");
    assert_eq!(sale["points"]["earned"], 18, "{sale}");
    assert_eq!(app.ledger_sum(&other.number).await, 18);

    // Offline, an unknown card typed in is still unknown (nothing to ask).
    let offline = with_head_office(&app, ho.clone(), false);
    let (member, third) = issued_elsewhere(&app, 13);
    ho.add_change(Some("0002"), ChangeBody::Member { member });
    ho.add_change(
        Some("0002"),
        ChangeBody::Card {
            card: third.clone(),
            withdrawal: false,
        },
    );
    let unknown = member_kiosk::flows::lookup::lookup(&offline, &third.number).await;
    assert!(
        matches!(
            unknown,
            Err(member_kiosk::flows::FlowError::NotFound { .. })
        ),
        "{unknown:?}"
    );
}

/// The record of `card` as its issuing store wrote it, on a card in `reader` at `workstation`
/// (the reader's keyring signs it).
fn write_record(reader: &MemoryCardReader, workstation: &str, card: &CardSnapshot) -> VirtualCard {
    use member_kiosk::card::reader::{CardReader, CardSeen};
    use member_kiosk::card::record::{CardContent, CardIdentity};
    let blank = VirtualCard::blank();
    reader.insert(workstation, blank.clone());
    let identity = CardIdentity {
        card_number: card.number.clone(),
        generation: 1,
        tier: card.tier,
        valid_from: card.valid_from,
        expiry: card.expiry,
        issuing_store: card.issued_store.clone(),
    };
    reader
        .write(workstation, &identity, &CardSeen::Iso(CardContent::Blank))
        .expect("record written");
    blank
}

/// What the kiosk says of the card in the reader at `workstation`.
async fn check_at(k: &Kiosk, cards: &MemoryCardReader, workstation: &str) -> Value {
    use member_kiosk::card::reader::CardReader;
    let read = cards.read(workstation).expect("read");
    let check = member_kiosk::flows::card_check::check(k, &read)
        .await
        .expect("checked");
    serde_json::to_value(check).expect("json")
}

/// The `ledger.entry` events of a sale's receipt, and the sum of their points.
async fn ledger_events(k: &Kiosk, receipt: &str) -> (i64, i64) {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE topic = 'ledger.entry'")
            .fetch_all(&k.db.reader)
            .await
            .expect("events");
    let mine: Vec<Value> = payloads
        .iter()
        .map(|p| serde_json::from_str::<Value>(p).expect("payload"))
        .filter(|p| p["receipt_no"] == receipt)
        .collect();
    (
        mine.len() as i64,
        mine.iter()
            .map(|p| p["points"].as_i64().expect("points"))
            .sum(),
    )
}

#[tokio::test]
async fn offline_a_verified_card_of_another_store_earns_pending_points_that_reach_its_ledger_once()
{
    let app = spawn_app().await;
    let ho = Arc::new(MemoryHeadOffice::default());
    let offline = with_head_office(&app, ho.clone(), false);
    // A gold card of store 0002 whose holder has her birthday today: nothing of it is on file.
    let (mut member, card) = issued_elsewhere(&app, 21);
    member.birth_date = "1984-03-10".into();
    write_record(&app.cards, "T01", &card);

    // The reader: a genuine record, not on file, head office out of reach → earning only.
    let check = check_at(&offline, &app.cards, "T01").await;
    assert_eq!(
        (&check["verdict"], &check["usable"]),
        (&json!("earn_only"), &json!(true)),
        "{check}"
    );
    assert_eq!(check["foreign"]["tier"], "gold", "{check}");
    assert_eq!(check["foreign"]["rule"], "R-PTS-7", "{check}");
    assert!(check["card"].is_null(), "{check}");

    // The quote says so: the record's tier, nothing redeemable, no birthday rate.
    let quote = member_kiosk::flows::checkout::quote_basket(
        &offline,
        serde_json::from_value(json!({
            "card_number": card.number, "lines": [regular("GOODS", "100.00", 1)],
        }))
        .expect("quote request"),
    )
    .await
    .expect("quoted");
    let quote = serde_json::to_value(quote).expect("json");
    assert_eq!(
        (
            &quote["net_total"],
            &quote["birthday"],
            &quote["max_redeemable_points"]
        ),
        (&json!("90.00"), &json!(false), &json!(0)),
        "{quote}"
    );
    assert_eq!(quote["foreign_card"]["earn_only"], true, "{quote}");

    // Redemption on it is refused under R-PTS-7; nothing is written.
    let refused = redeem(&offline, "R-FOR-0", &card.number, 100, "80.00")
        .await
        .unwrap_err();
    assert!(refused.contains("R-PTS-7"), "{refused}");
    assert_eq!(app.count("sales").await, 0);

    // Two sales earn pending points; one is half refunded before the card arrives.
    let sale = redeem(&offline, "R-FOR-1", &card.number, 0, "90.00")
        .await
        .expect("an earning sale");
    assert_eq!(sale["quote"]["points_earned"], 18, "{sale}");
    assert_eq!(sale["card_number"], card.number.as_str(), "{sale}");
    let req: member_kiosk::flows::checkout::SaleRequest = serde_json::from_value(json!({
        "receipt_no": "R-FOR-2", "till_id": "T01", "card_number": card.number,
        "lines": [regular("A", "100.00", 1), regular("B", "100.00", 1)], "tenders": cash("180.00"),
    }))
    .expect("request");
    member_kiosk::flows::checkout::commit_sale(&offline, &offline.action("S01", "T01"), req)
        .await
        .expect("a second sale");
    let event: String = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE topic = 'sale.committed' AND entity_id LIKE '%R-FOR-1'",
    )
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("sale event");
    assert!(
        event.contains(&format!("\"card_number\":\"{}\"", card.number)),
        "{event}"
    );
    let (status, refund) = app
        .request_as(
            "S01",
            "lounge",
            reqwest::Method::POST,
            "/api/sales/R-FOR-2/refunds",
            Some(json!({ "refund_no": "RF-FOR-2", "till_id": "T01",
                         "lines": [{ "index": 1, "quantity": 1 }] })),
            &[("x-supervisor", "S02"), ("x-supervisor-pin", common::PIN)],
        )
        .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(
        (
            &refund["card_number"],
            &refund["points_reversed"],
            &refund["debt_added"]
        ),
        (&json!(card.number), &json!(18), &json!(0)),
        "{refund}"
    );
    let waiting: (i64, i64) = sqlx::query_as(
        "SELECT SUM(points), SUM(reversed) FROM pending_card_points WHERE applied_at IS NULL",
    )
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("pending");
    assert_eq!(waiting, (18 + 36, 18));
    assert_eq!(ledger_events(&app.kiosk, "R-FOR-1").await, (0, 0));

    // Two days later the link is back: the member and the card arrive by pull; the points are
    // on the card's ledger, dated by the sales' day, each with its ledger.entry event.
    app.set_day(day(2026, 3, 12));
    ho.add_change(Some("0002"), ChangeBody::Member { member });
    ho.add_change(
        Some("0002"),
        ChangeBody::Card {
            card: card.clone(),
            withdrawal: false,
        },
    );
    let online = with_head_office(&app, ho.clone(), true);
    assert_eq!(member_kiosk::flows::sync_apply::pull_now(&online).await, 2);
    assert_eq!(app.ledger_sum(&card.number).await, 18 + 18);
    assert_eq!(ledger_events(&app.kiosk, "R-FOR-1").await, (1, 18));
    assert_eq!(ledger_events(&app.kiosk, "R-FOR-2").await, (1, 18));
    let days: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT business_day FROM points_ledger WHERE card_number = ?1",
    )
    .bind(&card.number)
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("days");
    assert_eq!(days, vec!["2026-03-10".to_string()]);
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales WHERE card_number = ?1")
        .bind(&card.number)
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("sales");
    assert_eq!(linked, 2, "the sales name their card now");

    // The card again (a re-sent change), then a restart and a full re-pull from cursor 0:
    // nothing is applied twice.
    ho.add_change(
        Some("0002"),
        ChangeBody::Card {
            card: card.clone(),
            withdrawal: false,
        },
    );
    member_kiosk::flows::sync_apply::pull_now(&online).await;
    let config = (*app.kiosk.config).clone();
    let restarted = Kiosk::start(
        config,
        app.clock.clone(),
        app.cards.clone(),
        Arc::new(test_secrets()),
    )
    .await
    .expect("a second start on the same database");
    sqlx::query("UPDATE sync_state SET pull_cursor = 0")
        .execute(&restarted.db.writer)
        .await
        .expect("cursor reset");
    let mut again = restarted.clone();
    again.head_office = Some(ho.clone());
    again.sync.update(|s| {
        s.configured = true;
        s.online = true;
        s.last_success = Some(app.clock.now());
    });
    assert_eq!(member_kiosk::flows::sync_apply::pull_now(&again).await, 3);
    assert_eq!(app.ledger_sum(&card.number).await, 18 + 18, "exactly once");
    assert_eq!(ledger_events(&app.kiosk, "R-FOR-1").await, (1, 18));
    assert_eq!(ledger_events(&app.kiosk, "R-FOR-2").await, (1, 18));
    restarted.db.close().await;
}

#[tokio::test]
async fn offline_a_forged_record_of_another_store_is_still_refused() {
    let app = spawn_app().await;
    let ho = Arc::new(MemoryHeadOffice::default());
    let offline = with_head_office(&app, ho, false);
    let (_, card) = issued_elsewhere(&app, 22);
    // Signed under key id 1 with another secret: the MAC does not verify here.
    let forger = MemoryCardReader::empty(Arc::new(Keyring::single(1, [8u8; 32])));
    let fake = write_record(&forger, "X", &card);
    app.cards.insert("T01", fake);
    let check = check_at(&offline, &app.cards, "T01").await;
    assert_eq!(
        (&check["verdict"], &check["usable"]),
        (&json!("forged"), &json!(false)),
        "{check}"
    );
    let refused = redeem(&offline, "R-FAKE-1", &card.number, 0, "90.00")
        .await
        .unwrap_err();
    assert!(refused.contains("not found"), "{refused}");
    assert_eq!(app.count("sales").await, 0);
    assert_eq!(app.count("pending_card_points").await, 0);
}
