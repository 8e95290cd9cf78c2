//! R-SVC-1: members' ID numbers, phones and addresses are sealed at rest, found through the
//! lookup index, shown masked, and never appear in full in the database file, the logs, the
//! printed receipts (spool files and print queue) or the answers of masked reads. Rows left
//! in clear by an older version are sealed when the kiosk starts.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::clock::FixedClock;
use member_kiosk::config::Config;
use member_kiosk::domain::id_document::{IdDocument, IdKind};
use member_kiosk::flows::members::{self, MemberSearch, Reveal};
use member_kiosk::kiosk::Kiosk;
use member_kiosk::store::{self, sealed::Sealer, Db};
use serde_json::{json, Value};

// ---------------------------------------------------------------- log capture

type LogBuffer = Arc<Mutex<Vec<u8>>>;

/// Every log line of this test binary, at TRACE, from the first call on: one global
/// subscriber writing into a shared buffer (the test writer would print, not capture).
fn captured_logs() -> LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let sink = LogSink(buffer.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(sink)
            .try_init()
            .expect("the only global subscriber of this binary");
        buffer
    })
    .clone()
}

#[derive(Clone)]
struct LogSink(LogBuffer);

struct LogWriter(LogBuffer);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // A test that panicked while logging must not hide the others' lines.
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter(self.0.clone())
    }
}

fn log_bytes(logs: &LogBuffer) -> Vec<u8> {
    logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

// ---------------------------------------------------------------- scanning

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts none of `secrets` occurs in `bytes` (named `what` in the failure).
#[track_caller]
fn assert_absent(what: &str, bytes: &[u8], secrets: &[String]) {
    for secret in secrets {
        assert!(!contains(bytes, secret), "{secret:?} found in {what}");
    }
}

/// The database file and its WAL, as they are on disk.
fn database_bytes(db: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        let path = db.with_file_name(format!(
            "{}{suffix}",
            db.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("kiosk.db")
        ));
        if let Ok(bytes) = std::fs::read(&path) {
            files.push((path.display().to_string(), bytes));
        }
    }
    assert!(!files.is_empty(), "no database file at {}", db.display());
    files
}

// ---------------------------------------------------------------- the HTTP journey

const BIRTH_1: (i32, u32, u32) = (1980, 5, 1);
const BIRTH_2: (i32, u32, u32) = (1985, 7, 2);
const NEW_PHONE: &str = "13700001111";
const NEW_ADDRESS: &str = "上海市黄浦区南京东路100号";

#[tokio::test]
async fn r_svc_1_no_full_id_number_phone_or_address_in_the_file_logs_receipts_or_answers() {
    let logs = captured_logs();
    let app = spawn_app().await;
    let (b1, b2) = (
        day(BIRTH_1.0, BIRTH_1.1, BIRTH_1.2),
        day(BIRTH_2.0, BIRTH_2.1, BIRTH_2.2),
    );
    let mut answers: Vec<Value> = Vec::new();

    // Enrolment prints the slip (and Gold's welcome voucher).
    let gold = app.enrol(1, "6000.00", b1).await;
    let vip = app.enrol(2, "300.00", b2).await;
    let member_id = gold["member_id"].as_str().expect("member id").to_owned();
    let gold_card = TestApp::card_number(&gold);
    let vip_card = TestApp::card_number(&vip);
    answers.extend([gold.clone(), vip.clone()]);

    // A contact change at the lounge (R-SVC-3): the lounge clerk sees the data in full (the
    // role needs it), so that answer is not among the masked ones; the audit row is masked.
    let (status, changed) = app
        .request_as(
            "L01",
            "lounge",
            reqwest::Method::PATCH,
            &format!("/api/members/{member_id}/contact"),
            Some(json!({ "phone": "137-0000-1111", "address": NEW_ADDRESS })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["personal_data"], "full", "{changed}");
    assert_eq!(changed["address"], NEW_ADDRESS, "{changed}");

    // The replacement desk sees the record masked.
    let (status, changed) = app
        .get_as("D01", "desk", &format!("/api/members/{member_id}"))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["phone"], "137****1111", "{changed}");
    assert_eq!(changed["address"], "上海市黄浦区****", "{changed}");
    assert_eq!(changed["personal_data"], "masked", "{changed}");
    answers.push(changed);
    // A cashier may not open member records at all.
    let (status, refused) = app
        .get_as("C01", "T01", &format!("/api/members/{member_id}"))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["permission"], "member.read");

    let (status, read) = app
        .get_as("D01", "desk", &format!("/api/members/{member_id}"))
        .await;
    assert_eq!(status, 200, "{read}");
    let id_1 = prc_id(b1, 1);
    assert_eq!(
        read["id_number"],
        format!("110***********{}", &id_1[14..]),
        "{read}"
    );
    answers.push(read);

    // A card sale prints its receipt; a loss report prints its slip.
    answers.push(app.card_sale("T01-1", &gold_card, "100.00", "90.00").await);
    let (status, lost) = app
        .post(
            &format!("/api/cards/{vip_card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "{lost}");
    answers.push(lost);
    answers.push(app.lookup(&gold_card).await);

    // The search by ID number and by phone, masked.
    let (status, by_id) = app
        .post_as(
            "D01",
            "desk",
            "/api/members/search",
            json!({ "id_document": { "kind": "prc_resident", "number": prc_id(b1, 1) } }),
        )
        .await;
    assert_eq!(status, 200, "{by_id}");
    answers.push(by_id);
    let (status, by_phone) = app
        .post_as(
            "D01",
            "desk",
            "/api/members/search",
            json!({ "phone": NEW_PHONE }),
        )
        .await;
    assert_eq!(status, 200, "{by_phone}");
    answers.push(by_phone);

    let secrets = vec![
        prc_id(b1, 1),
        prc_id(b2, 2),
        "13900000001".to_owned(),
        "13900000002".to_owned(),
        NEW_PHONE.to_owned(),
        NEW_ADDRESS.to_owned(),
    ];

    // (4) The answers of masked reads.
    for answer in &answers {
        assert_absent("an HTTP answer", answer.to_string().as_bytes(), &secrets);
    }

    // (3) Every printed document: the spool files and the print queue's rows.
    let spool = app.dir.path().join("spool");
    let mut spooled = 0;
    for entry in std::fs::read_dir(&spool).expect("spool dir") {
        let path = entry.expect("spool entry").path();
        let bytes = std::fs::read(&path).expect("spool file");
        assert_absent(&path.display().to_string(), &bytes, &secrets);
        spooled += 1;
    }
    // Two enrolment slips, the welcome voucher, the sale receipt, the loss report: .bin + .txt.
    assert!(spooled >= 10, "only {spooled} spool files");
    let documents: Vec<String> = sqlx::query_scalar("SELECT document FROM print_jobs")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("print jobs");
    assert!(documents.len() >= 5, "{} print jobs", documents.len());
    for document in &documents {
        assert_absent("a print_jobs row", document.as_bytes(), &secrets);
    }

    // (1) The database file and its WAL (members, outbox, audit trail, print queue, …).
    for (name, bytes) in database_bytes(&app.dir.path().join("kiosk.db")) {
        assert_absent(&name, &bytes, &secrets);
    }

    // (2) The logs, at TRACE.
    let logged = log_bytes(&logs);
    assert!(
        contains(&logged, "member enrolled"),
        "the log capture sees the kiosk's own lines"
    );
    assert_absent("the logs", &logged, &secrets);
}

#[tokio::test]
async fn r_svc_1_search_by_id_number_or_phone_finds_the_member_and_live_card() {
    let _logs = captured_logs();
    let app = spawn_app().await;
    let b1 = day(BIRTH_1.0, BIRTH_1.1, BIRTH_1.2);
    let enrolled = app.enrol(1, "300.00", b1).await;
    let member_id = enrolled["member_id"].as_str().expect("member id");
    let card = TestApp::card_number(&enrolled);

    // The ID number as typed at a counter: lower-case x, spaces around it.
    let typed = format!("  {}  ", prc_id(b1, 1).to_lowercase());
    for query in [
        json!({ "id_document": { "kind": "prc_resident", "number": typed } }),
        json!({ "phone": "139 0000 0001" }),
        json!({ "phone": "139-0000-0001" }),
    ] {
        let (status, found) = app
            .post_as("D01", "desk", "/api/members/search", query.clone())
            .await;
        assert_eq!(status, 200, "{query}: {found}");
        let matches = found["matches"].as_array().expect("matches");
        assert_eq!(matches.len(), 1, "{found}");
        assert_eq!(matches[0]["member"]["member_id"], member_id, "{found}");
        assert_eq!(matches[0]["live_card_number"], card, "{found}");
        assert_eq!(matches[0]["member"]["phone"], "139****0001", "{found}");
        assert_eq!(matches[0]["member"]["personal_data"], "masked", "{found}");
    }

    // Same number, another kind of document: nobody.
    let answer = app
        .post(
            "/api/members/search",
            json!({ "id_document": { "kind": "passport", "number": prc_id(b1, 1) } }),
        )
        .await;
    assert_refused(&answer, 404, None, Some("id_document"));
    let answer = app
        .post("/api/members/search", json!({ "phone": "13911112222" }))
        .await;
    assert_refused(&answer, 404, None, Some("phone"));
    assert!(
        !answer.1.to_string().contains("13911112222"),
        "{}",
        answer.1
    );

    // Exactly one of the two; a strict schema; the value never echoed in a refusal.
    let answer = app
        .post(
            "/api/members/search",
            json!({ "phone": "13900000001",
                    "id_document": { "kind": "prc_resident", "number": prc_id(b1, 1) } }),
        )
        .await;
    assert_refused(&answer, 400, None, Some("id_document"));
    let answer = app.post("/api/members/search", json!({})).await;
    assert_refused(&answer, 400, None, Some("id_document"));
    let answer = app
        .post(
            "/api/members/search",
            json!({ "phone": "13900000001", "card": "x" }),
        )
        .await;
    assert_eq!(answer.0, 422, "{}", answer.1);
    let answer = app
        .post("/api/members/search", json!({ "phone": 13900000001u64 }))
        .await;
    assert_refused(&answer, 422, None, Some("phone"));
    assert!(
        !answer.1.to_string().contains("13900000001"),
        "{}",
        answer.1
    );

    // Never a GET with the value in the URL.
    let (status, _) = app.get("/api/members/search?phone=13900000001").await;
    assert_ne!(status, 200);

    // Documented, with its strict request schema.
    let (_, api) = app.get("/api/openapi.json").await;
    assert!(
        api["paths"]["/api/members/search"]["post"].is_object(),
        "search missing from the OpenAPI document"
    );
    assert!(api["components"]["schemas"]["MemberSearch"].is_object());
    assert!(api["components"]["schemas"]["MemberSearchResult"].is_object());
}

#[tokio::test]
async fn r_enr_3_a_second_enrolment_is_still_refused_through_the_lookup_index() {
    let _logs = captured_logs();
    let app = spawn_app().await;
    let b1 = day(BIRTH_1.0, BIRTH_1.1, BIRTH_1.2);
    app.enrol(1, "300.00", b1).await;
    app.guest_cash_sale("Q-2", "300.00").await;
    let mut again = applicant(2, b1);
    again["id_document"]["number"] = json!(format!(" {} ", prc_id(b1, 1).to_lowercase()));
    let answer = app
        .post(
            "/api/members",
            json!({ "applicant": again, "receipts": ["Q-2"] }),
        )
        .await;
    assert_refused(&answer, 422, Some("R-ENR-3"), Some("applicant.id_document"));
    assert!(
        !answer.1.to_string().contains(&prc_id(b1, 1)),
        "{}",
        answer.1
    );
    assert_eq!(app.count("members").await, 1);
}

// ---------------------------------------------------------------- an upgrading store

const LEGACY_ID: &str = "legacy-member-1";

async fn start_kiosk(dir: &Path) -> Kiosk {
    let config = Config {
        database: dir.join("kiosk.db"),
        spool_dir: dir.join("spool"),
        ..Config::default()
    };
    let clock = Arc::new(FixedClock::new(store_time(day(2026, 3, 10))));
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    Kiosk::start(config, clock, cards, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts")
}

#[tokio::test]
async fn r_svc_1_plaintext_rows_of_an_older_version_are_sealed_at_start() {
    let logs = captured_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kiosk.db");
    let birth = day(1979, 11, 30);
    let number = prc_id(birth, 7);
    let phone = "13612345678";
    let address = "广州市天河区体育西路1号";

    // The store as an older version left it: personal data in clear, in the member row and
    // in the member's outbox record. Values are bound, so no SQL text (or log) holds them.
    {
        let db = Db::open(&path, 1).await.expect("db");
        sqlx::query(
            "INSERT INTO members (id, name, sex, birth_date, birth_md, phone, id_kind, id_number, address, home_store, created_at, updated_at)
             VALUES (?1, '老会员', 'male', '1979-11-30', '11-30', ?2, 'prc_resident', ?3, ?4, '0001', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
        )
        .bind(LEGACY_ID)
        .bind(phone)
        .bind(&number)
        .bind(address)
        .execute(&db.writer)
        .await
        .expect("legacy member");
        let payload = json!({
            "id": LEGACY_ID, "name": "老会员", "sex": "male", "birth_date": "1979-11-30",
            "phone": phone, "id_document": { "kind": "prc_resident", "number": number },
            "address": address, "email": null, "preferences": null, "home_store": "0001",
        });
        sqlx::query(
            "INSERT INTO outbox (store_id, topic, entity_id, payload, created_at) VALUES ('0001', 'member', ?1, ?2, '2025-01-01T00:00:00Z')",
        )
        .bind(LEGACY_ID)
        .bind(payload.to_string())
        .execute(&db.writer)
        .await
        .expect("legacy outbox row");
        db.close().await;
    }
    let secrets = vec![number.clone(), phone.to_owned(), address.to_owned()];
    let before: Vec<u8> = database_bytes(&path)
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    assert!(
        contains(&before, &number) && contains(&before, phone),
        "the legacy file holds the plaintext (else this test proves nothing)"
    );

    // Start-up seals, and no page of the file (or WAL) keeps the plaintext.
    let kiosk = start_kiosk(dir.path()).await;
    for (name, bytes) in database_bytes(&path) {
        assert_absent(&name, &bytes, &secrets);
    }

    // The member is found through the lookup index, masked; in full only when revealed.
    let found = members::search(
        &kiosk,
        MemberSearch {
            id_document: Some(IdDocument {
                kind: IdKind::PrcResident,
                number: number.to_lowercase(),
            }),
            phone: None,
        },
        Reveal::Masked,
    )
    .await
    .expect("found by ID number");
    assert_eq!(found.matches.len(), 1);
    let masked = &found.matches[0].member;
    assert_eq!(masked.member_id, LEGACY_ID);
    assert_eq!(masked.phone, "136****5678");
    assert_eq!(masked.id_number, format!("110***********{}", &number[14..]));
    assert_eq!(masked.address.as_deref(), Some("广州市天河区****"));
    let found = members::search(
        &kiosk,
        MemberSearch {
            id_document: None,
            phone: Some(phone.to_owned()),
        },
        Reveal::Full,
    )
    .await
    .expect("found by phone");
    let full = &found.matches[0].member;
    assert_eq!(full.member_id, LEGACY_ID);
    assert_eq!(full.phone, phone);
    assert_eq!(full.id_number, number);
    assert_eq!(full.address.as_deref(), Some(address));
    assert_eq!(full.personal_data, Reveal::Full);

    // Idempotent: a second pass (and a restart) seals nothing more and reads the same.
    let sealer = Sealer::new(&kiosk.secrets);
    assert_eq!(
        store::members::seal_plaintext_rows(&kiosk.db, &sealer)
            .await
            .expect("second pass"),
        0
    );
    kiosk.db.close().await;
    drop(kiosk);
    let kiosk = start_kiosk(dir.path()).await;
    let view = members::member_view(&kiosk, LEGACY_ID, Reveal::Full)
        .await
        .expect("member after restart");
    assert_eq!(view.phone, phone);
    for (name, bytes) in database_bytes(&path) {
        assert_absent(&name, &bytes, &secrets);
    }
    assert_absent("the logs", &log_bytes(&logs), &secrets);
}
