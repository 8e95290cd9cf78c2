//! The audit trail: every state-changing request leaves a row (answered or refused), rows are
//! append-only and hash-chained, `verify` finds an edited or removed row, and contact changes
//! (R-SVC-3) carry masked before/after only.

mod common;

use common::*;
use member_kiosk::store::audit::{self, AuditRow, Problem, VerifyReport};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

async fn audit_rows(app: &TestApp) -> Vec<AuditRow> {
    sqlx::query_as::<_, AuditRow>("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("audit rows")
}

async fn verify(app: &TestApp) -> VerifyReport {
    let mut conn = app.kiosk.db.reader.acquire().await.expect("reader");
    audit::verify(&mut conn).await.expect("verify runs")
}

/// What someone with the database file could do: drop the guard triggers, then run `sql`.
async fn tamper(app: &TestApp, sql: &str) {
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
    let done = sqlx::query(sql).execute(&mut conn).await.expect("tamper");
    assert_eq!(done.rows_affected(), 1, "{sql}");
    conn.close().await.expect("close");
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
    let (status, _) = app.get("/api/sales/R-1").await;
    assert_ne!(status, 200, "reads are not audited, whatever they answer");

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

    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'audit'")
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
    assert_eq!(
        verify(&app).await,
        VerifyReport {
            rows_checked: 0,
            broken: None
        }
    );
    three_requests(&app).await;
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.rows_checked, 4);
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
    let rehashed = rows[0].expected_hash();
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
         UNION ALL SELECT payload FROM outbox WHERE topic = 'audit'",
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
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
            .arg("verify-audit")
            .env_remove("KIOSK_CONFIG")
            .env("KIOSK_DATABASE", app.dir.path().join("kiosk.db"))
            .env("KIOSK_KEY_FILE", app.dir.path().join("no-keys-needed"))
            .output()
            .expect("run the binary")
    };
    let ok = run();
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("OK: 4 rows checked"), "{out}");

    tamper(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    let broken = run();
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 3"), "{out}");
}
