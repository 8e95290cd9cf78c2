//! The API contract: the OpenAPI document is valid OpenAPI 3.1 (checked against the 3.1
//! schema with a JSON-Schema validator), declares what the app really does (query and path
//! parameters where they are, public operations public, every permission as the README's
//! table), and documents every status and error code the app answers to a broad set of
//! requests. Every refusal, even one made before any handler runs, is the JSON error body.
//! And the counter UI can say every code in both languages (its message catalogs).

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{applicant, cash, day, regular, spawn_app, TestApp, PIN};
use member_kiosk::flows::{ErrorCode, RULE_IDS};
use reqwest::Method;
use serde_json::{json, Value};

const META_SCHEMA: &str = include_str!("fixtures/openapi-3.1.schema.json");

async fn document(app: &TestApp) -> Value {
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200, "the document is public");
    r.json().await.expect("JSON")
}

/// The operations of the document: (method, path template) → operation.
fn operations(doc: &Value) -> HashMap<(String, String), Value> {
    let mut ops = HashMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            ops.insert((method.to_uppercase(), path.clone()), op.clone());
        }
    }
    ops
}

/// The path template a concrete path matches, the most literal one first
/// (`/api/members/search` before `/api/members/{member_id}`).
fn template_of<'a>(templates: impl Iterator<Item = &'a String>, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    templates
        .filter_map(|t| {
            let tparts: Vec<&str> = t.split('/').collect();
            let matches = tparts.len() == parts.len()
                && tparts
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()));
            let literal = tparts.iter().filter(|t| !t.starts_with('{')).count();
            matches.then(|| (literal, t.clone()))
        })
        .max()
        .map(|(_, t)| t)
}

/// The codes the document lists for `ErrorBody.code`.
fn listed_codes(doc: &Value) -> BTreeSet<String> {
    doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
        .as_array()
        .expect("ErrorBody.code is an enum")
        .iter()
        .map(|c| c.as_str().expect("string code").to_owned())
        .collect()
}

/// A validator of `schema`, whose `#/components/...` references resolve in `doc`.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let wrapped = json!({ "allOf": [schema], "components": doc["components"] });
    jsonschema::draft202012::new(&wrapped).expect("a valid JSON Schema")
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let meta: Value = serde_json::from_str(META_SCHEMA).expect("the meta-schema fixture");
    let v = jsonschema::draft202012::new(&meta).expect("the meta-schema compiles");
    let errors: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );
    assert!(doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1.")));
    // Each component schema is itself a valid JSON Schema (2020-12).
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        assert!(
            jsonschema::meta::is_valid(schema),
            "component schema {name} is not a valid JSON Schema: {schema}"
        );
    }
}

#[tokio::test]
async fn parameters_security_and_codes_are_declared_as_they_are() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for ((method, path), op) in operations(&doc) {
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        assert_eq!(declared, in_template, "path parameters of {method} {path}");
        for p in params.iter().filter(|p| p["in"] == "query") {
            assert_ne!(p["required"], true, "{method} {path}: optional {p}");
        }
        assert!(
            op["security"].is_array(),
            "{method} {path} declares no security: the guard would refuse it"
        );
        assert!(
            op["responses"]["500"].is_object(),
            "{method} {path}: 500 undocumented"
        );
    }
    let ops = operations(&doc);
    for (path, names) in [
        ("/api/birthdays", vec!["date"]),
        ("/api/print-jobs", vec!["workstation", "state"]),
        ("/api/audit", vec!["before", "limit"]),
    ] {
        let op = &ops[&("GET".to_owned(), path.to_owned())];
        for name in names {
            let p = op["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == name))
                .unwrap_or_else(|| panic!("{path}: no parameter {name}"));
            assert_eq!(p["in"], "query", "{path} {name}");
        }
    }
    // Public operations say so; everything else needs a session (and may answer 401).
    let public: BTreeSet<(&str, &str)> = [
        ("GET", "/api/health"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/store"),
        ("POST", "/api/sessions"),
    ]
    .into();
    for ((method, path), op) in &ops {
        let is_public = public.contains(&(method.as_str(), path.as_str()));
        assert_eq!(
            op["security"] == json!([{}]),
            is_public,
            "{method} {path}: {}",
            op["security"]
        );
        if !is_public {
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
            assert!(op["responses"]["403"].is_object(), "{method} {path}: 403");
        }
    }
    assert!(doc["security"].is_null(), "no default: each operation says");
    // Every code the app can answer is listed, and nothing else.
    let expected: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .chain(RULE_IDS.iter().map(|r| r.to_string()))
        .collect();
    assert_eq!(listed_codes(&doc), expected);
}

/// Every rule id the code refuses with is in the published list.
#[test]
fn every_rule_id_in_the_code_is_listed() {
    let mut missing = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (i, _) in text.match_indices("\"R-") {
                let id: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if id.len() >= 7 && !RULE_IDS.contains(&id.as_str()) {
                    missing.insert(id);
                }
            }
        }
    }
    assert!(missing.is_empty(), "rule ids not listed: {missing:?}");
}

/// The permissions are exactly the README's table (as the access table was before it was
/// read from the document).
#[tokio::test]
async fn permissions_are_the_readme_table() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let signed_in = json!([{ "session": [] }]);
    let needs = |p: &str| json!([{ "session": [p] }]);
    let table = [
        ("GET", "/api/session", signed_in.clone()),
        ("DELETE", "/api/session", signed_in.clone()),
        ("GET", "/api/policy", signed_in.clone()),
        ("GET", "/api/gifts", signed_in.clone()),
        ("GET", "/api/readers", signed_in.clone()),
        ("GET", "/api/readers/events", signed_in.clone()),
        ("GET", "/api/printers", signed_in.clone()),
        ("GET", "/api/demo/tray", signed_in.clone()),
        (
            "POST",
            "/api/demo/tray/{workstation}/insert",
            needs("card.lookup"),
        ),
        (
            "POST",
            "/api/demo/tray/{workstation}/remove",
            needs("card.lookup"),
        ),
        ("POST", "/api/policy", needs("policy.manage")),
        ("POST", "/api/quotes", needs("sale.checkout")),
        ("POST", "/api/sales", needs("sale.checkout")),
        ("GET", "/api/sales/{receipt_no}", needs("refund.own_till")),
        (
            "POST",
            "/api/sales/{receipt_no}/refunds",
            needs("refund.own_till"),
        ),
        ("GET", "/api/cards/{card_number}", needs("card.lookup")),
        (
            "POST",
            "/api/cards/{card_number}/upgrade",
            needs("card.upgrade"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/loss-report",
            needs("card.report_loss"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/loss-report/cancellation",
            needs("card.report_loss"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/replacement",
            needs("card.replace"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/reactivation",
            needs("card.reactivate"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/parking",
            needs("parking.issue"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/birthday-gift",
            needs("gift.issue"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/gift-exchanges",
            needs("gift.issue"),
        ),
        (
            "POST",
            "/api/cards/{card_number}/points-adjustments",
            needs("card.lookup"),
        ),
        ("POST", "/api/members", needs("member.enrol")),
        (
            "POST",
            "/api/members/qualifying-spend",
            needs("member.enrol"),
        ),
        ("GET", "/api/members/{member_id}", needs("member.read")),
        ("GET", "/api/birthdays", needs("member.read")),
        ("GET", "/api/duplicate-members", needs("member.update")),
        (
            "POST",
            "/api/duplicate-members/{flag_id}/resolution",
            needs("member.update"),
        ),
        ("POST", "/api/members/search", needs("member.read")),
        (
            "PATCH",
            "/api/members/{member_id}/contact",
            needs("member.update"),
        ),
        (
            "POST",
            "/api/readers/{workstation}/read",
            needs("card.lookup"),
        ),
        (
            "POST",
            "/api/readers/{workstation}/rewrite",
            needs("card.rewrite"),
        ),
        ("GET", "/api/print-jobs", needs("print.manage")),
        ("GET", "/api/print-jobs/{job_id}", needs("print.manage")),
        (
            "GET",
            "/api/print-jobs/{job_id}/preview",
            needs("print.manage"),
        ),
        (
            "POST",
            "/api/print-jobs/{job_id}/retry",
            needs("print.manage"),
        ),
        (
            "POST",
            "/api/print-jobs/{job_id}/reprint",
            needs("print.manage"),
        ),
        (
            "POST",
            "/api/workstations/{workstation}/daily-summary",
            needs("report.daily"),
        ),
        ("POST", "/api/review", needs("review.run")),
        (
            "GET",
            "/api/loss-reports/overdue",
            needs("card.report_loss"),
        ),
        ("GET", "/api/staff", needs("staff.manage")),
        ("POST", "/api/staff", needs("staff.manage")),
        ("PATCH", "/api/staff/{staff_number}", needs("staff.manage")),
        (
            "POST",
            "/api/staff/{staff_number}/unlock",
            needs("staff.manage"),
        ),
        (
            "POST",
            "/api/staff/{staff_number}/pin",
            needs("staff.manage"),
        ),
        ("GET", "/api/audit", needs("audit.view")),
        ("GET", "/api/reports/members", needs("report.daily")),
        ("GET", "/api/reports/card-activity", needs("report.daily")),
        ("GET", "/api/reports/points", needs("report.daily")),
        ("GET", "/api/reports/print-faults", needs("report.daily")),
        ("GET", "/api/health", json!([{}])),
        ("GET", "/api/openapi.json", json!([{}])),
        ("GET", "/api/store", json!([{}])),
        ("POST", "/api/sessions", json!([{}])),
    ];
    let ops = operations(&doc);
    assert_eq!(ops.len(), table.len(), "one operation per table row");
    for (method, path, security) in table {
        let op = &ops[&(method.to_owned(), path.to_owned())];
        assert_eq!(op["security"], security, "{method} {path}");
    }
    let lookups: BTreeSet<(String, String)> = ops
        .iter()
        .filter(|(_, op)| op["x-lookup-limit"] == true)
        .map(|(k, _)| k.clone())
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/api/cards/{card_number}"),
        ("GET", "/api/members/{member_id}"),
        ("POST", "/api/members/search"),
        ("POST", "/api/readers/{workstation}/read"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(lookups, expected);
}

/// One answer seen: the request and what came back.
struct Seen {
    method: Method,
    path: String,
    status: u16,
    body: Value,
}

/// Sends requests and keeps every answer.
struct Recorder<'a> {
    app: &'a TestApp,
    seen: Vec<Seen>,
}

impl Recorder<'_> {
    /// A request as `staff` (None: no session) with extra headers.
    async fn call(
        &mut self,
        staff: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self.app.client.request(method.clone(), self.app.url(path));
        if let Some(staff) = staff {
            request = request.bearer_auth(self.app.token(staff, "lounge").await);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.record(method, path, request).await
    }

    async fn record(
        &mut self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let r = request.send().await.expect("request");
        let status = r.status().as_u16();
        let json = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let text = r.text().await.expect("body");
        let body = if json {
            serde_json::from_str(&text).expect("JSON body")
        } else {
            Value::String(text)
        };
        self.seen.push(Seen {
            method,
            path: path.to_owned(),
            status,
            body: body.clone(),
        });
        (status, body)
    }

    async fn get(&mut self, path: &str) -> (u16, Value) {
        self.call(Some("S01"), Method::GET, path, None, &[]).await
    }

    async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.call(Some("S01"), Method::POST, path, Some(body), &[])
            .await
    }
}

#[tokio::test]
async fn every_status_and_code_answered_is_documented() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    let mut rec = Recorder {
        app: &app,
        seen: Vec::new(),
    };
    let none: &[(&str, &str)] = &[];

    // Public and session.
    rec.call(None, Method::GET, "/api/health", None, none).await;
    rec.call(None, Method::GET, "/api/openapi.json", None, none)
        .await;
    let sign_in = |pin: &str| json!({ "staff_number": "C01", "pin": pin, "workstation": "T01" });
    rec.call(
        None,
        Method::POST,
        "/api/sessions",
        Some(sign_in(PIN)),
        none,
    )
    .await;
    rec.call(
        None,
        Method::POST,
        "/api/sessions",
        Some(sign_in("000000")),
        none,
    )
    .await;
    rec.get("/api/session").await;
    rec.call(None, Method::GET, "/api/session", None, none)
        .await;
    rec.call(Some("D01"), Method::DELETE, "/api/session", None, none)
        .await;

    // Staff management.
    rec.get("/api/staff").await;
    rec.call(Some("C01"), Method::GET, "/api/staff", None, none)
        .await;
    rec.post(
        "/api/staff",
        json!({ "staff_number": "S01", "name": "Dup", "role": "cashier", "pin": "739146" }),
    )
    .await;
    rec.post("/api/staff", json!({ "staff_number": 5 })).await;
    rec.call(
        Some("S01"),
        Method::PATCH,
        "/api/staff/Z99",
        Some(json!({ "active": false })),
        none,
    )
    .await;
    rec.post("/api/staff/Z99/unlock", json!({})).await;
    rec.post("/api/staff/Z99/pin", json!({ "pin": "739146" }))
        .await;
    rec.get("/api/audit").await;
    rec.get("/api/audit?limit=many").await;

    // Checkout.
    rec.post(
        "/api/quotes",
        json!({ "lines": [regular("COAT", "100.00", 1)] }),
    )
    .await;
    rec.post(
        "/api/quotes",
        json!({ "card_number": "2000000000000", "lines": [regular("COAT", "100.00", 1)] }),
    )
    .await;
    let sale = |amount: &str| {
        json!({ "receipt_no": "R-1", "till_id": "T01",
                "lines": [regular("COAT", amount, 1)], "tenders": cash(amount) })
    };
    rec.post("/api/sales", sale("6000.00")).await;
    rec.post("/api/sales", sale("7000.00")).await;
    rec.call(
        Some("S01"),
        Method::POST,
        "/api/sales/R-1/refunds",
        Some(json!({ "refund_no": "F-1", "till_id": "T01", "lines": [{ "line": 0, "quantity": 1 }] })),
        &[("x-supervisor", "S02"), ("x-supervisor-pin", PIN)],
    )
    .await;
    rec.get("/api/sales/R-1").await;
    rec.get("/api/sales/NO-SUCH").await;
    rec.call(Some("C01"), Method::GET, "/api/sales/R-1", None, none)
        .await;
    rec.post(
        "/api/sales/NO-SUCH/refunds",
        json!({ "refund_no": "F-2", "till_id": "T01", "lines": [{ "line": 0, "quantity": 1 }] }),
    )
    .await;

    // Members and cards.
    rec.post("/api/sales", {
        let mut s = sale("6000.00");
        s["receipt_no"] = json!("R-2");
        s
    })
    .await;
    let birth = day(1980, 3, 3);
    let (status, enrolled) = rec
        .post(
            "/api/members",
            json!({ "applicant": applicant(1, birth), "receipts": ["R-2"] }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    let card = enrolled["card"]["card_number"]
        .as_str()
        .expect("card")
        .to_owned();
    let member = enrolled["member"]["member_id"]
        .as_str()
        .or_else(|| enrolled["member_id"].as_str())
        .unwrap_or("no-member")
        .to_owned();
    rec.post(
        "/api/members",
        json!({ "applicant": applicant(1, birth), "receipts": ["R-2"] }),
    )
    .await;
    rec.get(&format!("/api/cards/{card}")).await;
    rec.get("/api/cards/not-a-card").await;
    rec.get("/api/cards/2000000000000").await;
    rec.post("/api/members/search", json!({ "phone": "13900000001" }))
        .await;
    rec.post("/api/members/search", json!({ "phone": "13999999999" }))
        .await;
    rec.get(&format!("/api/members/{member}")).await;
    rec.get("/api/members/no-such-member").await;
    rec.call(
        Some("S01"),
        Method::PATCH,
        &format!("/api/members/{member}/contact"),
        Some(json!({ "phone": "13900000777" })),
        none,
    )
    .await;
    rec.get("/api/birthdays").await;
    rec.get("/api/duplicate-members").await;
    rec.post(
        "/api/duplicate-members/999/resolution",
        json!({ "outcome": "handled" }),
    )
    .await;
    rec.post(
        "/api/duplicate-members/999/resolution",
        json!({ "outcome": "merged" }),
    )
    .await;
    rec.get("/api/birthdays?date=someday").await;
    rec.post(&format!("/api/cards/{card}/parking"), json!({}))
        .await;
    rec.post(&format!("/api/cards/{card}/birthday-gift"), json!({}))
        .await;
    rec.post(
        &format!("/api/cards/{card}/gift-exchanges"),
        json!({ "gift": "no-such-gift" }),
    )
    .await;
    rec.post(&format!("/api/cards/{card}/upgrade"), json!({}))
        .await;
    rec.post(
        &format!("/api/cards/{card}/points-adjustments"),
        json!({ "points": 10, "reason": "goodwill", "note": "test" }),
    )
    .await;
    rec.post(
        &format!("/api/cards/{card}/reactivation"),
        json!({ "receipts": [] }),
    )
    .await;
    rec.post(
        &format!("/api/cards/{card}/loss-report"),
        json!({ "channel": "phone" }),
    )
    .await;
    rec.post(
        &format!("/api/cards/{card}/loss-report/cancellation"),
        json!({}),
    )
    .await;
    rec.post(
        &format!("/api/cards/{card}/replacement"),
        json!({ "waive_fee": false }),
    )
    .await;
    rec.get("/api/loss-reports/overdue").await;

    // Readers and the demo tray (not in demo mode here).
    rec.get("/api/readers").await;
    rec.post("/api/readers/lounge/read", json!({})).await;
    rec.post("/api/readers/T01/read", json!({})).await;
    rec.post("/api/readers/lounge/rewrite", json!({})).await;
    rec.get("/api/demo/tray").await;
    rec.post("/api/demo/tray/lounge/insert", json!({ "card": "blank" }))
        .await;
    rec.post("/api/demo/tray/lounge/remove", json!({})).await;

    // Printing and the back office.
    rec.get("/api/printers").await;
    let (_, jobs) = rec.get("/api/print-jobs").await;
    rec.get("/api/print-jobs?state=lost").await;
    rec.get("/api/print-jobs/abc").await;
    rec.get("/api/print-jobs/999999").await;
    if let Some(job) = jobs.as_array().and_then(|j| j.first()) {
        let id = job["id"].as_i64().expect("job id");
        rec.get(&format!("/api/print-jobs/{id}")).await;
        rec.get(&format!("/api/print-jobs/{id}/preview")).await;
        rec.post(&format!("/api/print-jobs/{id}/retry"), json!({}))
            .await;
        rec.post(&format!("/api/print-jobs/{id}/reprint"), json!({}))
            .await;
    }
    rec.post("/api/print-jobs/999999/retry", json!({})).await;
    rec.post("/api/workstations/lounge/daily-summary", json!({}))
        .await;
    rec.post("/api/review", json!({})).await;
    rec.post("/api/review", json!({ "date": "2999-01-01" }))
        .await;
    let (_, policy) = rec.get("/api/policy").await;
    rec.post("/api/policy", policy).await;
    rec.get("/api/gifts").await;
    rec.get("/api/reports/members").await;
    rec.get("/api/reports/card-activity").await;
    rec.get("/api/reports/points?from=2026-03-01&to=2026-03-10")
        .await;
    rec.get("/api/reports/print-faults").await;
    rec.get("/api/reports/points?from=2026-03-10&to=2026-03-01")
        .await;
    rec.get("/api/reports/card-activity?form=2026-03-01").await;
    rec.call(Some("C01"), Method::GET, "/api/reports/members", None, none)
        .await;

    // Bodies and requests refused before any handler runs.
    let quotes = app.url("/api/quotes");
    let token = app.token("S01", "lounge").await;
    rec.record(
        Method::POST,
        "/api/quotes",
        app.client
            .post(&quotes)
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    rec.record(
        Method::POST,
        "/api/quotes",
        app.client
            .post(&quotes)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{ not json"),
    )
    .await;
    rec.record(
        Method::POST,
        "/api/quotes",
        app.client
            .post(&quotes)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(format!("\"{}\"", "x".repeat(300 * 1024))),
    )
    .await;
    rec.post("/api/quotes", json!({ "lines": "three" })).await;

    // Every answer: its status documented on its operation, its error body listed.
    let codes = listed_codes(&doc);
    let error_body = validator(&doc, &json!({ "$ref": "#/components/schemas/ErrorBody" }));
    let mut undocumented = Vec::new();
    let mut statuses = BTreeSet::new();
    for s in &rec.seen {
        let template = template_of(ops.keys().map(|(_, p)| p), &s.path)
            .unwrap_or_else(|| panic!("no operation for {}", s.path));
        let key = (s.method.as_str().to_owned(), template.clone());
        let op = ops
            .get(&key)
            .unwrap_or_else(|| panic!("no operation {} {template}", s.method));
        statuses.insert(s.status);
        if !op["responses"][s.status.to_string()].is_object() {
            undocumented.push(format!(
                "{} {template} answered {}: {}",
                s.method, s.status, s.body
            ));
        }
        if s.status >= 400 {
            let code = s.body["code"].as_str().unwrap_or_default();
            assert!(
                codes.contains(code),
                "{} {}: code {code:?} not listed: {}",
                s.method,
                s.path,
                s.body
            );
            let errors: Vec<String> = error_body
                .iter_errors(&s.body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{} {}: {errors:?} in {}",
                s.method,
                s.path,
                s.body
            );
        }
    }
    assert!(
        undocumented.is_empty(),
        "undocumented answers:\n{}",
        undocumented.join("\n")
    );
    // The run really covered refusals of every kind, not just successes.
    for status in [200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 422] {
        assert!(statuses.contains(&status), "no {status} seen: {statuses:?}");
    }
}

#[tokio::test]
async fn printing_answers_match_their_schema_with_print() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    let mut rec = Recorder {
        app: &app,
        seen: Vec::new(),
    };
    let amount = "6000.00";
    let (status, sale) = rec
        .post(
            "/api/sales",
            json!({ "receipt_no": "P-1", "till_id": "T01",
                    "lines": [regular("COAT", amount, 1)], "tenders": cash(amount) }),
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    let (status, enrolled) = rec
        .post(
            "/api/members",
            json!({ "applicant": applicant(2, day(1981, 4, 4)), "receipts": ["P-1"] }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    let card = enrolled["card"]["card_number"]
        .as_str()
        .expect("card")
        .to_owned();
    let (status, lost) = rec
        .post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200, "{lost}");
    let (status, summary) = rec
        .post("/api/workstations/lounge/daily-summary", json!({}))
        .await;
    assert_eq!(status, 200, "{summary}");
    let printing: Vec<&Seen> = rec.seen.iter().collect();
    for s in printing {
        let template = template_of(ops.keys().map(|(_, p)| p), &s.path).expect("operation");
        let op = &ops[&(s.method.as_str().to_owned(), template.clone())];
        assert_eq!(op["x-prints"], true, "{template} prints");
        let schema =
            &op["responses"][s.status.to_string()]["content"]["application/json"]["schema"];
        let print_items = schema["allOf"]
            .as_array()
            .and_then(|parts| parts.iter().find(|p| p["properties"]["print"].is_object()));
        assert!(
            print_items.is_some(),
            "{template}: `print` in the schema: {schema}"
        );
        let v = validator(&doc, schema);
        let errors: Vec<String> = v
            .iter_errors(&s.body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{template}: {errors:?}\n{}", s.body);
        assert!(
            s.body["print"].as_array().is_some_and(|p| !p.is_empty()),
            "{}",
            s.body
        );
    }
}

/// Refusals made before any handler (or by the static files) are the JSON error body too.
#[tokio::test]
async fn refusals_outside_handlers_are_the_json_error_body() {
    let app = spawn_app().await;
    let long = format!("/api/cards/{}", "9".repeat(10 * 1024));
    let token = app.token("S01", "lounge").await;
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            app.client.get(app.url(&long)).bearer_auth(&token),
            414,
            "uri_too_long",
        ),
        (
            app.client.get(app.url("/no-such-page.html")),
            404,
            "no_such_endpoint",
        ),
        (
            app.client.get(app.url("/api/no-such-endpoint")),
            404,
            "no_such_endpoint",
        ),
        (
            app.client.delete(app.url("/api/health")),
            405,
            "method_not_allowed",
        ),
        (
            app.client.post(app.url("/index.html")),
            405,
            "method_not_allowed",
        ),
        (
            app.client
                .post(app.url("/api/quotes"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(vec![b' '; 300 * 1024]),
            413,
            "body_too_large",
        ),
        (
            app.client
                .post(app.url("/api/quotes"))
                .bearer_auth(&token)
                .body("{}"),
            415,
            "unsupported_media_type",
        ),
        (
            app.client
                .post(app.url("/api/quotes"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{"),
            400,
            "malformed_json",
        ),
        (
            app.client
                .get(app.url("/api/print-jobs/x1"))
                .bearer_auth(&token),
            400,
            "invalid_path",
        ),
        (
            app.client
                .get(app.url("/api/cards/%FF%FE"))
                .bearer_auth(&token),
            400,
            "invalid_path",
        ),
        (
            app.client
                .get(app.url("/api/birthdays?date=tomorrow"))
                .bearer_auth(&token),
            400,
            "invalid_query",
        ),
        (
            app.client.get(app.url("/api/staff")),
            401,
            "unauthenticated",
        ),
    ];
    for (request, status, code) in cases {
        let r = request.send().await.expect("request");
        let what = r.url().path().chars().take(60).collect::<String>();
        assert_eq!(r.status().as_u16(), status, "{what}");
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        assert_eq!(ct.as_deref(), Some("application/json"), "{what}");
        let body: Value = r.json().await.expect("JSON body");
        assert_eq!(body["code"], code, "{what}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
}

/// RFC 7235: the auth scheme is case-insensitive.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let token = app.token("C01", "T01").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .client
            .get(app.url("/api/session"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{scheme}");
    }
    let r = app
        .client
        .get(app.url("/api/session"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401, "another scheme is not a session");
}

/// An expired session says so in its code (the UI signs in again rather than reporting a fault).
#[tokio::test]
async fn an_expired_session_answers_session_expired() {
    let app = spawn_app().await;
    let token = app.token("C01", "T01").await;
    app.clock
        .set(app.kiosk.clock.now() + chrono::Duration::days(2));
    let r = app
        .client
        .get(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["code"], "session_expired", "{body}");
}

/// The counter UI's shared message catalog for `lang` (`kiosk-ui/app/shared/messages/`).
fn ui_catalog(lang: &str) -> serde_json::Map<String, Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kiosk-ui/app/shared/messages")
        .join(format!("{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Object(catalog)) => catalog,
        other => panic!("{}: not a JSON object: {other:?}", path.display()),
    }
}

/// Every code the API can answer (the `ErrorBody.code` enum of the served document, which is
/// `ErrorCode::ALL` and `RULE_IDS`) has a message `error.<code>` in both the zh and the en
/// catalog of the UI, and the two catalogs have the same keys.
#[tokio::test]
async fn the_ui_has_a_message_for_every_code_in_both_languages() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let codes = listed_codes(&doc);
    assert!(
        codes.contains("card_removed") && codes.contains("R-ENR-1"),
        "{codes:?}"
    );
    let zh = ui_catalog("zh");
    let en = ui_catalog("en");
    for (lang, catalog) in [("zh", &zh), ("en", &en)] {
        let missing: Vec<&String> = codes
            .iter()
            .filter(|code| {
                catalog
                    .get(&format!("error.{code}"))
                    .and_then(Value::as_str)
                    .is_none_or(|m| m.trim().is_empty())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "kiosk-ui/app/shared/messages/{lang}.json has no error.<code> message for {missing:?}"
        );
    }
    let zh_keys: BTreeSet<&String> = zh.keys().collect();
    let en_keys: BTreeSet<&String> = en.keys().collect();
    assert_eq!(
        zh_keys.difference(&en_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in zh.json but not in en.json"
    );
    assert_eq!(
        en_keys.difference(&zh_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in en.json but not in zh.json"
    );
}
