//! The audit trail: every state-changing request leaves a row (answered or refused), rows are
//! append-only and hash-chained under the audit key, `verify` finds an edited or removed row,
//! and contact changes (R-SVC-3) carry masked before/after only. The attacks of someone holding
//! the database file (not the key file): a cut tail, an edit re-chained with plain SHA-256 or
//! a wrong key, a cut and re-chained history; each is found by `verify-audit` (the real
//! binary) and by `GET /api/audit`, through the anchors kept outside the database.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::clock::FixedClock;
use member_kiosk::config::Config;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::store::audit::{self, AuditRow, Problem, VerifyReport};
use member_kiosk::store::Db;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The audit key of every test kiosk.
fn key() -> [u8; 32] {
    *test_secrets().audit_key()
}

async fn audit_rows(app: &TestApp) -> Vec<AuditRow> {
    sqlx::query_as::<_, AuditRow>("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("audit rows")
}

/// The whole chain, against the anchor file, as `verify-audit` checks it.
async fn verify(app: &TestApp) -> VerifyReport {
    let anchors = audit::read_anchors(&app.kiosk.config.audit_anchors()).expect("anchors");
    let mut conn = app.kiosk.db.reader.acquire().await.expect("reader");
    audit::verify(&mut conn, &key(), None, &anchors)
        .await
        .expect("verify runs")
}

/// The database file opened the way an attacker would: the guard triggers dropped.
async fn open_the_file(app: &TestApp) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(app.dir.path().join("kiosk.db"));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("open the file");
    for drop in [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ] {
        sqlx::query(drop)
            .execute(&mut conn)
            .await
            .expect("drop trigger");
    }
    conn
}

/// What someone with the database file could do: drop the guard triggers, then run `sql`.
async fn tamper(app: &TestApp, sql: &str) {
    let mut conn = open_the_file(app).await;
    let done = sqlx::query(sql).execute(&mut conn).await.expect("tamper");
    assert_eq!(done.rows_affected(), 1, "{sql}");
    conn.close().await.expect("close");
}

/// Cuts the tail from `from` on, and winds AUTOINCREMENT back so no gap shows.
async fn cut_tail(app: &TestApp, from: i64) {
    let mut conn = open_the_file(app).await;
    for sql in [
        "DELETE FROM audit_log WHERE seq >= ?1",
        "UPDATE sqlite_sequence SET seq = ?1 - 1 WHERE name = 'audit_log'",
    ] {
        sqlx::query(sql)
            .bind(from)
            .execute(&mut conn)
            .await
            .expect(sql);
    }
    conn.close().await.expect("close");
}

/// How an attacker recomputes the hashes after an edit.
#[derive(Clone, Copy)]
enum Rechain {
    /// The old way: plain SHA-256, the rows marked as plain.
    PlainSha256,
    /// Keyed, but with a key that is not the store's.
    WrongKey,
}

/// Edits row `from` (its result becomes 200) and recomputes every hash from it on, so no
/// link inside the database is broken.
async fn edit_and_rechain(app: &TestApp, from: i64, how: Rechain) {
    let rows = audit_rows(app).await;
    let mut prev = rows
        .iter()
        .find(|r| r.seq == from - 1)
        .map_or(audit::GENESIS.to_owned(), |r| r.hash.clone());
    let mut conn = open_the_file(app).await;
    for mut row in rows.into_iter().filter(|r| r.seq >= from) {
        if row.seq == from {
            row.result = 200;
        }
        row.prev_hash = prev;
        let key = match how {
            Rechain::PlainSha256 => {
                row.chain = audit::PLAIN_CHAIN;
                [0u8; 32]
            }
            Rechain::WrongKey => [1u8; 32],
        };
        row.hash = row.expected_hash(&key).expect("a known chain");
        let done = sqlx::query(
            "UPDATE audit_log SET result = ?1, prev_hash = ?2, hash = ?3, chain = ?4 WHERE seq = ?5",
        )
        .bind(row.result)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .bind(row.chain)
        .bind(row.seq)
        .execute(&mut conn)
        .await
        .expect("re-chain");
        assert_eq!(done.rows_affected(), 1);
        prev = row.hash;
    }
    conn.close().await.expect("close");
}

/// `member-kiosk verify-audit [args]` on the app's database: exit code and what it printed.
fn verify_audit_cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String) {
    verify_audit_cli_in(app.dir.path(), args)
}

/// `member-kiosk verify-audit [args]` on `dir/kiosk.db` with the test kiosk's keys.
fn verify_audit_cli_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
        .arg("verify-audit")
        .args(args)
        .env_remove("KIOSK_CONFIG")
        .env_remove("KIOSK_AUDIT_ANCHOR_FILE")
        .env("KIOSK_DATABASE", dir.join("kiosk.db"))
        .env("KIOSK_KEY_FILE", dir.join("no-key-file"))
        // The test kiosk's issuer key and data secret (see tests/common).
        .env("KIOSK_ISSUER_KEY", "07".repeat(32))
        .env("KIOSK_DATA_SECRET", "09".repeat(32))
        .output()
        .expect("run the binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// `verify-audit` exits 1 naming the break at `seq` and saying `what`.
fn verify_audit_finds(app: &TestApp, seq: i64, what: &str) {
    let (code, out) = verify_audit_cli(app, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("BROKEN at seq {seq}")), "{out}");
    assert!(out.contains(what), "{out}");
}

/// With the anchor file gone as well, the head printed on the slip still finds the break.
fn the_slip_alone_finds_it(app: &TestApp, slip_anchor: &str, at: i64) {
    std::fs::remove_file(app.kiosk.config.audit_anchors()).expect("remove the anchor file");
    let (code, out) = verify_audit_cli(app, &["--anchor", slip_anchor]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("BROKEN at seq {at}")), "{out}");
}

/// `GET /api/audit[?full=true]`: the chain check of the answer.
async fn audit_check(app: &TestApp, full: bool) -> Value {
    let path = if full {
        "/api/audit?full=true"
    } else {
        "/api/audit"
    };
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{body}");
    body["chain"].clone()
}

/// The broken link of a check answer: (seq, problem).
fn broken(chain: &Value) -> (i64, String) {
    let b = &chain["broken"];
    assert!(b.is_object(), "the chain should be broken: {chain}");
    (
        b["seq"].as_i64().expect("seq"),
        b["problem"].as_str().expect("problem").to_owned(),
    )
}

/// Prints T01's daily summary and returns the audit head the slip shows (`SEQ:HASH`).
async fn print_daily_summary(app: &TestApp) -> String {
    let (status, body) = app
        .post("/api/workstations/T01/daily-summary", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let preview = body["print"][0]["preview"].as_str().expect("preview");
    let lines: Vec<&str> = preview.lines().map(str::trim).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("审计链"))
        .unwrap_or_else(|| panic!("no audit head on the slip:\n{preview}"));
    let seq = lines[at]
        .rsplit('#')
        .next()
        .expect("#seq")
        .trim()
        .to_owned();
    format!("{seq}:{}", lines[at + 1])
}

/// Four audited requests: the default staff member's sign-in, two sales and a refused refund.
async fn three_requests(app: &TestApp) {
    app.guest_cash_sale("R-1", "100.00").await;
    app.guest_cash_sale("R-2", "50.00").await;
    let (status, _) = app.post("/api/sales/R-1/refunds", json!({})).await;
    assert!((400..500).contains(&status), "refund refused: {status}");
}

#[tokio::test]
async fn a_sale_and_a_refused_request_are_both_audited() {
    let app = spawn_app().await;
    app.guest_cash_sale("R-1", "100.00").await;
    let (status, _) = app.post("/api/sales/R-1/refunds", json!({})).await;
    assert_eq!(status, 422, "an empty refund body is refused");
    let refused = app
        .post_raw("/api/sales", r#"{"receipt_no": "R-9"}"#, None)
        .await;
    assert_eq!(refused.0, 401, "no staff member signed in: {}", refused.1);
    // A read (the sale on file, for a refund) is not audited: no row for it below.
    let (status, _) = app.get("/api/sales/R-1").await;
    assert_eq!(status, 200);

    let rows = audit_rows(&app).await;
    // (staff, role, workstation, action, target, result)
    type Seen<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        &'a str,
        Option<&'a str>,
        i64,
    );
    let seen: Vec<Seen> = rows
        .iter()
        .map(|r| {
            (
                r.staff_id.as_str(),
                r.role.as_deref(),
                r.workstation.as_str(),
                r.action.as_str(),
                r.target.as_deref(),
                r.result,
            )
        })
        .collect();
    let supervisor = Some("supervisor");
    assert_eq!(
        seen,
        vec![
            ("S01", supervisor, "lounge", "POST /api/sessions", None, 201),
            // A committed sale is audited in its own transaction, at its till, with its receipt number.
            (
                "S01",
                supervisor,
                "T01",
                "POST /api/sales",
                Some("R-1"),
                201
            ),
            (
                "S01",
                supervisor,
                "lounge",
                "POST /api/sales/{receipt_no}/refunds",
                Some("R-1"),
                422
            ),
            ("anonymous", None, "unknown", "POST /api/sales", None, 401),
        ]
    );
    assert!(rows.iter().all(|r| r.store_id == app.kiosk.config.store_id));
    assert_eq!(rows[0].prev_hash, audit::GENESIS);
    assert_eq!(rows[1].prev_hash, rows[0].hash);

    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'staff.action'")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("outbox count");
    assert_eq!(sent, 4, "each audit row goes to head office");
}

#[tokio::test]
async fn the_route_template_names_the_action_and_the_card_is_the_target() {
    let app = spawn_app().await;
    let enrolled = app.enrol(1, "300.00", day(1990, 5, 20)).await;
    let card = TestApp::card_number(&enrolled);
    let (status, _) = app
        .post(
            &format!("/api/cards/{card}/upgrade"),
            json!({ "receipts": [] }),
        )
        .await;
    assert!((400..500).contains(&status), "upgrade refused: {status}");
    let rows = audit_rows(&app).await;
    let upgrade = rows.last().expect("a row");
    assert_eq!(upgrade.action, "POST /api/cards/{card_number}/upgrade");
    assert_eq!(upgrade.target.as_deref(), Some(card.as_str()));
    assert_eq!(upgrade.result, i64::from(status));
    assert!(rows
        .iter()
        .any(|r| r.action == "POST /api/members" && r.result == 201));
}

#[tokio::test]
async fn an_untouched_chain_verifies() {
    let app = spawn_app().await;
    let empty = verify(&app).await;
    assert_eq!((empty.rows_checked, empty.broken), (0, None));
    assert_eq!(empty.head, audit::Head::genesis());
    three_requests(&app).await;
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.rows_checked, 4);
    assert_eq!((report.head.seq, report.head.keyed), (4, true));
    let rows = audit_rows(&app).await;
    assert!(rows.iter().all(|r| r.chain == audit::KEYED_CHAIN));
}

#[tokio::test]
async fn an_edited_row_is_reported_as_edited() {
    let app = spawn_app().await;
    three_requests(&app).await;
    tamper(&app, "UPDATE audit_log SET result = 200 WHERE seq = 2").await;
    let report = verify(&app).await;
    let broken = report.broken.clone().expect("the edit is found");
    assert_eq!(
        (broken.seq, broken.problem),
        (2, Problem::Edited),
        "{report}"
    );
    assert_eq!(report.rows_checked, 2);
}

#[tokio::test]
async fn an_edited_detail_is_found_and_rehashing_it_breaks_the_next_link() {
    let app = spawn_app().await;
    three_requests(&app).await;
    tamper(
        &app,
        r#"UPDATE audit_log SET detail = '{"note":"nothing happened"}' WHERE seq = 1"#,
    )
    .await;
    let broken = verify(&app).await.broken.expect("the edit is found");
    assert_eq!((broken.seq, broken.problem), (1, Problem::Edited));

    // Re-hashing the edited row moves the break to the next row's link.
    let rows = audit_rows(&app).await;
    let rehashed = rows[0].expected_hash(&key()).expect("keyed");
    assert_ne!(rows[0].hash, rehashed);
    tamper(
        &app,
        &format!("UPDATE audit_log SET hash = '{rehashed}' WHERE seq = 1"),
    )
    .await;
    let broken = verify(&app).await.broken.expect("still found");
    assert_eq!((broken.seq, broken.problem), (2, Problem::Unlinked));
}

#[tokio::test]
async fn a_removed_middle_row_is_reported_as_a_gap() {
    let app = spawn_app().await;
    three_requests(&app).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    let report = verify(&app).await;
    let broken = report.broken.clone().expect("the removal is found");
    assert_eq!(
        (broken.seq, broken.problem),
        (3, Problem::Removed { from: 2, to: 2 }),
        "{report}"
    );
    assert!(report.to_string().contains("row 2 before it was removed"));
}

#[tokio::test]
async fn a_removed_first_or_last_row_is_found() {
    let app = spawn_app().await;
    three_requests(&app).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 1").await;
    let broken = verify(&app).await.broken.expect("the removal is found");
    assert_eq!(
        (broken.seq, broken.problem),
        (2, Problem::Removed { from: 1, to: 1 })
    );

    // The last row removed: the next row appended after it leaves the gap showing.
    let app = spawn_app().await;
    three_requests(&app).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 4").await;
    app.guest_cash_sale("R-3", "10.00").await;
    let broken = verify(&app).await.broken.expect("the removal is found");
    assert_eq!(
        (broken.seq, broken.problem),
        (5, Problem::Removed { from: 4, to: 4 })
    );
}

#[tokio::test]
async fn audit_rows_cannot_be_updated_or_deleted() {
    let app = spawn_app().await;
    three_requests(&app).await;
    for sql in [
        "UPDATE audit_log SET result = 200 WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
    ] {
        let err = sqlx::query(sql)
            .execute(&app.kiosk.db.writer)
            .await
            .expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(audit_rows(&app).await.len(), 4);
    assert!(verify(&app).await.is_ok());
}

#[tokio::test]
async fn r_svc_3_contact_change_is_audited_with_masked_before_and_after() {
    let app = spawn_app().await;
    let enrolled = app.enrol(1, "300.00", day(1990, 5, 20)).await;
    let member = enrolled["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let path = format!("/api/members/{member}/contact");
    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            &path,
            json!({ "phone": "13812345678", "address": "上海市南京西路1号", "email": "zhang.wei@example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let refused = app
        .send(reqwest::Method::PATCH, &path, json!({ "phone": "12345" }))
        .await;
    assert_eq!(refused.0, 422);

    let rows = audit_rows(&app).await;
    let changes: Vec<&AuditRow> = rows
        .iter()
        .filter(|r| r.action == "member.contact_change")
        .collect();
    assert_eq!(changes.len(), 1, "a refused change records no change");
    let change = changes[0];
    assert_eq!(change.target.as_deref(), Some(member.as_str()));
    assert_eq!((change.staff_id.as_str(), change.result), ("S01", 200));
    let detail: Value =
        serde_json::from_str(change.detail.as_deref().expect("detail")).expect("JSON detail");
    assert_eq!(
        detail,
        json!({
            "phone": { "before": "139****0001", "after": "138****5678" },
            "email": { "before": null, "after": "z********@example.com" },
            "address": { "changed": true },
        })
    );
    let patches: Vec<i64> = rows
        .iter()
        .filter(|r| r.action == "PATCH /api/members/{member_id}/contact")
        .map(|r| r.result)
        .collect();
    assert_eq!(patches, vec![200, 422]);

    // Nothing personal in clear, neither in the trail nor in what goes to head office.
    let trail: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(detail, '') || target FROM audit_log WHERE target IS NOT NULL \
         UNION ALL SELECT payload FROM outbox WHERE topic = 'staff.action'",
    )
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("trail");
    for text in &trail {
        for secret in ["13812345678", "13900000001", "zhang.wei", "南京西路"] {
            assert!(!text.contains(secret), "{secret} in clear: {text}");
        }
    }
    assert!(verify(&app).await.is_ok());
}

#[tokio::test]
async fn verify_audit_command_exits_non_zero_on_a_broken_chain() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let (code, out) = verify_audit_cli(&app, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK: 4 rows checked"), "{out}");

    tamper(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    let (code, out) = verify_audit_cli(&app, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 3"), "{out}");
}

#[tokio::test]
async fn the_chain_is_keyed_hashes_cannot_be_recomputed_without_the_key() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let rows = audit_rows(&app).await;
    let plain = audit::AuditRow {
        chain: audit::PLAIN_CHAIN,
        ..rows[1].clone()
    };
    assert_ne!(plain.expected_hash(&key()), Some(rows[1].hash.clone()));
    assert_ne!(rows[1].expected_hash(&[1; 32]), Some(rows[1].hash.clone()));
    assert_eq!(rows[1].expected_hash(&key()), Some(rows[1].hash.clone()));
}

#[tokio::test]
async fn attack_a_cut_tail_is_found_by_the_anchor_file_the_slip_and_the_api() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let slip_anchor = print_daily_summary(&app).await;
    assert!(slip_anchor.starts_with("4:"), "{slip_anchor}");
    app.guest_cash_sale("R-3", "10.00").await;
    let before = audit_check(&app, false).await;
    assert_eq!(before["broken"], Value::Null, "{before}");
    assert_eq!(
        before["anchors_checked"], 1,
        "the summary's anchor: {before}"
    );
    let head = before["head"]["seq"].as_i64().expect("head");

    // Rows 3.. removed and AUTOINCREMENT wound back: nothing inside the database shows it.
    cut_tail(&app, 3).await;
    assert_eq!(
        broken(&audit_check(&app, false).await),
        (head, "cut".into()),
        "the head verified before is gone"
    );
    assert_eq!(broken(&audit_check(&app, true).await), (4, "cut".into()));
    verify_audit_finds(&app, 4, "tail cut off");

    the_slip_alone_finds_it(&app, &slip_anchor, 4);
    let (code, out) = verify_audit_cli(&app, &[]);
    assert_eq!(
        code,
        Some(0),
        "with no anchor at all the cut is invisible: {out}"
    );
}

#[tokio::test]
async fn attack_an_edit_rechained_with_plain_sha256_is_found() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let slip_anchor = print_daily_summary(&app).await;
    assert!(audit_check(&app, false).await["broken"].is_null());
    edit_and_rechain(&app, 2, Rechain::PlainSha256).await;

    // Every link inside the database holds; the rows after the start anchor must be keyed.
    assert_eq!(
        broken(&audit_check(&app, false).await),
        (5, "rechained".into()),
        "the head verified before has another hash"
    );
    assert_eq!(
        broken(&audit_check(&app, true).await),
        (2, "unkeyed".into())
    );
    verify_audit_finds(&app, 2, "not keyed");
    // With only the slip: the anchored row's hash differs.
    the_slip_alone_finds_it(&app, &slip_anchor, 2);
}

#[tokio::test]
async fn attack_an_edit_rechained_with_a_wrong_key_is_found() {
    let app = spawn_app().await;
    three_requests(&app).await;
    assert!(audit_check(&app, false).await["broken"].is_null());
    edit_and_rechain(&app, 2, Rechain::WrongKey).await;
    assert_eq!(
        broken(&audit_check(&app, false).await),
        (4, "rechained".into())
    );
    assert_eq!(broken(&audit_check(&app, true).await), (2, "edited".into()));
    verify_audit_finds(&app, 2, "edited");
}

#[tokio::test]
async fn attack_a_cut_and_rechained_history_is_found() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let slip_anchor = print_daily_summary(&app).await;
    assert!(audit_check(&app, false).await["broken"].is_null());
    // Keep rows 1-2, edit row 1 and re-chain both, then drop the anchor file as well.
    cut_tail(&app, 3).await;
    for how in [Rechain::WrongKey, Rechain::PlainSha256] {
        edit_and_rechain(&app, 1, how).await;
        assert_eq!(broken(&audit_check(&app, false).await).1, "cut");
        let full = broken(&audit_check(&app, true).await);
        assert_eq!(full.0, 1, "{full:?}");
        let (code, out) = verify_audit_cli(&app, &[]);
        assert_eq!(code, Some(1), "{out}");
    }
    the_slip_alone_finds_it(&app, &slip_anchor, 4);
}

#[tokio::test]
async fn the_api_check_reads_only_rows_added_since_the_last_one() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let first = audit_check(&app, false).await;
    assert_eq!(
        first["rows_checked"], 4,
        "the first check walks it all: {first}"
    );
    app.guest_cash_sale("R-3", "10.00").await;
    app.guest_cash_sale("R-4", "10.00").await;
    let next = audit_check(&app, false).await;
    assert_eq!(next["rows_checked"], 2, "only the two new rows: {next}");
    assert_eq!(next["head"]["seq"], 6);
    let again = audit_check(&app, false).await;
    assert_eq!(again["rows_checked"], 0, "{again}");
    let full = audit_check(&app, true).await;
    assert_eq!(
        full["rows_checked"], 6,
        "on demand, the whole chain: {full}"
    );
    assert!(full["broken"].is_null());
}

/// The `#SEQ HASH` head an OK `verify-audit` printed, as `SEQ:HASH` for `--since`.
fn printed_head(out: &str) -> String {
    let fields: Vec<&str> = out
        .split_once("head #")
        .map(|(_, head)| head.split_whitespace().take(2).collect())
        .unwrap_or_default();
    assert_eq!(fields.len(), 2, "no head printed: {out}");
    format!("{}:{}", fields[0], fields[1])
}

#[tokio::test]
async fn verify_audit_since_a_printed_head_reads_only_the_rows_after_it() {
    let app = spawn_app().await;
    three_requests(&app).await;
    let (code, out) = verify_audit_cli(&app, &[]);
    assert_eq!(code, Some(0), "{out}");
    let head = printed_head(&out);
    assert!(head.starts_with("4:"), "{out}");
    app.guest_cash_sale("R-3", "10.00").await;
    app.guest_cash_sale("R-4", "10.00").await;
    let (code, out) = verify_audit_cli(&app, &["--since", &head]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("OK: 2 rows checked"),
        "only the new rows: {out}"
    );
    assert!(printed_head(&out).starts_with("6:"), "{out}");
    let from_the_start = format!("0:{}", audit::GENESIS);
    let (code, out) = verify_audit_cli(&app, &["--since", &from_the_start]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK: 6 rows checked"), "{out}");

    // A row after the head edited: found. The head's own row re-chained: found at it.
    tamper(&app, "UPDATE audit_log SET result = 200 WHERE seq = 5").await;
    let (code, out) = verify_audit_cli(&app, &["--since", &head]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 5"), "{out}");
    edit_and_rechain(&app, 4, Rechain::WrongKey).await;
    let (code, out) = verify_audit_cli(&app, &["--since", &head]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 4"), "{out}");
    assert!(out.contains("re-chained"), "{out}");
    // The head's row cut off.
    cut_tail(&app, 4).await;
    let (code, out) = verify_audit_cli(&app, &["--since", &head]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 4"), "{out}");
    assert!(out.contains("tail cut off"), "{out}");
}

#[tokio::test]
async fn a_bad_anchor_argument_is_refused() {
    let app = spawn_app().await;
    for bad in ["4", "4:abc", "x:0123456789abcdef", "4:not-hex-at-all"] {
        let (code, out) = verify_audit_cli(&app, &["--anchor", bad]);
        assert_eq!(code, Some(2), "{bad}: {out}");
    }
    let (code, out) = verify_audit_cli(&app, &["--anchor", &format!("0:{}", audit::GENESIS)]);
    assert_eq!(code, Some(0), "{out}");
}

/// A row as the version before the keyed chain wrote it: no `chain` column given, hash =
/// SHA-256(prev_hash ‖ the ten fields as a JSON array).
async fn insert_unkeyed_row(db: &Db, seq: i64, prev_hash: &str) -> String {
    let at = "2026-03-09T02:00:00+00:00";
    let action = format!("POST /api/sales/{seq}");
    let fields = json!([
        seq,
        "0001",
        at,
        "S01",
        "supervisor",
        "T01",
        action,
        null,
        null,
        201
    ]);
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    digest.update(fields.to_string().as_bytes());
    let hash = hex::encode(digest.finalize());
    sqlx::query(
        "INSERT INTO audit_log (seq, store_id, at, staff_id, role, workstation, action, target, \
         detail, result, prev_hash, hash) \
         VALUES (?1, '0001', ?2, 'S01', 'supervisor', 'T01', ?3, NULL, NULL, 201, ?4, ?5)",
    )
    .bind(seq)
    .bind(at)
    .bind(&action)
    .bind(prev_hash)
    .bind(&hash)
    .execute(&db.writer)
    .await
    .expect("insert an old row");
    hash
}

#[tokio::test]
async fn an_old_unkeyed_chain_still_verifies_and_is_sealed_at_upgrade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join("kiosk.db"), 1)
        .await
        .expect("open");
    let mut prev = audit::GENESIS.to_owned();
    for seq in 1..=3 {
        prev = insert_unkeyed_row(&db, seq, &prev).await;
    }
    db.close().await;
    // Nothing edited, nothing anchored yet: the old chain passes as it is.
    let (code, out) = verify_audit_cli_in(dir.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK: 3 rows checked"), "{out}");

    // The store upgrades in place: the start anchors the old head, new rows are keyed.
    let config = Config {
        database: dir.path().join("kiosk.db"),
        spool_dir: dir.path().join("spool"),
        ..Config::default()
    };
    let clock = Arc::new(FixedClock::new(store_time(day(2026, 3, 10))));
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    let kiosk = Kiosk::start(config, clock, cards, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts");
    let anchors = audit::read_anchors(&kiosk.config.audit_anchors()).expect("anchors");
    assert_eq!(
        anchors,
        vec![audit::Anchor {
            seq: 3,
            hash: prev.clone()
        }]
    );
    kiosk
        .audit(audit::AuditEntry {
            store_id: "0001".into(),
            at: kiosk.clock.now(),
            staff_id: "S01".into(),
            role: None,
            workstation: "T01".into(),
            action: "POST /api/sales".into(),
            target: None,
            detail: None,
            result: 201,
        })
        .await
        .expect("audited");
    let rows: Vec<AuditRow> = sqlx::query_as("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&kiosk.db.reader)
        .await
        .expect("rows");
    let chains: Vec<i64> = rows.iter().map(|r| r.chain).collect();
    assert_eq!(chains, vec![1, 1, 1, 2]);
    assert_eq!(
        rows[3].prev_hash, prev,
        "the first keyed row seals the old ones"
    );
    let report = audit::verify(
        &mut kiosk.db.reader.acquire().await.expect("reader"),
        &key(),
        None,
        &anchors,
    )
    .await
    .expect("verify");
    assert!(report.is_ok(), "{report}");
    kiosk.db.close().await;
    let (code, out) = verify_audit_cli_in(dir.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("OK: 4 rows checked, 1 anchors reached"),
        "{out}"
    );

    // An old row edited and the old prefix re-chained the old way: the anchor catches it.
    let db = Db::open(&dir.path().join("kiosk.db"), 1)
        .await
        .expect("open");
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&db.writer)
        .await
        .expect("drop trigger");
    let mut prev = rows[0].hash.clone();
    for mut row in rows.into_iter().skip(1).take(2) {
        row.result = 200;
        row.prev_hash = prev;
        row.hash = row.expected_hash(&[]).expect("plain");
        sqlx::query("UPDATE audit_log SET result = 200, prev_hash = ?1, hash = ?2 WHERE seq = ?3")
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .bind(row.seq)
            .execute(&db.writer)
            .await
            .expect("re-chain");
        prev = row.hash;
    }
    db.close().await;
    let (code, out) = verify_audit_cli_in(dir.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 3"), "{out}");
}
