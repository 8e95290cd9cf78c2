//! Shared test helpers: boot the real kiosk (HTTP on port 0, a fresh SQLite file, a clock
//! the test moves, the in-memory card reader with a blank-card stock) and talk to it like a till.
#![allow(dead_code)]

pub mod capture_printer;
pub mod pcscd;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use member_kiosk::card::keys::Keyring;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::card::pcsc_reader::{PcscReader, ReaderConfig};
use member_kiosk::card::reader::CardReader;
use member_kiosk::clock::FixedClock;
use member_kiosk::config::Config;
use member_kiosk::domain::staff::Role;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::secrets::DataSecrets;
use member_kiosk::store::staff::StaffAccount;
use serde_json::{json, Value};

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub kiosk: Kiosk,
    pub clock: Arc<FixedClock>,
    pub cards: Arc<MemoryCardReader>,
    pub dir: tempfile::TempDir,
    /// Session tokens by (staff number, workstation), signed in on first use.
    tokens: Mutex<HashMap<(String, String), String>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Every test kiosk's staff: (staff number, role). All share [`PIN`].
pub const STAFF: [(&str, Role); 6] = [
    ("S01", Role::Supervisor),
    ("S02", Role::Supervisor),
    ("C01", Role::Cashier),
    ("L01", Role::LoungeClerk),
    ("D01", Role::DeskClerk),
    ("H01", Role::HqAdmin),
];

/// The PIN of every test staff account.
pub const PIN: &str = "482913";

/// The staff the plain helpers (`post`, `get`, `post_at`) act as: a supervisor, who may do
/// everything in the store, so suites about other rules need not care about roles.
pub const DEFAULT_STAFF: &str = "S01";

/// One PIN hash for all test kiosks (same pepper): Argon2 once per test binary, not per app.
fn test_pin_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        member_kiosk::staff::pin::hash_pin(&test_secrets(), PIN).expect("hash the test PIN")
    })
    .clone()
}

/// Adds the [`STAFF`] accounts to a fresh kiosk.
pub async fn add_test_staff(kiosk: &Kiosk) {
    let mut conn = kiosk.db.writer.acquire().await.expect("writer");
    for (number, role) in STAFF {
        let account = StaffAccount {
            staff_number: number.into(),
            name: format!("Staff {number}"),
            role,
            pin_hash: test_pin_hash(),
            wrong_pins: 0,
            locked_until: None,
            active: true,
        };
        assert!(
            member_kiosk::store::staff::insert(&mut conn, &account, "test", kiosk.clock.now())
                .await
                .expect("insert staff"),
            "staff {number} added"
        );
    }
}

/// 10:00 store-local (UTC+8) on `day`.
pub fn store_time(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("valid time"))
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(day(2026, 3, 10)).await
}

pub async fn spawn_app_on(today: NaiveDate) -> TestApp {
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    boot(today, Vec::new(), cards.clone(), cards, None).await
}

/// A kiosk with the shipped rate limits (the other suites lift them).
pub async fn spawn_app_with_default_limits() -> TestApp {
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    let defaults = Config::default();
    let limits = (
        defaults.login_attempts_per_minute,
        defaults.lookups_per_minute,
    );
    boot(
        day(2026, 3, 10),
        Vec::new(),
        cards.clone(),
        cards,
        Some(limits),
    )
    .await
}

/// A kiosk on real PC/SC readers (the process's private pcscd), with the reader monitor.
pub async fn spawn_app_with_readers(today: NaiveDate, readers: Vec<ReaderConfig>) -> TestApp {
    let pcsc = Arc::new(PcscReader::new(readers.clone(), Arc::new(test_keys())));
    let app = boot(
        today,
        readers,
        pcsc,
        Arc::new(MemoryCardReader::empty(Arc::new(test_keys()))),
        None,
    )
    .await;
    member_kiosk::flows::readers::start(&app.kiosk).expect("reader monitor starts");
    app
}

async fn boot(
    today: NaiveDate,
    readers: Vec<ReaderConfig>,
    reader: Arc<dyn CardReader>,
    cards: Arc<MemoryCardReader>,
    limits: Option<(u32, u32)>,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (login_attempts_per_minute, lookups_per_minute) = limits.unwrap_or((100_000, 100_000));
    let config = Config {
        database: dir.path().join("kiosk.db"),
        readers,
        card_timeout_ms: 3000,
        spool_dir: dir.path().join("spool"),
        // Suites sign in again after moving the clock, and look cards up often; the limits
        // themselves are tested in `staff_access` with the defaults.
        login_attempts_per_minute,
        lookups_per_minute,
        ..Config::default()
    };
    let clock = Arc::new(FixedClock::new(store_time(today)));
    let kiosk = Kiosk::start(config, clock.clone(), reader, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts");
    add_test_staff(&kiosk).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(member_kiosk::http::serve(listener, kiosk.clone(), async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        kiosk,
        clock,
        cards,
        dir,
        tokens: Mutex::new(HashMap::new()),
        stop: Some(stop),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.kiosk.readers.stop();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set_day(&self, d: NaiveDate) {
        self.clock.set(store_time(d));
    }

    /// GET as the default staff at workstation `lounge`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.request_as(
            DEFAULT_STAFF,
            "lounge",
            reqwest::Method::GET,
            path,
            None,
            &[],
        )
        .await
    }

    /// POST as the default staff at workstation `lounge`.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        self.request_as(DEFAULT_STAFF, "lounge", method, path, Some(body), &[])
            .await
    }

    /// Signs `staff` in at `workstation` through the API; the token.
    pub async fn sign_in(&self, staff: &str, workstation: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/sessions"))
            .json(&json!({ "staff_number": staff, "pin": PIN, "workstation": workstation }))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 201, "sign-in of {staff}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The cached session of `staff` at `workstation`, signing in if there is none.
    pub async fn token(&self, staff: &str, workstation: &str) -> String {
        let key = (staff.to_owned(), workstation.to_owned());
        let cached = self.tokens.lock().expect("tokens").get(&key).cloned();
        match cached {
            Some(t) => t,
            None => {
                let t = self.sign_in(staff, workstation).await;
                self.tokens.lock().expect("tokens").insert(key, t.clone());
                t
            }
        }
    }

    /// A request as `staff` at `workstation` (signed in on first use, and again if the
    /// session expired because the test moved the clock), with extra headers.
    pub async fn request_as(
        &self,
        staff: &str,
        workstation: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        for attempt in 0..2 {
            let token = self.token(staff, workstation).await;
            let mut request = self
                .client
                .request(method.clone(), self.url(path))
                .bearer_auth(&token);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let r = request.send().await.expect("request");
            let status = r.status().as_u16();
            let answer = r.json().await.unwrap_or(Value::Null);
            if status == 401 && attempt == 0 {
                self.tokens
                    .lock()
                    .expect("tokens")
                    .remove(&(staff.to_owned(), workstation.to_owned()));
                continue;
            }
            return (status, answer);
        }
        unreachable!("the loop returns on its second pass")
    }

    /// POST as `staff` at `workstation`.
    pub async fn post_as(
        &self,
        staff: &str,
        workstation: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        self.request_as(
            staff,
            workstation,
            reqwest::Method::POST,
            path,
            Some(body),
            &[],
        )
        .await
    }

    /// GET as `staff` at `workstation`.
    pub async fn get_as(&self, staff: &str, workstation: &str, path: &str) -> (u16, Value) {
        self.request_as(staff, workstation, reqwest::Method::GET, path, None, &[])
            .await
    }

    /// A guest cash sale of `amount` (one regular line); returns the receipt number.
    pub async fn guest_cash_sale(&self, receipt_no: &str, amount: &str) -> String {
        let (status, body) = self
            .post(
                "/api/sales",
                json!({ "receipt_no": receipt_no, "till_id": "T01",
                        "lines": [{ "sku": "COAT", "class": "regular", "unit_price": amount, "quantity": 1 }],
                        "tenders": [{ "kind": "cash", "amount": amount }] }),
            )
            .await;
        assert_eq!(status, 201, "guest sale: {body}");
        receipt_no.to_owned()
    }

    /// Enrols a member with a same-day cash receipt of `spend`; returns the enrolment result.
    /// `n` makes the applicant (and receipt) unique within a test.
    pub async fn enrol(&self, n: u32, spend: &str, birth_date: NaiveDate) -> Value {
        let receipt = self.guest_cash_sale(&format!("Q-{n}"), spend).await;
        let (status, body) = self
            .post(
                "/api/members",
                json!({ "applicant": applicant(n, birth_date), "receipts": [receipt] }),
            )
            .await;
        assert_eq!(status, 201, "enrol: {body}");
        body
    }

    pub fn card_number(enrolment: &Value) -> String {
        enrolment["card"]["card_number"]
            .as_str()
            .expect("card number")
            .to_owned()
    }
}

/// A valid PRC resident ID for `birth` (sequence `n`).
pub fn prc_id(birth: NaiveDate, n: u32) -> String {
    member_kiosk::demo::prc_id_number("110105", birth, n)
}

pub fn applicant(n: u32, birth: NaiveDate) -> Value {
    json!({
        "name": format!("会员{n}"),
        "sex": "female",
        "birth_date": birth,
        "phone": format!("139{:08}", n),
        "id_document": { "kind": "prc_resident", "number": prc_id(birth, n) },
    })
}

// ---- helpers for the HTTP suites (api_checkout, api_refunds, api_cards, api_lounge) -------

/// A `regular` basket line.
pub fn regular(sku: &str, unit_price: &str, quantity: u32) -> Value {
    json!({ "sku": sku, "class": "regular", "unit_price": unit_price, "quantity": quantity })
}

/// One cash tender.
pub fn cash(amount: &str) -> Value {
    json!([{ "kind": "cash", "amount": amount }])
}

/// Asserts an error answer: status, rule and field (`None` = must be null).
#[track_caller]
pub fn assert_refused(answer: &(u16, Value), status: u16, rule: Option<&str>, field: Option<&str>) {
    let (got, body) = answer;
    assert_eq!(*got, status, "status of {body}");
    assert_eq!(body["rule"].as_str(), rule, "rule of {body}");
    assert_eq!(body["field"].as_str(), field, "field of {body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "error message in {body}"
    );
}

impl TestApp {
    /// POST `body` as raw bytes with Content-Type JSON; `staff` = None sends no session.
    pub async fn post_raw(&self, path: &str, body: &str, staff: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(staff) = staff {
            request = request.bearer_auth(self.token(staff, "lounge").await);
        }
        let r = request.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A sale with `card` (None = guest); the answer as is.
    pub async fn sale(
        &self,
        receipt_no: &str,
        card: Option<&str>,
        lines: Value,
        tenders: Value,
        redeem_points: i64,
    ) -> (u16, Value) {
        self.post(
            "/api/sales",
            json!({ "receipt_no": receipt_no, "till_id": "T01", "card_number": card,
                    "lines": lines, "tenders": tenders, "redeem_points": redeem_points }),
        )
        .await
    }

    /// A one-line regular cash sale on `card` paying exactly what the server quotes; asserts 201.
    pub async fn card_sale(
        &self,
        receipt_no: &str,
        card: &str,
        gross: &str,
        payable: &str,
    ) -> Value {
        let (status, body) = self
            .sale(
                receipt_no,
                Some(card),
                json!([regular("GOODS", gross, 1)]),
                cash(payable),
                0,
            )
            .await;
        assert_eq!(status, 201, "card sale: {body}");
        assert_eq!(body["quote"]["payable"], payable, "{body}");
        body
    }

    /// GET a card; asserts 200.
    pub async fn lookup(&self, card: &str) -> Value {
        let (status, body) = self.get(&format!("/api/cards/{card}")).await;
        assert_eq!(status, 200, "lookup: {body}");
        body
    }

    /// Rows in `table` (read through the kiosk's own read pool).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.kiosk.db.reader)
            .await
            .expect("count")
    }

    /// Outbox rows for business changes: every request is audited (and its audit row goes to
    /// head office), so "changes nothing" means no outbox row beyond the audit trail's.
    pub async fn outbox_changes(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic <> 'staff.action'")
            .fetch_one(&self.kiosk.db.reader)
            .await
            .expect("count")
    }

    /// The sum of a card's ledger entries (R-PTS-7).
    pub async fn ledger_sum(&self, card: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE card_number = ?1",
        )
        .bind(card)
        .fetch_one(&self.kiosk.db.reader)
        .await
        .expect("ledger sum")
    }

    /// The lowest running balance of a card's ledger, in booking order (R-PTS-7: never < 0).
    pub async fn lowest_running_balance(&self, card: &str) -> i64 {
        let points: Vec<i64> = sqlx::query_scalar(
            "SELECT points FROM points_ledger WHERE card_number = ?1 ORDER BY seq",
        )
        .bind(card)
        .fetch_all(&self.kiosk.db.reader)
        .await
        .expect("ledger");
        points
            .iter()
            .scan(0i64, |b, p| {
                *b += p;
                Some(*b)
            })
            .min()
            .unwrap_or(0)
    }

    /// Enrols and returns the card number.
    pub async fn enrol_card(&self, n: u32, spend: &str, birth_date: NaiveDate) -> String {
        TestApp::card_number(&self.enrol(n, spend, birth_date).await)
    }
}

/// The data secrets of every test kiosk (PIN pepper, personal-data keys).
pub fn test_secrets() -> DataSecrets {
    DataSecrets::derive(&[9u8; 32])
}

/// The issuer key of every test kiosk (fixed, so a test can make cards of its own).
pub fn test_keys() -> Keyring {
    Keyring::single(1, [7u8; 32])
}

/// Reader configs for the two vpcd readers of the process's pcscd: `lounge` on 00 00 and
/// `desk` on 00 01. `with_le`: send UPDATE BINARY as case 4 (vicc needs it).
pub fn vpcd_readers(p: &pcscd::Pcscd, with_le: bool) -> Vec<ReaderConfig> {
    [(0, "lounge"), (1, "desk")]
        .into_iter()
        .map(|(slot, workstation)| ReaderConfig {
            name: p.reader(slot),
            workstation: workstation.into(),
            profile: member_kiosk::card::pcsc_reader::Profile::Iso7816,
            update_binary_with_le: with_le,
        })
        .collect()
}

impl TestApp {
    /// POST as the default staff signed in at `workstation`.
    pub async fn post_at(&self, workstation: &str, path: &str, body: Value) -> (u16, Value) {
        self.post_as(DEFAULT_STAFF, workstation, path, body).await
    }

    /// Waits (up to 20 s) until the reader at `workstation` shows a card present or not.
    pub async fn wait_card(&self, workstation: &str, present: bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let status = self
                .kiosk
                .readers
                .statuses()
                .into_iter()
                .find(|s| s.workstation == workstation);
            if status
                .as_ref()
                .is_some_and(|s| s.connected && s.card_present == present)
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "reader {workstation}: card present = {present} never seen; status {status:?}; \
                 pcscd itself says {}",
                status
                    .as_ref()
                    .map_or("-".into(), |s| pcscd_view(&s.reader))
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Reads the card at `workstation` through the API; returns (status, check).
    pub async fn read_card(&self, workstation: &str) -> (u16, Value) {
        self.post_at(
            workstation,
            &format!("/api/readers/{workstation}/read"),
            json!({}),
        )
        .await
    }
}

/// What pcscd reports for `reader`, asked on a context of our own: tells a missed event in
/// the kiosk's monitor apart from a card pcscd never saw.
fn pcscd_view(reader: &str) -> String {
    use pcsc::{Context, ReaderState, Scope, State};
    let Ok(name) = std::ffi::CString::new(reader) else {
        return "(bad reader name)".into();
    };
    match Context::establish(Scope::User) {
        Ok(context) => {
            let mut states = [ReaderState::new(name, State::UNAWARE)];
            match context.get_status_change(std::time::Duration::from_millis(500), &mut states) {
                Ok(()) => format!("{:?}", states[0].event_state()),
                Err(e) => format!("error {e}"),
            }
        }
        Err(e) => format!("no context: {e}"),
    }
}
