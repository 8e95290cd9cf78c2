//! The chain as real processes over loopback: a PostgreSQL database of its own, head office
//! (`member-kiosk head-office …`: init-tls, migrate, register-store, serve; one or two
//! processes), and store kiosks (`member-kiosk serve`) each behind its own fault proxy, with
//! its own store id, SQLite file and key file from `register-store`. Processes can be killed
//! with SIGKILL and started again on the same files. The invariant checks read PostgreSQL and
//! the stores' SQLite files directly, not the APIs under test.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgPool, SqliteConnection};

use super::fault_proxy::{FaultProxy, Mode};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_member-kiosk");
/// The machine's PostgreSQL (trust auth).
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Every store's supervisor PIN (throwaway databases).
pub const PIN: &str = "582917";
/// The supervisor each store is bootstrapped with.
pub const SUPERVISOR: &str = "S001";

// ---- PostgreSQL ---------------------------------------------------------------------------

/// A database of this test's own, dropped at the end.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let name = format!("hq_chain_{}", uuid::Uuid::now_v7().simple());
        let admin = sqlx::PgConnection::connect(PG_ADMIN_URL)
            .await
            .expect("PostgreSQL at 127.0.0.1:5432 (user postgres, trust) must be up");
        let mut admin = admin;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&url)
            .await
            .expect("connect to the test database");
        TestDb { name, url, pool }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime: a thread of its own with its own runtime.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(PG_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

// ---- processes ----------------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn log_to(cmd: &mut Command, log: &Path) {
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        Ok(file) => cmd.stderr(file),
        Err(_) => cmd.stderr(Stdio::null()),
    };
}

/// The last 3,000 bytes of a log file (for a failure's message).
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let start = text.len().saturating_sub(3000);
    let mut start = start;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_owned()
}

/// SIGKILL and reap.
fn kill9(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs a one-shot command; its stdout, or a panic with the log.
fn run(mut cmd: Command, what: &str, log: &Path, stdin: Option<&str>) -> String {
    cmd.stdout(Stdio::piped());
    log_to(&mut cmd, log);
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        writeln!(pipe, "{input}").expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed: {printed}\n{}",
        log_tail(log)
    );
    printed
}

/// The chain's head office: its files, database and processes.
pub struct HeadOffice {
    pub dir: PathBuf,
    pub db_url: String,
    pub key_file: PathBuf,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub log: PathBuf,
    /// The running processes (one or two), each on its own port.
    pub procs: Vec<(Child, SocketAddr)>,
    /// Run `serve` under `nice -n` this (the bench: head office and the store share two
    /// cores here, where a chain has them on different machines).
    pub nice: Option<i32>,
}

impl HeadOffice {
    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("head-office")
            .env_remove("KIOSK_CONFIG")
            .env("KIOSK_HQ_DATABASE_URL", &self.db_url)
            .env("KIOSK_HQ_KEY_FILE", &self.key_file)
            .env("RUST_LOG", "warn");
        cmd
    }

    /// init-tls and migrate: a head office ready to register stores.
    pub fn init(dir: &Path, db_url: &str) -> HeadOffice {
        let dir = dir.join("hq");
        std::fs::create_dir_all(&dir).expect("hq dir");
        let tls = dir.join("tls");
        let mut hq = HeadOffice {
            key_file: dir.join("chain-keys.toml"),
            ca: tls.join("ca.pem"),
            cert: tls.join("server.pem"),
            key: tls.join("server.key"),
            log: dir.join("hq.log"),
            db_url: db_url.to_owned(),
            dir,
            procs: Vec::new(),
            nice: None,
        };
        let mut cmd = hq.command();
        cmd.args(["init-tls", "--dir"])
            .arg(&tls)
            .args(["--host", "127.0.0.1"]);
        run(cmd, "head-office init-tls", &hq.log, None);
        hq.locate_tls_files(&tls);
        let mut cmd = hq.command();
        cmd.args(["migrate", "--database-url", db_url]);
        run(cmd, "head-office migrate", &hq.log, None);
        hq
    }

    /// init-tls names its files; find them by their PEM headers rather than guess names.
    fn locate_tls_files(&mut self, tls: &Path) {
        let mut certs = Vec::new();
        for entry in std::fs::read_dir(tls).expect("tls dir").flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if text.contains("PRIVATE KEY") {
                if !name.contains("ca") {
                    self.key = path;
                }
            } else if text.contains("CERTIFICATE") {
                certs.push(path);
            }
        }
        for cert in certs {
            let name = cert.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.contains("ca") {
                self.ca = cert;
            } else {
                self.cert = cert;
            }
        }
        assert!(
            self.ca.exists() && self.cert.exists() && self.key.exists(),
            "init-tls wrote a CA, a server certificate and its key: {:?}",
            std::fs::read_dir(tls).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        );
    }

    /// Registers a store: its credential, and its key file written at `key_file`.
    pub fn register_store(&self, store_id: &str, key_file: &Path) -> String {
        let mut cmd = self.command();
        cmd.args(["register-store", "--database-url", &self.db_url])
            .args(["--store-id", store_id, "--name"])
            .arg(format!("Store {store_id}"))
            .arg("--key-file")
            .arg(key_file);
        let printed = run(cmd, "head-office register-store", &self.log, None);
        let credential = printed
            .split_whitespace()
            .find(|w| {
                w.split_once('.')
                    .is_some_and(|(s, secret)| s == store_id && secret.len() >= 32)
            })
            .unwrap_or_else(|| panic!("register-store printed no credential: {printed}"))
            .to_owned();
        assert!(
            key_file.exists(),
            "register-store wrote the store's key file"
        );
        credential
    }

    /// Starts one more head-office process on a free port.
    pub async fn start_process(&mut self) -> SocketAddr {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let mut cmd = self.command();
        if let Some(n) = self.nice {
            let mut niced = Command::new("nice");
            niced
                .args(["-n", &n.to_string(), BIN, "head-office"])
                .env_remove("KIOSK_CONFIG")
                .env("KIOSK_HQ_DATABASE_URL", &self.db_url)
                .env("KIOSK_HQ_KEY_FILE", &self.key_file)
                .env("RUST_LOG", "warn");
            cmd = niced;
        }
        cmd.args(["serve", "--database-url", &self.db_url])
            .args(["--listen", &addr.to_string()])
            .arg("--tls-cert")
            .arg(&self.cert)
            .arg("--tls-key")
            .arg(&self.key)
            .stdout(Stdio::null());
        log_to(&mut cmd, &self.log);
        let child = cmd.spawn().expect("head office starts");
        self.procs.push((child, addr));
        wait_for_port(addr, &self.log).await;
        addr
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.procs.iter().map(|(_, a)| *a).collect()
    }

    /// SIGKILL every head-office process.
    pub fn kill_all(&mut self) {
        for (mut child, _) in self.procs.drain(..) {
            kill9(&mut child);
        }
    }

    /// A client that trusts only the chain's CA (for direct calls, e.g. a replayed push).
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca).expect("CA");
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA pem"))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }
}

impl Drop for HeadOffice {
    fn drop(&mut self) {
        self.kill_all();
    }
}

async fn wait_for_port(addr: SocketAddr, log: &Path) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {addr}: {}", log_tail(log));
}

/// How fast the stores' sync runs in tests (the shipped defaults are slower).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub push_every_ms: u64,
    pub pull_every_ms: u64,
    pub request_timeout_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            push_every_ms: 100,
            pull_every_ms: 300,
            request_timeout_ms: 2000,
        }
    }
}

/// One store kiosk: its files, its proxy in front of head office, its process.
pub struct Store {
    pub id: String,
    pub dir: PathBuf,
    pub db: PathBuf,
    pub key_file: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub credential: String,
    pub proxy: FaultProxy,
    pub child: Option<Child>,
    pub base: String,
    pub http: reqwest::Client,
    token: Option<String>,
    /// Extra environment for `serve` (e.g. the UTC offset a test moves the local day with).
    pub env: Vec<(String, String)>,
}

impl Store {
    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("KIOSK_CONFIG", &self.config)
            .env("KIOSK_DATABASE", &self.db)
            .env("KIOSK_KEY_FILE", &self.key_file)
            .env("KIOSK_STORE_ID", &self.id)
            .env("KIOSK_SPOOL_DIR", self.dir.join("spool"))
            .env("KIOSK_CARD_READER", "memory")
            .env("KIOSK_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
            .env("KIOSK_LOOKUPS_PER_MINUTE", "100000000")
            .env("KIOSK_HQ_CREDENTIAL", &self.credential)
            .env_remove("KIOSK_ISSUER_KEY")
            .env_remove("KIOSK_HQ_URL")
            .env("RUST_LOG", "warn");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Writes the store's config (head office through the proxy), migrates, bootstraps the
    /// supervisor.
    fn prepare(&self, ca: &Path, timing: Timing) {
        std::fs::create_dir_all(self.dir.join("spool")).expect("spool");
        let config = format!(
            "store_id = \"{id}\"\n\
             [head_office]\n\
             url = \"https://127.0.0.1:{port}\"\n\
             ca_file = \"{ca}\"\n\
             push_every_ms = {push}\n\
             pull_every_ms = {pull}\n\
             request_timeout_ms = {timeout}\n",
            id = self.id,
            port = self.proxy.addr.port(),
            ca = ca.display(),
            push = timing.push_every_ms,
            pull = timing.pull_every_ms,
            timeout = timing.request_timeout_ms,
        );
        std::fs::write(&self.config, config).expect("store config");
        let mut cmd = self.command();
        cmd.arg("migrate");
        run(cmd, "migrate", &self.log, None);
        let mut cmd = self.command();
        cmd.args([
            "bootstrap-supervisor",
            "--staff-number",
            SUPERVISOR,
            "--name",
            "店长",
        ]);
        run(cmd, "bootstrap-supervisor", &self.log, Some(PIN));
    }

    /// Starts `serve` on a free port and waits until it answers and the supervisor is in.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "store {} already runs", self.id);
        let port = free_port();
        let mut cmd = self.command();
        cmd.arg("serve")
            .env("KIOSK_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null());
        log_to(&mut cmd, &self.log);
        self.child = Some(cmd.spawn().expect("store kiosk starts"));
        self.base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(r) = self.http.get(self.url("/api/health")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "store {} did not come up: {}",
                self.id,
                log_tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.token = None;
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill9(&mut child);
        }
    }

    pub async fn restart(&mut self) {
        self.kill();
        self.start().await;
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn token(&mut self) -> String {
        if let Some(t) = &self.token {
            return t.clone();
        }
        let answer: Value = self
            .http
            .post(self.url("/api/sessions"))
            .json(&json!({ "staff_number": SUPERVISOR, "pin": PIN, "workstation": "lounge" }))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("sign-in answer");
        let token = answer["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token at store {}: {answer}", self.id))
            .to_owned();
        self.token = Some(token.clone());
        token
    }

    /// A request as the store's supervisor: (status, body).
    pub async fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        for _ in 0..2 {
            let token = self.token().await;
            let mut request = self
                .http
                .request(method.clone(), self.url(path))
                .bearer_auth(&token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let r = request.send().await.unwrap_or_else(|e| {
                panic!("store {} {path}: {e}: {}", self.id, log_tail(&self.log))
            });
            let status = r.status().as_u16();
            let answer = r.json().await.unwrap_or(Value::Null);
            if status == 401 {
                self.token = None;
                continue;
            }
            return (status, answer);
        }
        panic!(
            "store {}: the supervisor's session was refused twice",
            self.id
        )
    }

    /// A till's view of the store, clonable into concurrent tasks.
    pub async fn till(&mut self) -> Till {
        Till {
            http: self.http.clone(),
            base: self.base.clone(),
            token: self.token().await,
        }
    }

    pub async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&mut self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// A guest cash sale (e.g. the receipt an enrolment presents).
    pub async fn guest_sale(&mut self, receipt_no: &str, amount: &str) {
        let (status, body) = self
            .post(
                "/api/sales",
                json!({ "receipt_no": receipt_no, "till_id": "T01",
                        "lines": [{ "sku": "COAT", "class": "regular", "unit_price": amount, "quantity": 1 }],
                        "tenders": [{ "kind": "cash", "amount": amount }] }),
            )
            .await;
        assert_eq!(status, 201, "guest sale at {}: {body}", self.id);
    }

    /// Enrols applicant `n` (unique ID document per `n` across the chain) after a guest
    /// sale; the enrolment's answer (status, body).
    pub async fn enrol(&mut self, n: u32) -> (u16, Value) {
        let receipt = format!("E{}-{n}", self.id);
        self.guest_sale(&receipt, "6000.00").await;
        let birth = chrono::NaiveDate::from_ymd_opt(1975, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(n % 9000))))
            .expect("birth date");
        self.post(
            "/api/members",
            json!({ "applicant": applicant(n, birth), "receipts": [receipt] }),
        )
        .await
    }

    /// Enrols applicant `n` and returns the new card number (panics on refusal).
    pub async fn enrol_card(&mut self, n: u32) -> String {
        let (status, body) = self.enrol(n).await;
        assert_eq!(status, 201, "enrolment at {}: {body}", self.id);
        body["card"]["card_number"]
            .as_str()
            .expect("card number")
            .to_owned()
    }

    /// A card sale of `amount`, redeeming `redeem` points: quoted first (the till's totals
    /// must match). (status, body).
    pub async fn card_sale(
        &mut self,
        receipt_no: &str,
        card: &str,
        amount: &str,
        redeem: i64,
    ) -> (u16, Value) {
        let lines =
            json!([{ "sku": "GOODS", "class": "regular", "unit_price": amount, "quantity": 1 }]);
        let mut quote_body = json!({ "card_number": card, "lines": lines });
        if redeem > 0 {
            quote_body["redeem_points"] = json!(redeem);
        }
        let (status, quote) = self.post("/api/quotes", quote_body).await;
        if status != 200 {
            return (status, quote);
        }
        let payable = quote["payable"].as_str().unwrap_or(amount).to_owned();
        self.post(
            "/api/sales",
            json!({ "receipt_no": receipt_no, "till_id": "T01", "card_number": card,
                    "lines": lines, "tenders": [{ "kind": "cash", "amount": payable }],
                    "redeem_points": redeem }),
        )
        .await
    }

    /// Phone loss report at the desk.
    pub async fn report_loss(&mut self, card: &str) -> (u16, Value) {
        self.post(
            &format!("/api/cards/{card}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await
    }

    pub async fn lookup(&mut self, card: &str) -> (u16, Value) {
        self.get(&format!("/api/cards/{card}")).await
    }

    pub async fn health(&self) -> Value {
        match self.http.get(self.url("/api/health")).send().await {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    /// The store's SQLite file, opened read-write beside the running kiosk (WAL).
    pub async fn open(&self) -> SqliteConnection {
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&self.db)
                .busy_timeout(Duration::from_secs(10)),
        )
        .await
        .expect("open the store's database");
        let _ = sqlx::query("PRAGMA query_only = ON")
            .execute(&mut conn)
            .await;
        conn
    }

    /// Outbox rows: (seq, hash, acknowledged).
    pub async fn outbox(&self) -> Vec<(i64, Option<String>, bool)> {
        let mut conn = self.open().await;
        let rows: Vec<(i64, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT seq, hash, sent_at FROM outbox ORDER BY seq")
                .fetch_all(&mut conn)
                .await
                .expect("outbox");
        rows.into_iter()
            .map(|(seq, hash, sent)| (seq, hash, sent.is_some()))
            .collect()
    }

    /// Where the store's pull through head office's change feed stands.
    pub async fn pull_cursor(&self) -> i64 {
        let mut conn = self.open().await;
        sqlx::query_scalar("SELECT pull_cursor FROM sync_state")
            .fetch_one(&mut conn)
            .await
            .expect("sync_state")
    }

    /// Unacknowledged outbox rows.
    pub async fn backlog(&self) -> i64 {
        let mut conn = self.open().await;
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&mut conn)
            .await
            .expect("backlog")
    }

    /// Every card's balance as this store sees it: the sum of its ledger's entries (its own
    /// and those pulled from other stores).
    pub async fn balances(&self) -> BTreeMap<String, i64> {
        let mut conn = self.open().await;
        sqlx::query_as("SELECT card_number, SUM(points) FROM points_ledger GROUP BY card_number")
            .fetch_all(&mut conn)
            .await
            .expect("balances")
            .into_iter()
            .collect()
    }

    /// Card states as this store holds them.
    pub async fn card_states(&self) -> BTreeMap<String, String> {
        let mut conn = self.open().await;
        sqlx::query_as("SELECT number, state FROM cards")
            .fetch_all(&mut conn)
            .await
            .expect("cards")
            .into_iter()
            .collect()
    }

    /// This store's own ledger entries: (seq, card, points).
    pub async fn own_entries(&self) -> Vec<(i64, String, i64)> {
        let mut conn = self.open().await;
        sqlx::query_as(
            "SELECT seq, card_number, points FROM points_ledger WHERE store_id = ?1 ORDER BY seq",
        )
        .bind(&self.id)
        .fetch_all(&mut conn)
        .await
        .expect("own entries")
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A till ringing sales at one store from concurrent tasks.
#[derive(Clone)]
pub struct Till {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Till {
    /// A guest cash sale; `None` when the kiosk gave no answer (killed).
    pub async fn guest_sale(&self, receipt_no: &str, amount: &str) -> Option<u16> {
        let r = self
            .http
            .post(format!("{}/api/sales", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "receipt_no": receipt_no, "till_id": "T01",
                "lines": [{ "sku": "COAT", "class": "regular", "unit_price": amount, "quantity": 1 }],
                "tenders": [{ "kind": "cash", "amount": amount }] }))
            .send()
            .await
            .ok()?;
        Some(r.status().as_u16())
    }

    /// A card sale, quoted first (the kiosk checks the till's totals); `None` when the
    /// kiosk gave no answer.
    pub async fn card_sale(&self, receipt_no: &str, card: &str, amount: &str) -> Option<u16> {
        let lines =
            json!([{ "sku": "GOODS", "class": "regular", "unit_price": amount, "quantity": 1 }]);
        let quote: Value = self
            .http
            .post(format!("{}/api/quotes", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "card_number": card, "lines": lines }))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let payable = quote["payable"].as_str()?.to_owned();
        let r = self
            .http
            .post(format!("{}/api/sales", self.base))
            .bearer_auth(&self.token)
            .json(
                &json!({ "receipt_no": receipt_no, "till_id": "T01", "card_number": card,
                "lines": lines, "tenders": [{ "kind": "cash", "amount": payable }] }),
            )
            .send()
            .await
            .ok()?;
        Some(r.status().as_u16())
    }
}

/// `n` sales at one store from `concurrency` tasks (every fourth a guest sale, the rest on
/// `cards` in turn): how many were answered 201. Receipt numbers are `prefix-i`.
pub async fn ring_sales(
    till: &Till,
    prefix: &str,
    n: usize,
    concurrency: usize,
    cards: &[String],
) -> usize {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (till, next, prefix, cards) = (
            till.clone(),
            next.clone(),
            prefix.to_owned(),
            cards.to_vec(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= n {
                    return ok;
                }
                let receipt = format!("{prefix}-{i}");
                let amount = format!("{}.00", 100 + (i * 37) % 900);
                let status = if cards.is_empty() || i % 4 == 0 {
                    till.guest_sale(&receipt, &amount).await
                } else {
                    till.card_sale(&receipt, &cards[i % cards.len()], &amount)
                        .await
                };
                match status {
                    Some(201) => ok += 1,
                    Some(_) => {}
                    None => return ok,
                }
            }
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap_or(0);
    }
    ok
}

/// Offline sales at `store` until it holds at least `events` unacknowledged events.
pub async fn build_backlog(store: &mut Store, events: usize, cards: &[String]) {
    let till = store.till().await;
    let mut round = 0;
    loop {
        let have = store.backlog().await as usize;
        if have >= events {
            return;
        }
        // A card sale writes a few events, a guest sale one or two: overshoot a little.
        let sales = ((events - have) / 2).max(1);
        let prefix = format!("BL{}-{}-{round}", store.id, uuid::Uuid::now_v7().simple());
        ring_sales(&till, &prefix, sales, 8, cards).await;
        round += 1;
    }
}

/// A valid PRC resident ID for `birth` (sequence `n`), as the kiosk's tests make them.
pub fn prc_id(birth: chrono::NaiveDate, n: u32) -> String {
    member_kiosk::demo::prc_id_number("110105", birth, n)
}

pub fn applicant(n: u32, birth: chrono::NaiveDate) -> Value {
    json!({
        "name": format!("会员{n}"),
        "sex": "female",
        "birth_date": birth,
        "phone": format!("139{:08}", n),
        "id_document": { "kind": "prc_resident", "number": prc_id(birth, n) },
    })
}

/// Head office, its database, and the stores.
pub struct Chain {
    pub stores: Vec<Store>,
    pub hq: HeadOffice,
    pub db: TestDb,
    pub timing: Timing,
    pub dir: tempfile::TempDir,
    /// (place, card) for every card a place (head office or a store) was ever seen holding
    /// blocked or replaced: that place must never hold it active again. (Another place may
    /// still hold it active until the change reaches it.)
    pub ever_blocked: BTreeSet<(String, String)>,
    /// Several head-office processes: every store's connections spread over all of them
    /// (a load balancer) instead of one process per store.
    pub spread: bool,
}

impl Chain {
    /// Head office (`hq_processes` of them) and `stores` store kiosks (ids 0001, 0002, …),
    /// all running, every proxy passing.
    pub async fn start(stores: usize, hq_processes: usize) -> Chain {
        Chain::start_with(stores, hq_processes, Timing::default()).await
    }

    pub async fn start_with(stores: usize, hq_processes: usize, timing: Timing) -> Chain {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::create().await;
        let mut hq = HeadOffice::init(dir.path(), &db.url);
        for _ in 0..hq_processes {
            hq.start_process().await;
        }
        let upstream = hq.addrs()[0];
        let mut list = Vec::new();
        for i in 0..stores {
            let id = format!("{:04}", i + 1);
            let sdir = dir.path().join(format!("store-{id}"));
            std::fs::create_dir_all(&sdir).expect("store dir");
            let key_file = sdir.join("keys.toml");
            let credential = hq.register_store(&id, &key_file);
            let proxy = FaultProxy::start(upstream).await;
            // Several head-office processes: each store talks to one of them.
            proxy.set_upstream(hq.addrs()[i % hq.addrs().len()]);
            let store = Store {
                db: sdir.join("kiosk.db"),
                config: sdir.join("kiosk.toml"),
                log: sdir.join("kiosk.log"),
                key_file,
                credential,
                proxy,
                child: None,
                base: String::new(),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("client"),
                token: None,
                env: Vec::new(),
                id,
                dir: sdir,
            };
            store.prepare(&hq.ca, timing);
            list.push(store);
        }
        for store in &mut list {
            store.start().await;
        }
        Chain {
            stores: list,
            hq,
            db,
            timing,
            dir,
            ever_blocked: BTreeSet::new(),
            spread: false,
        }
    }

    /// Kill -9 every head-office process and start as many again (new ports: the proxies
    /// follow).
    pub async fn restart_hq(&mut self) {
        let n = self.hq.procs.len().max(1);
        self.hq.kill_all();
        self.start_hq(n).await;
    }

    pub async fn start_hq(&mut self, n: usize) {
        for _ in 0..n {
            self.hq.start_process().await;
        }
        self.route();
    }

    /// Points every store's proxy at head office: one process per store in turn, or all of
    /// them with `spread`.
    pub fn route(&self) {
        let addrs = self.hq.addrs();
        for (i, store) in self.stores.iter().enumerate() {
            if self.spread {
                store.proxy.set_upstreams(addrs.clone());
            } else {
                store.proxy.set_upstream(addrs[i % addrs.len()]);
            }
        }
    }

    /// Every proxy to `mode`.
    pub fn set_all(&self, mode: Mode) {
        for store in &self.stores {
            store.proxy.set_mode(mode);
        }
    }

    /// Waits until every running store's backlog is empty and every store has pulled
    /// everything head office has for it (each store's points entries from the others are
    /// all there). Panics after `limit` with the stores' health.
    pub async fn wait_converged(&self, limit: Duration) {
        let started = Instant::now();
        loop {
            if self.converged().await {
                return;
            }
            if started.elapsed() > limit {
                let mut health = Vec::new();
                for s in &self.stores {
                    health.push(format!("{}: {}", s.id, s.health().await["sync"]));
                }
                panic!(
                    "the chain did not converge within {limit:?}: {}\n{}",
                    health.join("\n"),
                    self.stores
                        .iter()
                        .map(|s| log_tail(&s.log))
                        .collect::<Vec<_>>()
                        .join("\n---\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Nothing left to push anywhere, and every store's balances equal head office's.
    pub async fn converged(&self) -> bool {
        for s in &self.stores {
            if s.backlog().await > 0 {
                return false;
            }
        }
        // Every store has pulled every change it is due (the feed leaves out its own).
        for s in &self.stores {
            let due: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(id), 0)::BIGINT FROM changes WHERE origin IS DISTINCT FROM $1",
            )
            .bind(&s.id)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or(i64::MAX);
            if s.pull_cursor().await < due {
                return false;
            }
        }
        let hq = hq_balances(&self.db.pool).await;
        for s in &self.stores {
            let mine = s.balances().await;
            for (card, points) in &hq {
                if mine.get(card).copied().unwrap_or(0) != *points
                    && self.store_knows_card(s, card).await
                {
                    return false;
                }
            }
        }
        true
    }

    async fn store_knows_card(&self, store: &Store, card: &str) -> bool {
        store.card_states().await.contains_key(card)
    }

    /// The invariants that hold at every moment, whatever the link does:
    /// - every event a store counts as acknowledged is at head office, once, with its hash;
    /// - head office holds nothing a store did not write (same hash);
    /// - below each store's high-water mark at head office there is no gap;
    /// - head office's balances are the sums of its ledger entries;
    /// - no card seen blocked or replaced anywhere is active again anywhere.
    pub async fn check_invariants(&mut self) -> Result<(), String> {
        let mut faults = Vec::new();
        let pool = &self.db.pool;
        for s in &self.stores {
            // Read in the order things happen (head office's mark, the store's
            // acknowledgements, head office's rows, the store's rows again), so that a push
            // landing between two reads can't pass for a fault.
            let high_water: i64 =
                sqlx::query_scalar("SELECT high_water FROM stores WHERE store_id = $1")
                    .bind(&s.id)
                    .fetch_one(pool)
                    .await
                    .map_err(|e| e.to_string())?;
            let outbox = s.outbox().await;
            let at_hq: BTreeMap<i64, String> =
                sqlx::query_as("SELECT seq, hash FROM events WHERE store_id = $1")
                    .bind(&s.id)
                    .fetch_all(pool)
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .collect();
            let mine: BTreeMap<i64, Option<String>> = s
                .outbox()
                .await
                .into_iter()
                .map(|(seq, h, _)| (seq, h))
                .collect();
            for (seq, hash, acknowledged) in &outbox {
                match at_hq.get(seq) {
                    None if *acknowledged => faults.push(format!(
                        "store {} event {seq} acknowledged but not at head office",
                        s.id
                    )),
                    Some(stored) if hash.as_ref().is_some_and(|h| h != stored) => faults.push(
                        format!("store {} event {seq}: head office has another hash", s.id),
                    ),
                    _ => {}
                }
            }
            for seq in at_hq.keys() {
                if !mine.contains_key(seq) {
                    faults.push(format!(
                        "head office holds event {seq} of store {} that the store never wrote",
                        s.id
                    ));
                }
            }
            let below = at_hq.range(..=high_water).count() as i64;
            if below != high_water {
                faults.push(format!(
                    "store {}: high-water {high_water} but only {below} events at or below it",
                    s.id
                ));
            }
            // Contiguous outbox: seqs from 1 with no hole (a rolled-back change gives its
            // seq back).
            for (i, (seq, _, _)) in outbox.iter().enumerate() {
                if *seq != i as i64 + 1 {
                    faults.push(format!(
                        "store {}: outbox seq {seq} at position {}",
                        s.id,
                        i + 1
                    ));
                    break;
                }
            }
        }
        let sums: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT b.card_number, b.points, COALESCE((SELECT SUM(l.points) FROM ledger l
                 WHERE l.card_number = b.card_number), 0)::BIGINT
             FROM balances b",
        )
        .fetch_all(pool)
        .await
        .map_err(|e| e.to_string())?;
        for (card, balance, sum) in sums {
            if balance != sum {
                faults.push(format!(
                    "head office: card {card} balance {balance} but its entries sum to {sum}"
                ));
            }
        }
        // No card back to active.
        let hq_cards: Vec<(String, String)> =
            sqlx::query_as("SELECT card_number, state FROM cards")
                .fetch_all(pool)
                .await
                .map_err(|e| e.to_string())?;
        let mut states: Vec<(String, String, String)> = hq_cards
            .into_iter()
            .map(|(c, s)| ("head office".to_owned(), c, s))
            .collect();
        for s in &self.stores {
            for (c, st) in s.card_states().await {
                states.push((s.id.clone(), c, st));
            }
        }
        for (place, card, state) in &states {
            let key = (place.clone(), card.clone());
            if self.ever_blocked.contains(&key) && (state == "active" || state == "inactive") {
                faults.push(format!(
                    "{place}: card {card} was blocked and is {state} again"
                ));
            }
        }
        if faults.is_empty() {
            Ok(())
        } else {
            Err(faults.join("\n"))
        }
    }

    /// Once converged: every store's balances equal head office's, which equal the sum of
    /// every store's own entries.
    pub async fn check_balances_everywhere(&self) -> Result<(), String> {
        let mut faults = Vec::new();
        let hq = hq_balances(&self.db.pool).await;
        let mut deltas: BTreeMap<String, i64> = BTreeMap::new();
        for s in &self.stores {
            for (_, card, points) in s.own_entries().await {
                *deltas.entry(card).or_default() += points;
            }
        }
        for (card, sum) in &deltas {
            let at_hq = hq.get(card).copied().unwrap_or(0);
            if at_hq != *sum {
                faults.push(format!(
                    "card {card}: head office balance {at_hq}, the stores' entries sum to {sum}"
                ));
            }
        }
        // The hotlist: a card blocked or replaced at head office is so at every store that
        // holds it.
        let hq_states: Vec<(String, String)> = sqlx::query_as(
            "SELECT card_number, state FROM cards WHERE state IN ('blocked', 'replaced')",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| e.to_string())?;
        for s in &self.stores {
            let known = s.card_states().await;
            for (card, state) in &hq_states {
                if let Some(mine) = known.get(card) {
                    if mine == "active" || mine == "inactive" {
                        faults.push(format!(
                            "store {}: card {card} is {mine}, head office has it {state}",
                            s.id
                        ));
                    }
                }
            }
        }
        for s in &self.stores {
            let known = s.card_states().await;
            let mine = s.balances().await;
            for (card, sum) in &deltas {
                if known.contains_key(card) && mine.get(card).copied().unwrap_or(0) != *sum {
                    faults.push(format!(
                        "store {}: card {card} balance {} but the chain's entries sum to {sum}",
                        s.id,
                        mine.get(card).copied().unwrap_or(0)
                    ));
                }
            }
        }
        if faults.is_empty() {
            Ok(())
        } else {
            Err(faults.join("\n"))
        }
    }

    /// An application-level duplicate: the store's already pushed events sent again straight
    /// to head office with the store's credential (what a retry after a lost answer does).
    /// The answer's status.
    pub async fn replay_push(&self, store: usize) -> u16 {
        let s = &self.stores[store];
        let mut conn = s.open().await;
        let rows: Vec<(i64, String, i64, String, Option<String>, String)> = sqlx::query_as(
            "SELECT seq, topic, version, payload, hash, created_at FROM outbox
             WHERE sent_at IS NOT NULL ORDER BY seq LIMIT 1000",
        )
        .fetch_all(&mut conn)
        .await
        .expect("outbox");
        let events: Vec<Value> = rows
            .into_iter()
            .map(|(seq, kind, version, payload, hash, created_at)| {
                json!({ "seq": seq, "kind": kind, "version": version, "payload": payload,
                        "hash": hash, "created_at": created_at })
            })
            .collect();
        let addr = self.hq.addrs()[0];
        let r = self
            .hq
            .client()
            .post(format!("https://127.0.0.1:{}/sync/v1/push", addr.port()))
            .bearer_auth(&s.credential)
            .json(&json!({ "store_id": s.id, "events": events }))
            .send()
            .await
            .expect("replayed push");
        r.status().as_u16()
    }
}

/// Head office's balances.
pub async fn hq_balances(pool: &PgPool) -> BTreeMap<String, i64> {
    sqlx::query_as("SELECT card_number, points FROM balances")
        .fetch_all(pool)
        .await
        .expect("head office balances")
        .into_iter()
        .collect()
}

/// Counts rows of a head-office query returning one BIGINT.
pub async fn hq_count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
