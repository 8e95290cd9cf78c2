//! Staff sign-in and permissions over HTTP (R-SVC-2): every endpoint needs a session, each
//! role is allowed and refused what the README's table says (403 naming the permission),
//! wrong PINs lock an account, idle sessions expire, logout ends a session, sensitive
//! actions need a supervisor's PIN, and sign-ins and lookups are rate limited.

mod common;

use common::*;
use member_kiosk::domain::staff::{Permission, Role};
use serde_json::{json, Value};

fn ordinary_birth() -> chrono::NaiveDate {
    day(1980, 5, 1)
}

const SUPERVISOR_PIN: [(&str, &str); 2] = [("x-supervisor", "S02"), ("x-supervisor-pin", PIN)];

async fn sign_in_raw(app: &TestApp, staff: &str, pin: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/sessions"))
        .json(&json!({ "staff_number": staff, "pin": pin, "workstation": "T01" }))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn with_token(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn r_svc_2_every_endpoint_but_health_docs_and_sign_in_needs_a_session() {
    let app = spawn_app().await;
    let (_, api) = app.get("/api/openapi.json").await;
    let paths = api["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, operations) in paths {
        // Any value will do for the path's parameter: the session is checked first.
        let path = template
            .split('/')
            .map(|part| if part.starts_with('{') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in operations.as_object().expect("operations").keys() {
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let status = app
                .client
                .request(method.clone(), app.url(&path))
                .json(&json!({}))
                .send()
                .await
                .expect("request")
                .status()
                .as_u16();
            let public = matches!(
                (method.as_str(), template.as_str()),
                ("GET", "/api/health" | "/api/openapi.json" | "/api/store")
                    | ("POST", "/api/sessions")
            );
            if public {
                assert_ne!(status, 401, "{method} {template} is public");
            } else {
                assert_eq!(status, 401, "{method} {template} without a session");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 45,
        "only {checked} operations in the API description"
    );
}

/// One request per permission: (permission, method, path, body). The card and receipt exist
/// so an allowed request gets past the guard to the rules (any answer but 401/403).
fn requests(card: &str) -> Vec<(Permission, reqwest::Method, String, Value)> {
    use reqwest::Method as M;
    vec![
        (
            Permission::CardLookup,
            M::GET,
            format!("/api/cards/{card}"),
            Value::Null,
        ),
        (
            Permission::SaleCheckout,
            M::POST,
            "/api/quotes".into(),
            json!({ "lines": [regular("A", "10.00", 1)] }),
        ),
        (
            Permission::MemberEnrol,
            M::POST,
            "/api/members".into(),
            json!({}),
        ),
        (
            Permission::MemberRead,
            M::GET,
            "/api/birthdays".into(),
            Value::Null,
        ),
        (
            Permission::MemberUpdate,
            M::PATCH,
            "/api/members/none/contact".into(),
            json!({}),
        ),
        (
            Permission::CardUpgrade,
            M::POST,
            format!("/api/cards/{card}/upgrade"),
            Value::Null,
        ),
        (
            Permission::CardReactivate,
            M::POST,
            format!("/api/cards/{card}/reactivation"),
            json!({ "receipts": [] }),
        ),
        (
            Permission::GiftIssue,
            M::POST,
            format!("/api/cards/{card}/birthday-gift"),
            Value::Null,
        ),
        (
            Permission::ParkingIssue,
            M::POST,
            format!("/api/cards/{card}/parking"),
            Value::Null,
        ),
        (
            Permission::CardReportLoss,
            M::GET,
            "/api/loss-reports/overdue".into(),
            Value::Null,
        ),
        (
            Permission::CardReplace,
            M::POST,
            format!("/api/cards/{card}/replacement"),
            json!({ "reason": "nonsense" }),
        ),
        (
            Permission::PrintManage,
            M::GET,
            "/api/print-jobs".into(),
            Value::Null,
        ),
        (
            Permission::DailyReport,
            M::POST,
            "/api/workstations/T01/daily-summary".into(),
            json!({}),
        ),
        (
            Permission::StaffManage,
            M::GET,
            "/api/staff".into(),
            Value::Null,
        ),
        (
            Permission::AuditView,
            M::GET,
            "/api/audit".into(),
            Value::Null,
        ),
        (
            Permission::ReviewRun,
            M::POST,
            "/api/review".into(),
            json!({ "date": "2099-01-01" }),
        ),
        (
            Permission::PolicyManage,
            M::POST,
            "/api/policy".into(),
            json!({}),
        ),
    ]
}

#[tokio::test]
async fn r_svc_2_each_role_is_allowed_its_permissions_and_refused_the_rest_by_name() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    for (staff, role) in STAFF {
        for (permission, method, path, body) in requests(&card) {
            let body = (!body.is_null()).then_some(body);
            let (status, answer) = app
                .request_as(staff, "T01", method.clone(), &path, body, &[])
                .await;
            if role.may(permission) {
                assert!(
                    status != 403 && status != 401,
                    "{staff} ({role:?}) may {}: {method} {path} → {status} {answer}",
                    permission.as_str()
                );
            } else {
                assert_eq!(status, 403, "{staff} ({role:?}) {method} {path}: {answer}");
                assert_eq!(answer["permission"], permission.as_str(), "{answer}");
            }
        }
    }
}

#[tokio::test]
async fn r_svc_2_the_permission_table_matches_the_charter_roles() {
    use Permission::*;
    let may = |r: Role| -> Vec<&str> {
        Permission::ALL
            .into_iter()
            .filter(|p| r.may(*p))
            .map(Permission::as_str)
            .collect()
    };
    assert_eq!(
        may(Role::Cashier),
        [
            "card.lookup",
            "sale.checkout",
            "refund.own_till",
            "print.manage"
        ]
    );
    assert!(Role::LoungeClerk.may(MemberEnrol) && Role::LoungeClerk.may(MemberReadFull));
    assert!(!Role::LoungeClerk.may(SaleCheckout) && !Role::LoungeClerk.may(CardReplace));
    assert!(Role::DeskClerk.may(CardReportLoss) && Role::DeskClerk.may(CardReplace));
    assert!(!Role::DeskClerk.may(MemberReadFull) && !Role::DeskClerk.may(FeeWaive));
    assert!(Role::Supervisor.may(RefundAnyTill) && Role::Supervisor.may(StaffManage));
    assert!(!Role::Supervisor.may(PolicyManage));
    assert_eq!(
        may(Role::HqAdmin),
        ["audit.view", "review.run", "policy.manage"]
    );
    for p in [RefundOverLimit, FeeWaive, CardUnblock, PointsAdjust] {
        assert!(p.needs_supervisor_pin(), "{}", p.as_str());
        assert!(
            Role::Supervisor.may(p),
            "only a supervisor can approve {}",
            p.as_str()
        );
        for clerk in [
            Role::Cashier,
            Role::LoungeClerk,
            Role::DeskClerk,
            Role::HqAdmin,
        ] {
            assert!(!clerk.may(p), "{clerk:?} cannot approve {}", p.as_str());
        }
    }
}

#[tokio::test]
async fn r_svc_2_five_wrong_pins_lock_the_account_until_a_supervisor_unlocks_it() {
    let app = spawn_app().await;
    for n in 1..=4 {
        let (status, body) = sign_in_raw(&app, "C01", "000111").await;
        assert_eq!(status, 401, "attempt {n}: {body}");
        assert_eq!(body["error"], "wrong staff number or PIN");
    }
    let (status, body) = sign_in_raw(&app, "C01", "000111").await;
    assert_eq!(status, 401);
    assert!(
        body["error"].as_str().expect("error").contains("locked"),
        "{body}"
    );
    // Locked: even the right PIN is refused.
    let (status, body) = sign_in_raw(&app, "C01", PIN).await;
    assert_eq!(status, 401);
    assert!(
        body["error"].as_str().expect("error").contains("locked"),
        "{body}"
    );
    // An unknown staff number answers like a wrong PIN.
    let (status, body) = sign_in_raw(&app, "X99", PIN).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("wrong staff number or PIN"))
    );

    // A lounge clerk cannot unlock; a supervisor can.
    let (status, body) = app
        .post_as("L01", "lounge", "/api/staff/C01/unlock", json!({}))
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("staff.manage"))
    );
    let (status, body) = app.post("/api/staff/C01/unlock", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sign_in_raw(&app, "C01", PIN).await.0, 201);
}

#[tokio::test]
async fn r_svc_2_a_lock_lifts_by_itself_after_five_minutes() {
    let app = spawn_app().await;
    for _ in 0..5 {
        sign_in_raw(&app, "D01", "000111").await;
    }
    assert_eq!(sign_in_raw(&app, "D01", PIN).await.0, 401);
    app.clock.advance(chrono::Duration::minutes(4));
    assert_eq!(
        sign_in_raw(&app, "D01", PIN).await.0,
        401,
        "still locked at 4 minutes"
    );
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(sign_in_raw(&app, "D01", PIN).await.0, 201);
    // The count started afresh: one wrong PIN does not lock again.
    assert_eq!(sign_in_raw(&app, "D01", "000111").await.0, 401);
    assert_eq!(sign_in_raw(&app, "D01", PIN).await.0, 201);
}

#[tokio::test]
async fn r_svc_2_an_idle_session_expires_and_logout_ends_one_at_once() {
    let app = spawn_app().await;
    let token = app.sign_in("C01", "T01").await;
    assert_eq!(with_token(&app, &token, "/api/session").await, 200);
    app.clock.advance(chrono::Duration::minutes(9));
    assert_eq!(
        with_token(&app, &token, "/api/session").await,
        200,
        "used within 10 min"
    );
    app.clock.advance(chrono::Duration::minutes(9));
    assert_eq!(
        with_token(&app, &token, "/api/session").await,
        200,
        "each use restarts the clock"
    );
    app.clock.advance(chrono::Duration::minutes(10));
    let r = app
        .client
        .get(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["error"].as_str().expect("error").contains("expired"),
        "{body}"
    );

    let token = app.sign_in("C01", "T01").await;
    let r = app
        .client
        .delete(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(with_token(&app, &token, "/api/session").await, 401);
}

#[tokio::test]
async fn r_svc_2_the_session_names_the_staff_member_role_and_permissions() {
    let app = spawn_app().await;
    let (status, me) = app.get_as("L01", "lounge", "/api/session").await;
    assert_eq!(status, 200);
    assert_eq!(me["staff_number"], "L01");
    assert_eq!(me["role"], "lounge_clerk");
    assert_eq!(me["workstation"], "lounge");
    assert!(me["permissions"]
        .as_array()
        .expect("permissions")
        .contains(&json!("member.enrol")));
}

#[tokio::test]
async fn r_svc_2_a_cashier_refunds_their_own_tills_sales_only() {
    let app = spawn_app().await;
    let (status, sale) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales",
            json!({ "receipt_no": "T01-1", "till_id": "T01", "lines": [regular("A", "100.00", 1)], "tenders": cash("100.00") }),
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    // A sale rung on another till than the one signed in at is refused.
    let (status, body) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales",
            json!({ "receipt_no": "T02-1", "till_id": "T02", "lines": [regular("A", "100.00", 1)], "tenders": cash("100.00") }),
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("sale.checkout"))
    );
    app.post_as(
        "S01",
        "T02",
        "/api/sales",
        json!({ "receipt_no": "T02-1", "till_id": "T02", "lines": [regular("A", "50.00", 1)], "tenders": cash("50.00") }),
    )
    .await;
    let refund = |no: &str, till: &str| json!({ "refund_no": no, "till_id": till, "lines": [{ "index": 0, "quantity": 1 }] });
    // The other till's sale, from the cashier's own till or pretending to be at T02.
    let (status, body) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales/T02-1/refunds",
            refund("RF-1", "T01"),
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("refund.any_till")),
        "{body}"
    );
    let (status, body) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales/T02-1/refunds",
            refund("RF-1", "T02"),
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("refund.any_till")),
        "{body}"
    );
    // Their own till's sale: refunded.
    let (status, body) = app
        .post_as(
            "C01",
            "T01",
            "/api/sales/T01-1/refunds",
            refund("RF-2", "T01"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A supervisor refunds any till's sale.
    let (status, body) = app
        .post_as(
            "S01",
            "T01",
            "/api/sales/T02-1/refunds",
            refund("RF-3", "T01"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn r_svc_2_a_refund_over_the_limit_needs_a_supervisors_pin() {
    let app = spawn_app().await;
    let sale = json!({ "receipt_no": "T01-9", "till_id": "T01", "lines": [regular("TV", "2500.00", 1)], "tenders": cash("2500.00") });
    assert_eq!(app.post_as("C01", "T01", "/api/sales", sale).await.0, 201);
    let path = "/api/sales/T01-9/refunds";
    let body =
        json!({ "refund_no": "RF-9", "till_id": "T01", "lines": [{ "index": 0, "quantity": 1 }] });
    let (status, refused) = app.post_as("C01", "T01", path, body.clone()).await;
    assert_eq!(
        (status, refused["permission"].as_str()),
        (403, Some("refund.over_limit")),
        "{refused}"
    );
    // A wrong supervisor PIN is refused (and counts toward the supervisor's lock).
    let (status, _) = app
        .request_as(
            "C01",
            "T01",
            reqwest::Method::POST,
            path,
            Some(body.clone()),
            &[("x-supervisor", "S02"), ("x-supervisor-pin", "999999")],
        )
        .await;
    assert_eq!(status, 401);
    // Another clerk's PIN cannot approve.
    let (status, refused) = app
        .request_as(
            "C01",
            "T01",
            reqwest::Method::POST,
            path,
            Some(body.clone()),
            &[("x-supervisor", "L01"), ("x-supervisor-pin", PIN)],
        )
        .await;
    assert_eq!(
        (status, refused["permission"].as_str()),
        (403, Some("refund.over_limit"))
    );
    let (status, refunded) = app
        .request_as(
            "C01",
            "T01",
            reqwest::Method::POST,
            path,
            Some(body),
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 201, "{refunded}");
    // The audit row names the cashier, the role and the approving supervisor.
    let (_, audit) = app.get("/api/audit").await;
    let row = audit["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["action"] == "POST /api/sales/{receipt_no}/refunds" && r["result"] == 201)
        .expect("the refund's audit row")
        .clone();
    assert_eq!(row["staff_id"], "C01");
    assert_eq!(row["role"], "cashier");
    assert!(
        row["detail"].as_str().expect("detail").contains("S02"),
        "{row}"
    );
    assert_eq!(audit["chain"]["broken"], Value::Null);
}

#[tokio::test]
async fn r_pts_7_a_manual_points_adjustment_needs_a_reason_and_a_supervisors_pin() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let path = format!("/api/cards/{card}/points-adjustments");
    let add = json!({ "points": 150, "reason": "missed_earning" });
    let (status, refused) = app.post_as("L01", "lounge", &path, add.clone()).await;
    assert_eq!(
        (status, refused["permission"].as_str()),
        (403, Some("points.adjust"))
    );
    assert_eq!(app.ledger_sum(&card).await, 0);
    let (status, done) = app
        .request_as(
            "L01",
            "lounge",
            reqwest::Method::POST,
            &path,
            Some(add),
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(
        (done["balance"].as_i64(), done["approved_by"].as_str()),
        (Some(150), Some("S02"))
    );
    // Never below zero (R-PTS-7); `other` needs a note; unknown reasons are refused.
    for (body, status, field) in [
        (
            json!({ "points": -151, "reason": "wrong_booking" }),
            422,
            "points",
        ),
        (json!({ "points": 5, "reason": "other" }), 422, "note"),
        (json!({ "points": 5, "reason": "because" }), 422, "reason"),
    ] {
        let answer = app
            .request_as(
                "L01",
                "lounge",
                reqwest::Method::POST,
                &path,
                Some(body.clone()),
                &SUPERVISOR_PIN,
            )
            .await;
        assert_eq!(
            (answer.0, answer.1["field"].as_str()),
            (status, Some(field)),
            "{body}: {}",
            answer.1
        );
    }
    let (status, _) = app
        .request_as(
            "L01",
            "lounge",
            reqwest::Method::POST,
            &path,
            Some(json!({ "points": -50, "reason": "wrong_booking" })),
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(app.ledger_sum(&card).await, 100);
    assert_eq!(
        app.lookup(&card).await["upgrade_points"],
        0,
        "adjustments never count toward upgrade"
    );
}

#[tokio::test]
async fn r_rep_6_a_mistaken_loss_report_is_withdrawn_the_same_day_with_a_supervisors_pin() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let report_path = format!("/api/cards/{card}/loss-report");
    let report = json!({ "channel": "phone" });
    assert_eq!(
        app.post_as("D01", "desk", &report_path, report.clone())
            .await
            .0,
        200
    );
    let path = format!("/api/cards/{card}/loss-report/cancellation");
    let (status, refused) = app.post_as("D01", "desk", &path, json!({})).await;
    assert_eq!(
        (status, refused["permission"].as_str()),
        (403, Some("card.unblock"))
    );
    let (status, view) = app
        .request_as(
            "D01",
            "desk",
            reqwest::Method::POST,
            &path,
            None,
            &SUPERVISOR_PIN,
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "active");
    assert_eq!(app.lookup(&card).await["usable"], true);
    // Reported again, and a day passes: the found card stays invalid (R-REP-6).
    assert_eq!(
        app.post_as("D01", "desk", &report_path, report.clone())
            .await
            .0,
        200
    );
    app.set_day(day(2026, 3, 11));
    let answer = app
        .request_as(
            "D01",
            "desk",
            reqwest::Method::POST,
            &path,
            None,
            &SUPERVISOR_PIN,
        )
        .await;
    assert_refused(&answer, 422, Some("R-REP-6"), None);
    assert_eq!(app.lookup(&card).await["state"], "blocked");
}

#[tokio::test]
async fn r_svc_2_supervisors_manage_staff_and_a_new_clerk_signs_in_with_their_own_pin() {
    let app = spawn_app().await;
    let new = json!({ "staff_number": "C07", "name": "王芳", "role": "cashier", "pin": "583920" });
    let (status, added) = app.post("/api/staff", new.clone()).await;
    assert_eq!(status, 201, "{added}");
    assert!(added.get("pin_hash").is_none(), "{added}");
    assert_eq!(app.post("/api/staff", new).await.0, 409);
    for (pin, why) in [
        ("123456", "a run"),
        ("111111", "a repeat"),
        ("12345", "too short"),
    ] {
        let (status, body) = app
            .post(
                "/api/staff",
                json!({ "staff_number": "C08", "name": "x", "role": "cashier", "pin": pin }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("pin")),
            "{why}: {body}"
        );
    }
    let (status, body) = app
        .post(
            "/api/staff",
            json!({ "staff_number": "H02", "name": "x", "role": "hq_admin", "pin": "583920" }),
        )
        .await;
    assert_eq!(status, 403, "head-office admins come from the CLI: {body}");
    let (status, signed_in) = sign_in_raw(&app, "C07", "583920").await;
    assert_eq!(status, 201, "{signed_in}");
    let token = signed_in["token"].as_str().expect("token").to_owned();
    // Deactivated: the open session ends and no new one opens.
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            "/api/staff/C07",
            json!({ "active": false }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(with_token(&app, &token, "/api/session").await, 401);
    assert_eq!(sign_in_raw(&app, "C07", "583920").await.0, 401);
    // A supervisor cannot demote themself.
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            "/api/staff/S01",
            json!({ "role": "cashier" }),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn r_svc_2_sign_ins_and_lookups_are_rate_limited() {
    let app = spawn_app_with_default_limits().await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(sign_in_raw(&app, "C01", "000111").await.0);
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    let r = app
        .client
        .post(app.url("/api/sessions"))
        .json(&json!({ "staff_number": "C01", "pin": PIN, "workstation": "T01" }))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());

    let app = spawn_app_with_default_limits().await;
    let token = app.sign_in("C01", "T01").await;
    let mut limited = 0;
    let started = std::time::Instant::now();
    for n in 0..300 {
        let status = with_token(&app, &token, &format!("/api/cards/88000100000{}", n % 10)).await;
        if status == 429 {
            limited += 1;
        }
    }
    // A burst of 120 passes and the bucket refills 2 a second: on a slow machine the loop
    // itself earns a few more, so the floor counts the time it took.
    let refilled = (started.elapsed().as_secs_f64() * 2.0).ceil() as i64;
    assert!(
        limited >= 300 - 120 - 1 - refilled && limited > 0,
        "lookups beyond 120 a minute are refused: {limited} (refilled {refilled})"
    );
}

#[tokio::test]
async fn r_svc_2_bootstrap_creates_the_first_supervisor_only_once() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |pin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
            .args([
                "bootstrap-supervisor",
                "--staff-number",
                "S01",
                "--name",
                "店长",
            ])
            .env_remove("KIOSK_CONFIG")
            .env("KIOSK_DATABASE", dir.path().join("kiosk.db"))
            .env("KIOSK_KEY_FILE", dir.path().join("keys.toml"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the binary");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{pin}\n").as_bytes())
            .expect("write the PIN");
        child.wait_with_output().expect("wait")
    };
    let weak = run("123456");
    assert!(!weak.status.success(), "a weak PIN is refused");
    let first = run("583920");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = run("583921");
    assert!(!again.status.success(), "a second bootstrap is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let key_file = std::fs::read_to_string(dir.path().join("keys.toml")).expect("key file");
    assert!(
        key_file.contains("data_secret"),
        "the pepper's root is in the key file"
    );
}

/// The sign-in state of an account, straight from the database.
async fn lock_state(app: &TestApp, staff: &str) -> (i64, Option<String>) {
    sqlx::query_as("SELECT wrong_pins, locked_until FROM staff WHERE staff_number = ?1")
        .bind(staff)
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("staff row")
}

#[tokio::test]
async fn r_svc_2_a_burst_of_concurrent_wrong_pins_locks_the_account_for_good() {
    let app = spawn_app().await;
    // 40 wrong PINs at once, with the right PIN in the middle of the burst.
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..40 {
        let (client, url) = (app.client.clone(), app.url("/api/sessions"));
        let pin = if n == 20 { PIN } else { "000111" };
        burst.spawn(async move {
            client
                .post(url)
                .json(&json!({ "staff_number": "C01", "pin": pin, "workstation": "T01" }))
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.expect("task"));
    }
    assert!(
        statuses.iter().filter(|s| **s == 401).count() >= 39,
        "{statuses:?}"
    );
    let (wrong, locked_until) = lock_state(&app, "C01").await;
    assert!(
        locked_until.is_some(),
        "locked after the burst: {wrong} wrong"
    );
    let (status, body) = sign_in_raw(&app, "C01", PIN).await;
    assert_eq!(status, 401, "the right PIN after the burst: {body}");
    assert!(body["error"].as_str().expect("error").contains("locked"));
}

/// A points adjustment by the session of `token`, approved by S02 with `pin`.
fn adjustment(app: &TestApp, token: &str, card: &str, pin: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(&format!("/api/cards/{card}/points-adjustments")))
        .bearer_auth(token)
        .header("x-supervisor", "S02")
        .header("x-supervisor-pin", pin)
        .json(&json!({ "points": 100000, "reason": "missed_earning" }))
}

/// `n` adjustments at once with a wrong supervisor PIN; the statuses.
async fn supervisor_pin_burst(app: &TestApp, token: &str, card: &str, n: usize) -> Vec<u16> {
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..n {
        let request = adjustment(app, token, card, "000111");
        burst.spawn(async move { request.send().await.expect("request").status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.expect("task"));
    }
    statuses
}

async fn approve_with_right_pin(app: &TestApp, token: &str, card: &str) -> (u16, Value) {
    let r = adjustment(app, token, card, PIN)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn r_svc_2_a_burst_of_wrong_supervisor_pins_locks_the_supervisor() {
    // Rate limits lifted: the lock alone must hold.
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let token = app.sign_in("C01", "T01").await;
    let statuses = supervisor_pin_burst(&app, &token, &card, 200).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert!(lock_state(&app, "S02").await.1.is_some(), "S02 locked");
    let (status, body) = approve_with_right_pin(&app, &token, &card).await;
    assert_eq!(status, 401, "the right PIN after the burst: {body}");
    assert!(body["error"].as_str().expect("error").contains("locked"));
    assert_eq!(app.ledger_sum(&card).await, 0, "nothing approved");
}

#[tokio::test]
async fn r_svc_2_supervisor_pin_approvals_are_rate_limited_per_session_and_supervisor() {
    let app = spawn_app_with_default_limits().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let token = app.sign_in("C01", "T01").await;
    let statuses = supervisor_pin_burst(&app, &token, &card, 200).await;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 185, "limited {limited} of 200: {statuses:?}");
    // Another clerk trying the same supervisor is held by the supervisor's own limit.
    let other = app.sign_in("L01", "lounge").await;
    assert_eq!(approve_with_right_pin(&app, &other, &card).await.0, 429);
    assert_eq!(app.ledger_sum(&card).await, 0, "nothing approved");
}

#[tokio::test]
async fn r_svc_2_locked_and_unknown_staff_numbers_answer_alike() {
    let app = spawn_app().await;
    let answers = |staff: &'static str| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for _ in 0..6 {
                out.push(sign_in_raw(app, staff, "000111").await);
            }
            out.push(sign_in_raw(app, staff, PIN).await);
            out
        }
    };
    let known = answers("D01").await;
    let unknown = answers("X99").await;
    assert_eq!(
        known, unknown,
        "a locked account answers like an unknown one"
    );
    assert!(known[4].1["error"]
        .as_str()
        .expect("error")
        .contains("locked"));
    // The time each answer takes, printed (a figure, not an assert).
    let mut times = Vec::new();
    for staff in ["D01", "X98", "C01"] {
        let started = std::time::Instant::now();
        for _ in 0..3 {
            sign_in_raw(&app, staff, "000111").await;
        }
        times.push((staff, started.elapsed() / 3));
    }
    eprintln!("sign-in answer time (locked D01, unknown X98, wrong PIN C01): {times:?}");
}

/// Every text column of the audit trail and its outbox copies.
async fn audit_text(app: &TestApp) -> String {
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT staff_id || ' ' || workstation || ' ' || action || ' ' || COALESCE(target, '')
            || ' ' || COALESCE(detail, '') FROM audit_log",
    )
    .fetch_all(&app.kiosk.db.reader)
    .await
    .expect("audit rows");
    let outbox: Vec<(String, String)> =
        sqlx::query_as("SELECT entity_id, payload FROM outbox WHERE topic = 'staff.action'")
            .fetch_all(&app.kiosk.db.reader)
            .await
            .expect("outbox rows");
    format!("{audit:?} {outbox:?}")
}

#[tokio::test]
async fn r_svc_1_personal_data_typed_into_any_field_never_reaches_the_audit_trail() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "300.00", ordinary_birth()).await;
    let token = app.sign_in("C01", "T01").await;
    let phone = "13812345678";
    let id_number = prc_id(day(1990, 3, 7), 7);
    for typed in [phone, id_number.as_str()] {
        // Sign-in: the staff number and the workstation fields.
        sign_in_raw(&app, typed, "000111").await;
        let r = app
            .client
            .post(app.url("/api/sessions"))
            .json(&json!({ "staff_number": "C01", "pin": PIN, "workstation": typed }))
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status().as_u16(),
            422,
            "a workstation is not a phone number"
        );
        // The supervisor's staff number header.
        let r = app
            .client
            .post(app.url(&format!("/api/cards/{card}/points-adjustments")))
            .bearer_auth(&token)
            .header("x-supervisor", typed)
            .header("x-supervisor-pin", "000111")
            .json(&json!({ "points": 5, "reason": "missed_earning" }))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 401);
        // Every kind of path parameter, signed in and not.
        for path in [
            format!("/api/cards/{typed}/upgrade"),
            format!("/api/sales/{typed}/refunds"),
            format!("/api/staff/{typed}/unlock"),
            format!("/api/workstations/{typed}/daily-summary"),
            format!("/api/demo/tray/{typed}/remove"),
            format!("/api/readers/{typed}/read"),
            format!("/api/print-jobs/{typed}/retry"),
            format!("/api/{typed}"),
            format!("/api/members/{typed}/search"),
        ] {
            app.post(&path, json!({})).await;
            app.client
                .post(app.url(&path))
                .json(&json!({}))
                .send()
                .await
                .expect("request");
        }
        app.send(
            reqwest::Method::PATCH,
            &format!("/api/members/{typed}/contact"),
            json!({}),
        )
        .await;
    }
    let trail = audit_text(&app).await;
    assert!(trail.contains("sessions"), "the requests were audited");
    for typed in [phone, id_number.as_str()] {
        assert!(
            !trail.contains(typed),
            "{typed} in the audit trail: {trail}"
        );
    }
}

#[tokio::test]
async fn r_svc_2_the_daily_summary_checks_its_workstation() {
    let app = spawn_app().await;
    let (status, body) = app
        .post("/api/workstations/till%2F1%20x/daily-summary", json!({}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("workstation")),
        "{body}"
    );
}

#[tokio::test]
async fn r_svc_2_the_demo_tray_is_used_from_the_own_workstation_only() {
    let app = spawn_app().await;
    let insert = json!({ "card": "blank" });
    // A cashier at T01 may not put cards into the lounge's reader.
    let (status, body) = app
        .post_as("C01", "T01", "/api/demo/tray/lounge/insert", insert.clone())
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (403, Some("workstation")),
        "{body}"
    );
    let (status, _) = app
        .post_as("C01", "T01", "/api/demo/tray/lounge/remove", json!({}))
        .await;
    assert_eq!(status, 403);
    // Head office does no counter work.
    let (status, _) = app
        .post_as("H01", "T01", "/api/demo/tray/T01/insert", insert.clone())
        .await;
    assert_eq!(status, 403);
    // A supervisor too uses their own workstation's slot, as with the readers.
    let (status, _) = app
        .post_as(
            "S01",
            "desk",
            "/api/demo/tray/lounge/insert",
            insert.clone(),
        )
        .await;
    assert_eq!(status, 403);
    // Allowed at the own workstation (no tray outside demo mode: 404).
    let (status, _) = app
        .post_as("C01", "T01", "/api/demo/tray/T01/insert", insert)
        .await;
    assert_eq!(status, 404);
}
