//! Kiosk benchmark (`cargo bench --bench kiosk`): seeds 100,000 members and prints
//! - quotes/s of the pure rules engine for a 10-line basket;
//! - card lookup p50/p99 over HTTP with 32 concurrent clients;
//! - sales committed/s over HTTP with 32 concurrent clients at synchronous=FULL, next to a
//!   raw-SQLite baseline (one transaction per sale, the same rows) and their ratio, with the
//!   CPU time each spends per committed sale; once on this machine's disk and once on a
//!   simulated slow disk (every fsync delayed by BENCH_SLOW_FSYNC_US, default 2,000 µs);
//! - the kiosk process's peak RSS.
//!
//! The kiosk runs as its own process (the release binary), so its RSS and CPU time are its
//! own; the raw baseline runs in a child process of its own too (the bench binary again,
//! with BENCH_RAW_DB set), so the slow disk can be given to both the same way: a small
//! `LD_PRELOAD` library, compiled here with `cc`, that sleeps before each `fsync`/`fdatasync`.
//! Sizes can be cut for a quick look: BENCH_MEMBERS, BENCH_LOOKUPS, BENCH_SALES;
//! BENCH_SLOW_FSYNC_US=0 leaves the slow disk out. To profile, BENCH_KIOSK_WRAPPER runs the
//! serving kiosk under a command, e.g. `valgrind --tool=callgrind --callgrind-out-file=k.out`
//! (the kiosk is stopped with SIGTERM, so the profiler writes its file).

use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use member_kiosk::domain::basket::{Basket, BasketLine, GoodsClass, Tender};
use member_kiosk::domain::card_number::CardNumber;
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::quote::{quote, MemberContext};
use member_kiosk::domain::Tier;

const CLIENTS: usize = 32;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn line(i: usize, class: GoodsClass, price: i64) -> BasketLine {
    BasketLine {
        sku: format!("SKU-{i}"),
        class,
        unit_price: Decimal::new(price, 2),
        quantity: 1 + (i % 3) as u32,
        original_unit_price: None,
        other_promotion: false,
    }
}

fn ten_line_basket() -> Basket {
    let classes = [
        GoodsClass::Regular,
        GoodsClass::SpecialA,
        GoodsClass::Regular,
        GoodsClass::SpecialC,
        GoodsClass::Leased,
    ];
    Basket {
        lines: (0..10)
            .map(|i| line(i, classes[i % classes.len()], 1999 + 1234 * i as i64))
            .collect(),
        tenders: vec![],
        redeem_points: 0,
    }
}

fn bench_engine() -> f64 {
    let policy = Policy::charter_default();
    let basket = ten_line_basket();
    let member = MemberContext {
        tier: Tier::Gold,
        birth_date: NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default(),
        redeemable_points: 5000,
        earned_today: 0,
    };
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            std::hint::black_box(
                quote(&policy, std::hint::black_box(&basket), Some(&member), today).ok(),
            );
        }
        n += 1000;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn card(seq: u64) -> String {
    CardNumber::compose("88", "0001", seq)
        .map(|c| c.to_string())
        .unwrap_or_default()
}

struct Kiosk {
    child: Child,
    base: String,
    /// The bench supervisor's session token (signed in once the kiosk is up).
    token: Arc<str>,
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at `state`; utime and
    // stime are the 14th and 15th fields of the line.
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    assert_eq!(fields.len(), 2, "no CPU times in /proc/{pid}/stat");
    // SAFETY: sysconf only reads a configuration value.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros((fields[0] + fields[1]) * 1_000_000 / ticks_per_second)
}

/// Sales per second and CPU time per sale of one commit phase.
#[derive(Clone, Copy)]
struct Throughput {
    per_second: f64,
    cpu_per_sale: Duration,
}

impl Kiosk {
    fn cpu_time(&self) -> Duration {
        cpu_time(&self.child.id().to_string())
    }

    fn peak_rss_kb(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Kiosk {
    /// SIGTERM first (a shutdown the kiosk handles, so a profiler around it writes its
    /// figures), SIGKILL if it is still there after 30 s.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signals our own child, still unreaped, so the pid is still its own.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            for _ in 0..300 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 keep-alive client: the load generator shares the 2 cores with the
/// kiosk, so it should cost as little as possible (reqwest costs several times more).
struct Http {
    stream: BufReader<TcpStream>,
    token: Arc<str>,
}

impl Http {
    async fn connect(kiosk: &Kiosk) -> Http {
        let addr = kiosk.base.trim_start_matches("http://");
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Http {
            stream: BufReader::new(stream),
            token: kiosk.token.clone(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        let token = &self.token;
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nhost: kiosk\r\nauthorization: Bearer {token}\r\n");
        if let Some(b) = body {
            req.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.stream
            .get_mut()
            .write_all(&bytes)
            .await
            .expect("write");
        let mut line = String::new();
        self.stream.read_line(&mut line).await.expect("status line");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("body");
        (status, body)
    }
}

/// The bench supervisor's PIN (a throwaway database).
const BENCH_PIN: &str = "582913";

fn kiosk_command(db: &std::path::Path) -> Command {
    kiosk_command_under(db, None)
}

/// The kiosk binary on `db`, run under `wrapper` (a profiler's command line) if given.
fn kiosk_command_under(db: &std::path::Path, wrapper: Option<&str>) -> Command {
    let kiosk = env!("CARGO_BIN_EXE_member-kiosk");
    let mut words = wrapper.unwrap_or_default().split_whitespace();
    let mut cmd = match words.next() {
        Some(program) => {
            let mut cmd = Command::new(program);
            cmd.args(words).arg(kiosk);
            cmd
        }
        None => Command::new(kiosk),
    };
    cmd.env("KIOSK_DATABASE", db)
        .env("KIOSK_KEY_FILE", db.with_extension("keys.toml"))
        // The bench measures lookups and commits, not the per-session limiter.
        .env("KIOSK_LOOKUPS_PER_MINUTE", "1000000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    cmd
}

/// Starts the kiosk on `db` (on the slow disk when `slow_disk` names the fsync shim) and
/// signs the bench supervisor in.
async fn start_kiosk(db: &std::path::Path, slow_disk: Option<&std::path::Path>) -> Kiosk {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18181);
    let wrapper = std::env::var("BENCH_KIOSK_WRAPPER").ok();
    let mut cmd = kiosk_command_under(db, wrapper.as_deref());
    cmd.arg("serve")
        .env("KIOSK_LISTEN", format!("127.0.0.1:{port}"));
    if let Some(shim) = slow_disk {
        cmd.env("LD_PRELOAD", shim);
    }
    // Reaped by `Kiosk`'s Drop (SIGTERM, then SIGKILL and wait), which owns it from here on.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("kiosk binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // Up to a minute: a profiler slows the start down a lot.
    for _ in 0..1200 {
        if client
            .get(format!("{base}/api/health"))
            .send()
            .await
            .is_ok()
        {
            let signed_in: Value = client
                .post(format!("{base}/api/sessions"))
                .json(&json!({ "staff_number": "B01", "pin": BENCH_PIN, "workstation": "T01" }))
                .send()
                .await
                .expect("sign in")
                .json()
                .await
                .expect("sign-in answer");
            let token = signed_in["token"].as_str().expect("session token");
            return Kiosk {
                child,
                base,
                token: token.into(),
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("kiosk did not come up");
}

async fn bench_lookups(kiosk: &Kiosk, members: u64, total: usize) -> (Duration, Duration, f64) {
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(Http::connect(kiosk).await);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut times = Vec::with_capacity(total / CLIENTS);
            let mut seq = 1 + (c as u64 * 7919) % members;
            for _ in 0..total / CLIENTS {
                seq = 1 + (seq * 48271 + 11) % members;
                let t = Instant::now();
                let (status, _) = client
                    .send("GET", &format!("/api/cards/{}", card(seq)), None)
                    .await;
                assert_eq!(status, 200, "lookup status");
                times.push(t.elapsed());
            }
            times
        });
    }
    let mut all = Vec::with_capacity(total);
    while let Some(t) = tasks.join_next().await {
        all.extend(t.expect("lookup task"));
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (percentile(&all, 0.5), percentile(&all, 0.99), rate)
}

/// A 3-line card sale priced locally the way the server will (the card's tier, no birthday),
/// so its cash tender settles the payable.
fn sale_body(receipt: usize, card_number: &str, tier: Tier) -> Value {
    let basket = Basket {
        lines: vec![
            line(0, GoodsClass::Regular, 12900),
            line(1, GoodsClass::SpecialA, 8800),
            line(2, GoodsClass::Leased, 4500),
        ],
        tenders: vec![],
        redeem_points: 0,
    };
    let member = MemberContext {
        tier,
        birth_date: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default(),
        redeemable_points: 0,
        earned_today: 0,
    };
    let today = NaiveDate::from_ymd_opt(2026, 6, 2).unwrap_or_default();
    let payable = quote(&Policy::charter_default(), &basket, Some(&member), today)
        .map(|q| q.payable)
        .unwrap_or_default();
    json!({ "receipt_no": format!("B-{receipt}"), "till_id": "T01", "card_number": card_number, "lines": basket.lines,
            "tenders": [Tender { kind: "cash".into(), amount: payable }] })
}

/// Commits `total` sales with receipt numbers from `first_receipt` on: sales per second and
/// the kiosk's CPU time per sale over the commit phase.
async fn bench_commits(
    kiosk: &Kiosk,
    members: u64,
    total: usize,
    first_receipt: usize,
) -> Throughput {
    let base = &kiosk.base;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    // Pick usable cards without a birthday today, and their tiers (not timed).
    let mut cards = Vec::new();
    let mut seq = 5;
    while cards.len() < 256 && seq < members {
        let n = card(seq);
        let v: Value = client
            .get(format!("{base}/api/cards/{n}"))
            .bearer_auth(&*kiosk.token)
            .send()
            .await
            .expect("lookup")
            .json()
            .await
            .expect("json");
        if v["usable"] == true && v["birthday_today"] == false {
            let tier = v["tier"]
                .as_str()
                .and_then(Tier::parse)
                .unwrap_or(Tier::Vip);
            cards.push((n, tier));
        }
        seq += 97;
    }
    assert!(!cards.is_empty(), "no usable card found to sell on");
    let cards = Arc::new(cards);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(Http::connect(kiosk).await);
    }
    let cpu_before = kiosk.cpu_time();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        let cards = cards.clone();
        tasks.spawn(async move {
            for i in 0..total / CLIENTS {
                let receipt = first_receipt + c * 1_000_000 + i;
                // Each till sells on cards of its own, as in a store where a card is at one
                // till at a time (tills share only when there are fewer cards than tills).
                let per_till = (cards.len() / CLIENTS).max(1);
                let (number, tier) = &cards[(c * per_till + i % per_till) % cards.len()];
                let body = serde_json::to_vec(&sale_body(receipt, number, *tier)).expect("json");
                let (status, answer) = client.send("POST", "/api/sales", Some(&body)).await;
                assert_eq!(status, 201, "commit: {}", String::from_utf8_lossy(&answer));
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.expect("commit task");
    }
    let elapsed = started.elapsed();
    let sales = (total / CLIENTS * CLIENTS).max(1);
    Throughput {
        per_second: sales as f64 / elapsed.as_secs_f64(),
        cpu_per_sale: kiosk.cpu_time().saturating_sub(cpu_before) / sales as u32,
    }
}

/// The same rows a committed card sale writes (sale, 3 lines, 1 tender, 2 ledger entries
/// with their outbox rows, the sale's outbox row, the receipt's print job and its printed
/// state, the request's chained audit row and its outbox row), one transaction per sale, one connection, WAL + synchronous=FULL: what SQLite
/// does without the kiosk's batching.
async fn bench_raw_baseline(db: &std::path::Path, total: usize) -> Throughput {
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
        .expect("options")
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let mut conn = opts.connect().await.expect("connect");
    let cardno = card(7);
    let payload = "x".repeat(900);
    let cpu_before = cpu_time("self");
    // About the size of a 3-line sale receipt's document as JSON.
    let document = format!(
        "{{\"kind\":\"sale_receipt\",\"blocks\":\"{}\"}}",
        "y".repeat(2600)
    );
    let started = Instant::now();
    for i in 0..total {
        let mut tx = conn.begin().await.expect("begin");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sales (store_id, receipt_no, till_id, staff_id, card_number, member_id, business_day, committed_at, tier, birthday, group_purchase,
             non_cash_tender, gross_fen, discount_fen, net_fen, redeem_points, redeem_fen, payable_fen, cash_fen, points_earned, policy_version, request_hash, response)
             VALUES ('0001', ?1, 'T01', 'bench', ?2, NULL, '2026-06-02', '2026-06-02T02:00:00Z', 'gold', 0, 0, 0, 43700, 2580, 41120, 0, 0, 41120, 41120, 48, 1, 'h', ?3) RETURNING id",
        )
        .bind(format!("RAW-{i}"))
        .bind(&cardno)
        .bind(&payload)
        .fetch_one(&mut *tx)
        .await
        .expect("sale");
        for l in 0..3 {
            sqlx::query(
                "INSERT INTO sale_lines (sale_id, line_index, sku, class, quantity, unit_price_fen, original_unit_price_fen, other_promotion, rate, benefit,
                 gross_fen, discount_fen, net_fen, redemption_fen, redemption_points, paid_fen, points_earned) VALUES (?1, ?2, 'SKU', 'regular', 1, 12900, NULL, 0, '0.90', 'tier', 12900, 1290, 11610, 0, 0, 11610, 22)",
            )
            .bind(id)
            .bind(l)
            .execute(&mut *tx)
            .await
            .expect("line");
        }
        sqlx::query("INSERT INTO sale_tenders (sale_id, position, kind, amount_fen, cash_like) VALUES (?1, 0, 'cash', 41120, 1)").bind(id).execute(&mut *tx).await.expect("tender");
        for _ in 0..2 {
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO points_ledger (store_id, card_number, kind, points, business_day, sale_id, refund_id, related_card, staff_id, created_at)
                 VALUES ('0001', ?1, 'earn', 24, '2026-06-02', ?2, NULL, NULL, 'bench', '2026-06-02T02:00:00Z') RETURNING seq",
            )
            .bind(&cardno)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .expect("ledger");
            sqlx::query("INSERT INTO outbox (store_id, topic, version, entity_id, payload, hash, created_at) VALUES ('0001', 'ledger.entry', 1, ?1, ?2, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2026-06-02T02:00:00Z')")
                .bind(seq.to_string())
                .bind(&payload[..200])
                .execute(&mut *tx)
                .await
                .expect("outbox");
        }
        sqlx::query("INSERT INTO outbox (store_id, topic, version, entity_id, payload, hash, created_at) VALUES ('0001', 'sale.committed', 1, ?1, ?2, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2026-06-02T02:00:00Z')")
            .bind(id.to_string())
            .bind(&payload)
            .execute(&mut *tx)
            .await
            .expect("outbox");
        // The receipt's print job, queued with the sale and marked printed afterwards.
        let job: i64 = sqlx::query_scalar(
            "INSERT INTO print_jobs (workstation, kind, document, created_at, state, attempts) VALUES ('T01', 'sale_receipt', ?1, '2026-06-02T02:00:00Z', 'pending', 1) RETURNING id",
        )
        .bind(&document)
        .fetch_one(&mut *tx)
        .await
        .expect("print job");
        sqlx::query("UPDATE print_jobs SET state = 'printed', printed_at = '2026-06-02T02:00:01Z' WHERE id = ?1").bind(job).execute(&mut *tx).await.expect("printed");
        // The request's audit row, chained to the previous one, and its outbox row.
        let prev: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await
                .expect("last hash");
        let hash = hex::encode(Sha256::digest(format!("{}{i}", prev.unwrap_or_default())));
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (store_id, at, staff_id, role, workstation, action, target, detail, result, prev_hash, hash)
             VALUES ('0001', '2026-06-02T02:00:00Z', 'bench', NULL, 'T01', 'POST /api/sales', NULL, NULL, 201, ?1, ?2) RETURNING seq",
        )
        .bind(&hash)
        .bind(&hash)
        .fetch_one(&mut *tx)
        .await
        .expect("audit");
        sqlx::query("INSERT INTO outbox (store_id, topic, version, entity_id, payload, hash, created_at) VALUES ('0001', 'staff.action', 1, ?1, ?2, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2026-06-02T02:00:00Z')")
            .bind(seq.to_string())
            .bind(&payload[..300])
            .execute(&mut *tx)
            .await
            .expect("audit outbox");
        tx.commit().await.expect("commit");
    }
    Throughput {
        per_second: total as f64 / started.elapsed().as_secs_f64(),
        cpu_per_sale: cpu_time("self").saturating_sub(cpu_before) / total.max(1) as u32,
    }
}

/// Runs the raw baseline in a child process (the bench binary again), on the slow disk when
/// `slow_disk` names the fsync shim. A fresh database of its own, a few members for the card.
async fn raw_baseline_in_child(
    dir: &std::path::Path,
    name: &str,
    total: usize,
    slow_disk: Option<&std::path::Path>,
) -> Throughput {
    let raw_db = dir.join(name);
    let status = kiosk_command(&raw_db)
        .args(["demo-data", "--members", "10"])
        .stdout(Stdio::null())
        .status()
        .expect("demo-data runs");
    assert!(status.success(), "demo-data failed");
    let mut cmd = Command::new(std::env::current_exe().expect("bench binary"));
    cmd.env("BENCH_RAW_DB", &raw_db)
        .env("BENCH_SALES", total.to_string())
        .stderr(Stdio::inherit());
    if let Some(shim) = slow_disk {
        cmd.env("LD_PRELOAD", shim);
    }
    let out = cmd.output().expect("raw baseline runs");
    assert!(out.status.success(), "raw baseline failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut figures = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    match (figures.next().flatten(), figures.next().flatten()) {
        (Some(per_second), Some(cpu_us)) => Throughput {
            per_second,
            cpu_per_sale: Duration::from_secs_f64(cpu_us / 1e6),
        },
        _ => panic!("raw baseline answered {text:?}"),
    }
}

/// The slow disk: a library for `LD_PRELOAD` that sleeps `us` microseconds before every
/// `fsync`/`fdatasync` (SQLite's only way to wait for the disk), built with the system's `cc`.
fn build_slow_fsync_shim(dir: &std::path::Path, us: u64) -> std::path::PathBuf {
    let source = dir.join("slow_fsync.c");
    let library = dir.join("slow_fsync.so");
    std::fs::write(
        &source,
        format!(
            r#"#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
static void slow_disk(void) {{
    struct timespec t = {{ {secs}, {nanos} }};
    nanosleep(&t, 0);
}}
int fsync(int fd) {{
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    slow_disk();
    return real(fd);
}}
int fdatasync(int fd) {{
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    slow_disk();
    return real(fd);
}}
"#,
            secs = us / 1_000_000,
            nanos = us % 1_000_000 * 1000
        ),
    )
    .expect("shim source");
    let status = Command::new("cc")
        .args(["-O2", "-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .status()
        .expect("cc runs (needed for the slow-disk shim)");
    assert!(status.success(), "the slow-disk shim did not build");
    library
}

fn print_commits(disk: &str, kiosk: Throughput, raw: Throughput) {
    println!(
        "sale commit, {disk} (HTTP, {CLIENTS} clients, synchronous=FULL) {:>8.0} sales/s  kiosk CPU {:>5.0} µs/sale",
        kiosk.per_second,
        kiosk.cpu_per_sale.as_secs_f64() * 1e6
    );
    println!(
        "raw SQLite baseline, {disk} (1 txn/sale, same rows)     {:>8.0} sales/s  CPU {:>5.0} µs/sale",
        raw.per_second,
        raw.cpu_per_sale.as_secs_f64() * 1e6
    );
    println!(
        "ratio kiosk / raw, {disk}  {:>12.2}   target >= 1: {}",
        kiosk.per_second / raw.per_second,
        if kiosk.per_second >= raw.per_second {
            "met"
        } else {
            "MISSED"
        }
    );
}

#[tokio::main]
async fn main() {
    let sales = env_usize("BENCH_SALES", 3_200);
    if let Some(raw_db) = std::env::var_os("BENCH_RAW_DB") {
        // The child that runs the raw baseline: figures on stdout for the parent.
        let raw = bench_raw_baseline(std::path::Path::new(&raw_db), sales).await;
        println!(
            "{} {}",
            raw.per_second,
            raw.cpu_per_sale.as_secs_f64() * 1e6
        );
        return;
    }
    let members = env_usize("BENCH_MEMBERS", 100_000) as u64;
    let lookups = env_usize("BENCH_LOOKUPS", 32_000);
    let slow_fsync_us = env_usize("BENCH_SLOW_FSYNC_US", 2_000) as u64;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");

    println!(
        "membership kiosk benchmark — {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let quotes = bench_engine();
    println!(
        "rules engine            {quotes:>12.0} quotes/s (10-line basket, gold member, 1 core)"
    );

    let t = Instant::now();
    let status = kiosk_command(&db)
        .args(["demo-data", "--members", &members.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("demo-data runs");
    assert!(status.success(), "demo-data failed");
    let mut bootstrap = kiosk_command(&db)
        .args([
            "bootstrap-supervisor",
            "--staff-number",
            "B01",
            "--name",
            "bench",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("bootstrap runs");
    {
        use std::io::Write;
        let mut stdin = bootstrap.stdin.take().expect("stdin");
        writeln!(stdin, "{BENCH_PIN}").expect("PIN");
    }
    assert!(
        bootstrap.wait().expect("bootstrap").success(),
        "bootstrap failed"
    );
    println!(
        "seeded                  {members:>12} members in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let kiosk = start_kiosk(&db, None).await;
    let (p50, p99, rate) = bench_lookups(&kiosk, members, lookups).await;
    println!(
        "card lookup (HTTP, {CLIENTS} clients)  p50 {:.2} ms  p99 {:.2} ms  ({rate:.0}/s)   target p99 <= 5 ms: {}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        if p99 <= Duration::from_millis(5) { "met" } else { "MISSED" }
    );
    let committed = bench_commits(&kiosk, members, sales, 0).await;
    let rss_mb = kiosk.peak_rss_kb() as f64 / 1024.0;
    drop(kiosk);
    let raw = raw_baseline_in_child(dir.path(), "raw.db", sales, None).await;
    print_commits("this disk", committed, raw);

    // The same again with every fsync slowed down (the kiosk restarted on it, same database).
    if slow_fsync_us > 0 {
        let shim = build_slow_fsync_shim(dir.path(), slow_fsync_us);
        let kiosk = start_kiosk(&db, Some(&shim)).await;
        let committed = bench_commits(&kiosk, members, sales, 500_000).await;
        drop(kiosk);
        let raw = raw_baseline_in_child(dir.path(), "raw-slow.db", sales, Some(&shim)).await;
        print_commits(
            &format!("slow disk (+{slow_fsync_us} µs per fsync)"),
            committed,
            raw,
        );
    }
    println!(
        "kiosk peak RSS          {rss_mb:>12.1} MB   target <= 150 MB: {}",
        if rss_mb <= 150.0 { "met" } else { "MISSED" }
    );
}
