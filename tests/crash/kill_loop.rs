//! Crash recovery: the real kiosk binary under concurrent sales and enrolments, killed with
//! SIGKILL at random moments and started again on the same database. After every restart:
//! each sale a till got a 2xx for is there exactly once and as answered, the database is
//! whole (`integrity_check`), every card sale's ledger entries match it and the balances it
//! answered, no running balance goes negative, every sale has exactly one outbox row and its
//! receipt's print job, the audit chain verifies (`verify-audit`), and no print job or card
//! reservation is left dangling. Tills retry the requests a kill left unanswered, as a real
//! till would.
//!
//! Each check after a restart covers what changed since the one before (the rows after the
//! last ones it read, the chain after the head `verify-audit` printed, the sales acknowledged
//! since), carrying running balances and counts on from it, so a restart costs the same
//! however big the store has grown; every [`FULL_CHECK_EVERY`] restarts and at the end a full
//! check does it all again from nothing, with the whole-file `integrity_check`.
//!
//! `CRASH_KILLS` sets the number of kills (default 20), `CRASH_SEED` the seed (printed):
//! `CRASH_KILLS=1000 cargo test --release --test crash_recovery kill_9 -- --nocapture`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{applicant, cash, regular};
use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The supervisor the tills sign in as (a throwaway database).
const PIN: &str = "582917";
/// Concurrent tills ringing sales; one more lounge task enrols.
const TILLS: usize = 4;
/// The card issue time limit the kiosk runs with here (reserve → write → activate), short so
/// that the sweep's work shows within the test.
const CARD_ISSUE_LIMIT_SECONDS: u64 = 2;
/// A reservation older than this was left by a crash and must have been voided: the limit,
/// plus the sweep's period (half the limit) and slack for the restart.
const RESERVATION_LIMIT: Duration = Duration::from_secs(CARD_ISSUE_LIMIT_SECONDS + 4);

/// A seeded, reproducible generator (kill moments, baskets), from the seed printed.
fn seeded(seed: u64) -> TestRng {
    TestRng::from_seed(RngAlgorithm::ChaCha, &[seed.to_le_bytes(); 4].concat())
}

/// 0 to `n` − 1.
fn below(rng: &mut TestRng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

/// A request a till sent and has not had an answer to: retried after the restart.
#[derive(Clone)]
struct Unanswered {
    receipt_no: String,
    body: Value,
}

/// What the tills learnt, shared by the load tasks.
#[derive(Default)]
struct Tills {
    /// Acknowledged sales: receipt number → the answer.
    acknowledged: BTreeMap<String, Value>,
    /// Acknowledged since the last check (which takes them).
    newly_acknowledged: Vec<String>,
    /// Sent, no answer yet (in flight when the kiosk died).
    in_flight: BTreeMap<String, Unanswered>,
    /// Acknowledged enrolments: the new card numbers.
    enrolled: Vec<String>,
    /// Refused by a rule (a redemption raced by another till, an applicant seen before).
    refused: u64,
    /// Answered neither 2xx nor a rule's 422.
    unexpected: Vec<String>,
}

/// The figures the run prints.
#[derive(Default, Debug)]
struct Figures {
    kills: u64,
    sales_acknowledged: usize,
    sales_found: usize,
    enrolments_acknowledged: usize,
    retries_replayed: u64,
    retries_committed: u64,
    refused: u64,
    /// Reservations a kill left, still within the card issue time limit (swept once older).
    reservations_within_limit: u64,
    full_checks: u64,
    /// Every fault found, by kind: what it concerns (a receipt, a card, a restart), so that a
    /// full check finding again what an incremental one found counts it once.
    faults: BTreeMap<&'static str, std::collections::BTreeSet<String>>,
}

/// The kinds of fault; every one must end at zero.
const FAULTS: [&str; 14] = [
    SALE_LOST,
    DUPLICATE,
    ANSWER_DIFFERS,
    ENROLMENT_LOST,
    LEDGER_MISMATCH,
    BALANCE_DIFFERS,
    NEGATIVE_BALANCE,
    NO_OUTBOX,
    NO_PRINT_JOB,
    DANGLING_PRINT_JOB,
    DANGLING_RESERVATION,
    AUDIT_FAILURE,
    INTEGRITY_FAILURE,
    UNEXPECTED_ANSWER,
];
const SALE_LOST: &str = "sales lost";
const DUPLICATE: &str = "duplicates";
const ANSWER_DIFFERS: &str = "answers differing from the stored sale";
const ENROLMENT_LOST: &str = "enrolments lost";
const LEDGER_MISMATCH: &str = "sales whose ledger entries differ";
const BALANCE_DIFFERS: &str = "answered balances differing from the ledger";
const NEGATIVE_BALANCE: &str = "negative running balances";
const NO_OUTBOX: &str = "sales without their outbox row (exactly one)";
const NO_PRINT_JOB: &str = "sales without their receipt's print job";
const DANGLING_PRINT_JOB: &str = "dangling print jobs (pending after a restart)";
const DANGLING_RESERVATION: &str = "dangling reservations";
const AUDIT_FAILURE: &str = "audit chain failures";
const INTEGRITY_FAILURE: &str = "integrity failures";
const UNEXPECTED_ANSWER: &str = "unexpected answers";

impl Figures {
    fn fault(&mut self, kind: &'static str, what: impl Into<String>) {
        let what = what.into();
        eprintln!("FAULT {kind}: {what}");
        self.faults.entry(kind).or_default().insert(what);
    }

    fn count(&self, kind: &str) -> usize {
        self.faults.get(kind).map_or(0, |f| f.len())
    }
}

/// The kiosk's files and the environment every command runs with.
struct Store {
    _dir: tempfile::TempDir,
    db: PathBuf,
    log: PathBuf,
    spool: PathBuf,
}

impl Store {
    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_member-kiosk"));
        cmd.env("KIOSK_DATABASE", &self.db)
            .env("KIOSK_KEY_FILE", self.db.with_extension("keys.toml"))
            .env("KIOSK_SPOOL_DIR", &self.spool)
            .env("KIOSK_CARD_READER", "memory")
            .env("KIOSK_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
            .env("KIOSK_LOOKUPS_PER_MINUTE", "100000000")
            .env(
                "KIOSK_CARD_ISSUE_LIMIT_SECONDS",
                CARD_ISSUE_LIMIT_SECONDS.to_string(),
            )
            .env_remove("KIOSK_CONFIG")
            .env_remove("KIOSK_ISSUER_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
        {
            Ok(log) => cmd.stderr(log),
            Err(_) => cmd.stderr(Stdio::null()),
        };
        cmd
    }

    /// Starts `serve` on a free port: the process and its address.
    fn start(&self) -> (Child, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut cmd = self.command();
        cmd.arg("serve")
            .env("KIOSK_LISTEN", format!("127.0.0.1:{port}"));
        let child = cmd.spawn().expect("kiosk starts");
        (child, format!("http://127.0.0.1:{port}"))
    }

    /// `verify-audit`, the whole chain or only the rows after a head it printed before
    /// (`SEQ:HASH`): the head it printed now when the chain holds.
    fn audit_verifies(&self, since: Option<&str>) -> Option<String> {
        let mut cmd = self.command();
        cmd.arg("verify-audit").stdout(Stdio::piped());
        if let Some(since) = since {
            cmd.args(["--since", since]);
        }
        let out = cmd.output().expect("verify-audit runs");
        let printed = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            eprintln!("verify-audit: {printed}");
            return None;
        }
        let head: Vec<&str> = printed
            .split_once("head #")
            .map(|(_, head)| head.split_whitespace().take(2).collect())
            .unwrap_or_default();
        match head[..] {
            [seq, hash] => Some(format!("{seq}:{hash}")),
            _ => panic!("verify-audit printed no head: {printed}"),
        }
    }

    async fn open(&self) -> SqliteConnection {
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&self.db))
            .await
            .expect("open the database")
    }
}

fn setup() -> Store {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store {
        db: dir.path().join("kiosk.db"),
        log: dir.path().join("kiosk.log"),
        spool: dir.path().join("spool"),
        _dir: dir,
    };
    let seeded = store
        .command()
        .args(["demo-data", "--members", "12"])
        .status()
        .expect("demo-data runs");
    assert!(seeded.success(), "demo-data failed: {}", log_tail(&store));
    let mut bootstrap = store
        .command()
        .args([
            "bootstrap-supervisor",
            "--staff-number",
            "S001",
            "--name",
            "店长",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("bootstrap runs");
    writeln!(bootstrap.stdin.take().expect("stdin"), "{PIN}").expect("PIN");
    assert!(
        bootstrap.wait().expect("bootstrap").success(),
        "bootstrap failed: {}",
        log_tail(&store)
    );
    store
}

fn log_tail(store: &Store) -> String {
    let log = std::fs::read_to_string(&store.log).unwrap_or_default();
    let start = log.len().saturating_sub(2000);
    log.get(start..).unwrap_or_default().to_owned()
}

/// Waits for the kiosk to answer, then signs the supervisor in at `workstation`.
async fn sign_in(client: &reqwest::Client, base: &str, workstation: &str) -> String {
    let answer: Value = client
        .post(format!("{base}/api/sessions"))
        .json(&json!({ "staff_number": "S001", "pin": PIN, "workstation": workstation }))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("sign-in answer");
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {answer}"))
        .to_owned()
}

async fn wait_up(client: &reqwest::Client, store: &Store, base: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = client.get(format!("{base}/api/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the kiosk did not come up: {}", log_tail(store));
}

/// The usable demo cards (active, not on a future start), to ring card sales on.
async fn usable_cards(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    store: &Store,
) -> Vec<String> {
    let mut conn = store.open().await;
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT number FROM cards WHERE state = 'active' ORDER BY number")
            .fetch_all(&mut conn)
            .await
            .expect("cards");
    let mut usable = Vec::new();
    for number in numbers {
        let view: Value = client
            .get(format!("{base}/api/cards/{number}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("lookup")
            .json()
            .await
            .expect("lookup answer");
        if view["usable"] == true {
            usable.push(number);
        }
    }
    assert!(usable.len() >= 3, "the demo store has usable cards");
    usable
}

/// Sends one sale; records the answer. `false` when the kiosk is gone (no answer).
async fn ring(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    tills: &Mutex<Tills>,
    sale: Unanswered,
) -> Option<(u16, Value)> {
    tills
        .lock()
        .unwrap()
        .in_flight
        .insert(sale.receipt_no.clone(), sale.clone());
    let sent = client
        .post(format!("{base}/api/sales"))
        .bearer_auth(token)
        .json(&sale.body)
        .send()
        .await;
    let response = sent.ok()?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.ok()?;
    let mut t = tills.lock().unwrap();
    t.in_flight.remove(&sale.receipt_no);
    match status {
        201 => {
            t.newly_acknowledged.push(sale.receipt_no.clone());
            t.acknowledged.insert(sale.receipt_no, answer.clone());
        }
        422 if answer["rule"].is_string() => t.refused += 1,
        _ => t
            .unexpected
            .push(format!("{} → {status} {answer}", sale.receipt_no)),
    }
    Some((status, answer))
}

/// A till: card sales (quoted first, some redeeming points) and guest sales until stopped.
#[allow(clippy::too_many_arguments)]
async fn till(
    client: reqwest::Client,
    base: String,
    token: String,
    cards: Arc<Vec<String>>,
    tills: Arc<Mutex<Tills>>,
    stop: Arc<AtomicBool>,
    next_receipt: Arc<AtomicU32>,
    seed: u64,
) {
    let mut rng = seeded(seed);
    while !stop.load(Ordering::SeqCst) {
        let receipt_no = format!("K-{}", next_receipt.fetch_add(1, Ordering::SeqCst));
        let lines = json!([
            regular("GOODS", &format!("{}.{:02}", 10 + below(&mut rng, 900), below(&mut rng, 100)), 1 + below(&mut rng, 3) as u32),
            { "sku": "WATCH", "class": "special_a", "unit_price": format!("{}.00", 50 + below(&mut rng, 300)), "quantity": 1 },
        ]);
        let body = if below(&mut rng, 4) == 0 {
            let amount = format!("{}.00", 20 + below(&mut rng, 500));
            json!({ "receipt_no": receipt_no, "till_id": "T01",
                    "lines": [regular("GOODS", &amount, 1)], "tenders": cash(&amount) })
        } else {
            let card = &cards[below(&mut rng, cards.len() as u64) as usize];
            let quoted = client
                .post(format!("{base}/api/quotes"))
                .bearer_auth(&token)
                .json(&json!({ "card_number": card, "lines": lines }))
                .send()
                .await;
            let Some(quote) = (match quoted {
                Ok(r) => r.json::<Value>().await.ok(),
                Err(_) => None,
            }) else {
                break;
            };
            let redeem = if below(&mut rng, 4) == 0
                && quote["max_redeemable_points"].as_i64() >= Some(100)
            {
                100
            } else {
                0
            };
            let payable = if redeem > 0 {
                let quoted = client
                    .post(format!("{base}/api/quotes"))
                    .bearer_auth(&token)
                    .json(&json!({ "card_number": card, "lines": lines, "redeem_points": redeem }))
                    .send()
                    .await;
                match quoted {
                    Ok(r) => r.json::<Value>().await.ok().map(|q| q["payable"].clone()),
                    Err(_) => None,
                }
            } else {
                Some(quote["payable"].clone())
            };
            let Some(Value::String(payable)) = payable else {
                break;
            };
            json!({ "receipt_no": receipt_no, "till_id": "T01", "card_number": card,
                    "lines": lines, "tenders": cash(&payable), "redeem_points": redeem })
        };
        let sale = Unanswered { receipt_no, body };
        if ring(&client, &base, &token, &tills, sale).await.is_none() {
            break;
        }
    }
}

/// The lounge: a guest's ¥400 cash sale, then her enrolment with it, until stopped.
#[allow(clippy::too_many_arguments)]
async fn lounge(
    client: reqwest::Client,
    base: String,
    till_token: String,
    lounge_token: String,
    tills: Arc<Mutex<Tills>>,
    stop: Arc<AtomicBool>,
    next_applicant: Arc<AtomicU32>,
) {
    while !stop.load(Ordering::SeqCst) {
        let n = next_applicant.fetch_add(1, Ordering::SeqCst);
        let receipt_no = format!("E-{n}");
        let body = json!({ "receipt_no": receipt_no, "till_id": "T01",
                           "lines": [regular("SCARF", "400.00", 1)], "tenders": cash("400.00") });
        let sale = Unanswered {
            receipt_no: receipt_no.clone(),
            body,
        };
        match ring(&client, &base, &till_token, &tills, sale).await {
            Some((201, _)) => {}
            Some(_) => continue,
            None => break,
        }
        let birth = NaiveDate::from_ymd_opt(1961, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(n))))
            .expect("birth date");
        let sent = client
            .post(format!("{base}/api/members"))
            .bearer_auth(&lounge_token)
            .json(&json!({ "applicant": applicant(90_000 + n, birth), "receipts": [receipt_no] }))
            .send()
            .await;
        let Ok(response) = sent else { break };
        let status = response.status().as_u16();
        let Ok(answer) = response.json::<Value>().await else {
            break;
        };
        let mut t = tills.lock().unwrap();
        match (status, answer["card"]["card_number"].as_str()) {
            (201, Some(card)) => t.enrolled.push(card.to_owned()),
            (422 | 409, _) if answer["error"].is_string() => t.refused += 1,
            _ => t
                .unexpected
                .push(format!("enrolment {n} → {status} {answer}")),
        }
    }
}

/// Retries every request the last kill left unanswered (same receipt, same body): each must
/// now be answered, as a replay or as a fresh commit.
async fn retry_unanswered(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    tills: &Mutex<Tills>,
    figures: &mut Figures,
    checked: &Checked,
) {
    let unanswered: Vec<Unanswered> = tills.lock().unwrap().in_flight.values().cloned().collect();
    for sale in unanswered {
        let was_stored = checked.sale_ids.contains_key(&sale.receipt_no);
        match ring(client, base, token, tills, sale.clone()).await {
            Some((201, answer)) => {
                if was_stored {
                    figures.retries_replayed += 1;
                    // A replay names its receipt's print job, as the first answer did.
                    if answer["print"][0]["job_id"].as_i64().is_none() {
                        tills.lock().unwrap().unexpected.push(format!(
                            "replay of {} without its print outcome: {answer}",
                            sale.receipt_no
                        ));
                    }
                } else {
                    figures.retries_committed += 1;
                }
            }
            Some(_) => {}
            None => panic!("the restarted kiosk did not answer a retry"),
        }
    }
}

/// The answer as stored and replayed: without the print outcomes, which change as jobs print.
fn without_print(mut answer: Value) -> Value {
    if let Some(map) = answer.as_object_mut() {
        map.remove("print");
    }
    answer
}

/// The tables whose rows only grow in rowid under this load (inserted, not moved): a check
/// reads only the rows after the last one it read. The rows the load updates later are
/// covered too: print jobs are settled before the check that sees them, and the reservations
/// a check saw (voided by the sweep after it) are read again by the next one.
const GROWING: [&str; 12] = [
    "sales",
    "sale_lines",
    "sale_tenders",
    "points_ledger",
    "outbox",
    "audit_log",
    "print_jobs",
    "card_events",
    "members",
    "cards",
    "card_tokens",
    "qualifying_receipts",
];

/// What the checks so far have verified: where the next one starts. A full check starts from
/// nothing.
#[derive(Default)]
struct Checked {
    /// Per growing table, the last rowid checked.
    rowids: HashMap<&'static str, i64>,
    /// The cards (rowids) reserved at the last check: the sweep voids them after it.
    reserved: Vec<i64>,
    /// Every sale seen: receipt number → its id, and how many rows carry the number.
    sale_ids: HashMap<String, i64>,
    copies: HashMap<String, u64>,
    /// Each card's balance: the sum of its ledger entries checked so far.
    balances: HashMap<String, i64>,
    /// A card sale's balance right after its ledger entries.
    balance_after_sale: HashMap<i64, i64>,
    /// Outbox rows of kind `sale.committed`, by entity id (`store:receipt`).
    sale_outbox: HashMap<String, u64>,
    /// Acknowledged enrolments checked.
    enrolments: usize,
    /// The audit chain's head as `verify-audit` printed it last (`SEQ:HASH`).
    audit_head: Option<String>,
}

/// Checks every invariant over what changed since the last check (`full`: over everything,
/// with the whole-file `integrity_check` and the whole audit chain), on the database as the
/// restarted kiosk left it; adds what it finds to `figures`. `at` names the check in faults.
async fn check(
    store: &Store,
    tills: &Mutex<Tills>,
    figures: &mut Figures,
    checked: &mut Checked,
    full: bool,
    at: &str,
) {
    if full {
        *checked = Checked::default();
        figures.full_checks += 1;
    }
    let mut conn = store.open().await;
    // Jobs the killed kiosk left pending must be settled by the restarted one (before it
    // serves, so this only waits if that went wrong); the load has not started yet.
    let mut pending: i64 = 0;
    for _ in 0..10 {
        pending = sqlx::query_scalar("SELECT COUNT(*) FROM print_jobs WHERE state = 'pending'")
            .fetch_one(&mut conn)
            .await
            .expect("pending jobs");
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if pending > 0 {
        figures.fault(DANGLING_PRINT_JOB, format!("{at}: {pending} pending"));
    }

    // One snapshot for the rest: a sale, its ledger entries and its outbox row together.
    let mut tx = conn.begin().await.expect("read transaction");
    // The snapshot is taken at the first read: what it shows is at least this new (a full
    // check takes seconds, so ages are reckoned from here, not from when they are read).
    let snapshot_at = Utc::now();
    let mut upto: HashMap<&'static str, i64> = HashMap::new();
    for table in GROWING {
        let last: Option<i64> = sqlx::query_scalar(&format!("SELECT max(rowid) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .expect("last rowid");
        upto.insert(table, last.unwrap_or(0));
    }
    let from = |table: &str| checked.rowids.get(table).copied().unwrap_or(0);

    for problem in integrity(&mut tx, &checked.rowids, &upto, &checked.reserved, full).await {
        figures.fault(INTEGRITY_FAILURE, format!("{at}: {problem}"));
    }

    // The sales committed since the last check, each with its receipt's print job.
    // id, store, receipt no., card, points earned, points redeemed, the stored answer.
    type Sale = (i64, String, String, Option<String>, i64, i64, String);
    let sales: Vec<Sale> = sqlx::query_as(
        "SELECT id, store_id, receipt_no, card_number, points_earned, redeem_points, response
           FROM sales WHERE id > ?1 AND id <= ?2 ORDER BY id",
    )
    .bind(from("sales"))
    .bind(upto["sales"])
    .fetch_all(&mut *tx)
    .await
    .expect("sales");
    let mut responses: HashMap<&str, Value> = HashMap::new();
    for (id, _, receipt_no, _, _, _, response) in &sales {
        let copies = checked.copies.entry(receipt_no.clone()).or_default();
        *copies += 1;
        if *copies > 1 {
            figures.fault(DUPLICATE, receipt_no);
        }
        checked.sale_ids.insert(receipt_no.clone(), *id);
        responses.insert(
            receipt_no,
            serde_json::from_str(response).unwrap_or(Value::Null),
        );
    }
    let without_job: Vec<String> = sqlx::query_scalar(
        "SELECT receipt_no FROM sales s WHERE id > ?1 AND id <= ?2 AND NOT EXISTS
           (SELECT 1 FROM print_jobs j WHERE j.id = json_extract(s.response, '$.print[0].job_id'))",
    )
    .bind(from("sales"))
    .bind(upto["sales"])
    .fetch_all(&mut *tx)
    .await
    .expect("print jobs");
    for receipt_no in without_job {
        figures.fault(NO_PRINT_JOB, receipt_no);
    }

    // The ledger entries since the last check: running balances carried on from it.
    let entries: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT seq, card_number, points, sale_id FROM points_ledger
           WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
    )
    .bind(from("points_ledger"))
    .bind(upto["points_ledger"])
    .fetch_all(&mut *tx)
    .await
    .expect("ledger");
    let mut booked: HashMap<i64, i64> = HashMap::new();
    for (seq, card, points, sale_id) in entries {
        let balance = checked.balances.entry(card.clone()).or_default();
        *balance += points;
        if *balance < 0 {
            figures.fault(NEGATIVE_BALANCE, format!("{card} at #{seq}"));
        }
        if let Some(sale) = sale_id {
            *booked.entry(sale).or_default() += points;
            checked.balance_after_sale.insert(sale, *balance);
            if sale <= from("sales") {
                figures.fault(
                    LEDGER_MISMATCH,
                    format!("sale #{sale} booked again at #{seq}"),
                );
            }
        }
    }
    // Every card sale's entries: earned less redeemed (no refunds in this load).
    for (id, _, receipt_no, card, earned, redeemed, _) in &sales {
        let booked = booked.get(id).copied().unwrap_or(0);
        let expected = if card.is_some() { earned - redeemed } else { 0 };
        if booked != expected {
            figures.fault(LEDGER_MISMATCH, receipt_no);
        }
    }

    // Exactly one outbox row per sale: the new sales', and none more for an older one.
    let outbox: Vec<String> = sqlx::query_scalar(
        "SELECT entity_id FROM outbox WHERE seq > ?1 AND seq <= ?2 AND topic = 'sale.committed'",
    )
    .bind(from("outbox"))
    .bind(upto["outbox"])
    .fetch_all(&mut *tx)
    .await
    .expect("outbox");
    for entity in &outbox {
        *checked.sale_outbox.entry(entity.clone()).or_default() += 1;
    }
    let new_sales = sales.iter().map(|s| format!("{}:{}", s.1, s.2));
    for entity in new_sales.chain(outbox) {
        if checked.sale_outbox.get(&entity) != Some(&1) {
            figures.fault(NO_OUTBOX, entity);
        }
    }

    // The sales acknowledged since the last check (all of them in a full one).
    let (acknowledged, unexpected, enrolled) = {
        let mut t = tills.lock().unwrap();
        let receipts = std::mem::take(&mut t.newly_acknowledged);
        let receipts: Vec<String> = if full {
            t.acknowledged.keys().cloned().collect()
        } else {
            receipts
        };
        figures.sales_acknowledged = t.acknowledged.len();
        let acknowledged: Vec<(String, Value)> = receipts
            .into_iter()
            .map(|r| {
                let answer = t.acknowledged[&r].clone();
                (r, answer)
            })
            .collect();
        let enrolled = t.enrolled[checked.enrolments..].to_vec();
        figures.enrolments_acknowledged = t.enrolled.len();
        (acknowledged, t.unexpected.clone(), enrolled)
    };
    if full {
        figures.sales_found = 0;
    }
    for (receipt_no, answer) in acknowledged {
        let Some(&id) = checked.sale_ids.get(&receipt_no) else {
            figures.fault(SALE_LOST, receipt_no);
            continue;
        };
        figures.sales_found += 1;
        let stored = match responses.get(receipt_no.as_str()) {
            Some(stored) => stored.clone(),
            None => {
                let text: String = sqlx::query_scalar("SELECT response FROM sales WHERE id = ?1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .expect("a stored sale");
                serde_json::from_str(&text).unwrap_or(Value::Null)
            }
        };
        if without_print(answer.clone()) != without_print(stored.clone()) {
            figures.fault(
                ANSWER_DIFFERS,
                format!("{receipt_no}: answered {answer}, stored {stored}"),
            );
        }
        // The balance the till was told is the ledger's right after this sale's entries.
        if let (Some(told), Some(after)) = (
            answer["points"]["balance"].as_i64(),
            checked.balance_after_sale.get(&id),
        ) {
            if told != *after {
                figures.fault(BALANCE_DIFFERS, receipt_no);
            }
        }
    }
    for line in unexpected {
        figures.fault(UNEXPECTED_ANSWER, line);
    }
    for card in &enrolled {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM cards WHERE number = ?1")
            .bind(card)
            .fetch_optional(&mut *tx)
            .await
            .expect("card");
        if state.as_deref() != Some("active") {
            figures.fault(ENROLMENT_LOST, card);
        }
    }
    checked.enrolments += enrolled.len();

    // No reservation older than the card issue limit (and the sweep's period).
    let reserved: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT rowid, number, created_at FROM cards WHERE state = 'reserved'")
            .fetch_all(&mut *tx)
            .await
            .expect("reservations");
    let limit = chrono::Duration::from_std(RESERVATION_LIMIT).expect("limit");
    figures.reservations_within_limit = 0;
    for (_, number, reserved_at) in &reserved {
        let stale = DateTime::parse_from_rfc3339(reserved_at)
            .map_or(true, |r| snapshot_at - r.with_timezone(&Utc) > limit);
        if stale {
            eprintln!("{at}: {number} reserved {reserved_at}, still reserved at {snapshot_at}");
            figures.fault(DANGLING_RESERVATION, number);
        } else {
            figures.reservations_within_limit += 1;
        }
    }
    tx.rollback().await.expect("end the read");
    checked.reserved = reserved.into_iter().map(|(rowid, _, _)| rowid).collect();
    checked.rowids = upto;

    // The chain from the head verified last (the whole of it in a full check).
    match store.audit_verifies(checked.audit_head.as_deref()) {
        Some(head) => checked.audit_head = Some(head),
        None => figures.fault(AUDIT_FAILURE, at),
    }
}

/// What `integrity_check` finds. A full check runs it on the whole file. Otherwise: the
/// other tables (small ones) each whole, and in each growing table the rows written or
/// changed since the last check: read through the table, and found through every index of
/// the table with the same values (what `integrity_check` checks row by row). The page
/// structure of the growing tables' older parts is left to the full checks.
async fn integrity(
    conn: &mut SqliteConnection,
    from: &HashMap<&'static str, i64>,
    upto: &HashMap<&'static str, i64>,
    reserved: &[i64],
    full: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut found = |rows: Vec<String>, what: &str| {
        if rows != ["ok"] {
            problems.push(format!("{what}: {}", rows.join("; ")));
        }
    };
    if full {
        let rows = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut *conn)
            .await
            .expect("integrity_check");
        found(rows, "integrity_check");
        return problems;
    }
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .expect("tables");
    for table in tables.iter().filter(|t| !GROWING.contains(&t.as_str())) {
        let rows = sqlx::query_scalar(&format!("PRAGMA integrity_check(\"{table}\")"))
            .fetch_all(&mut *conn)
            .await
            .expect("integrity_check of a table");
        found(rows, table);
    }
    for table in GROWING {
        // The new rows, and the reservations seen last time (each a rowid search: an OR of
        // the two would scan the table).
        let mut changed = vec![format!(
            "r.rowid > {} AND r.rowid <= {}",
            from.get(table).copied().unwrap_or(0),
            upto[table]
        )];
        if table == "cards" && !reserved.is_empty() {
            let rowids: Vec<String> = reserved.iter().map(i64::to_string).collect();
            changed.push(format!("r.rowid IN ({})", rowids.join(",")));
        }
        let indexes: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .expect("indexes");
        for changed in &changed {
            problems.extend(rows_through_indexes(conn, table, changed, &indexes).await);
        }
    }
    problems
}

/// The rows of `table` that meet `changed` (on `r`, by rowid): read whole, and each found
/// through every one of `indexes` (name, SQL) with the same values.
async fn rows_through_indexes(
    conn: &mut SqliteConnection,
    table: &str,
    changed: &str,
    indexes: &[(String, Option<String>)],
) -> Vec<String> {
    let mut problems = Vec::new();
    // Reading every column of every changed row walks their pages. NOT INDEXED here and
    // below: the rows are found by rowid, not by some index over the whole table.
    let read = sqlx::query(&format!(
        "SELECT r.* FROM {table} AS r NOT INDEXED WHERE {changed}"
    ))
    .fetch_all(&mut *conn)
    .await;
    if let Err(e) = read {
        problems.push(format!("{table}: {e}"));
    }
    for (index, sql) in indexes {
        let columns: Vec<Option<String>> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .bind(index)
                .fetch_all(&mut *conn)
                .await
                .expect("index columns");
        // An index on an expression has no column name: none on these tables.
        let Some(columns) = columns.into_iter().collect::<Option<Vec<String>>>() else {
            problems.push(format!("{index}: an expression index, not checked"));
            continue;
        };
        // A partial index's condition, on bare column names: the outer query's apply
        // to the row, the inner one's to the index entry.
        let partial = sql
            .as_deref()
            .and_then(|sql| sql.split_once(" WHERE "))
            .map_or("1".to_owned(), |(_, w)| format!("({w})"));
        let same: String = columns
            .iter()
            .map(|c| format!("i.\"{c}\" IS r.\"{c}\" AND "))
            .collect();
        let missing: Result<i64, _> = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} AS r NOT INDEXED
                  WHERE {changed} AND {partial} AND NOT EXISTS
                   (SELECT 1 FROM {table} AS i INDEXED BY \"{index}\"
                     WHERE {same} i.rowid = r.rowid AND {partial})"
        ))
        .fetch_one(&mut *conn)
        .await;
        match missing {
            Ok(0) => {}
            Ok(n) => problems.push(format!("{index}: {n} rows missing from the index")),
            Err(e) => problems.push(format!("{index}: {e}")),
        }
    }
    problems
}

/// A full check (whole file, whole chain, every sale) after this many restarts, and at the end.
const FULL_CHECK_EVERY: u64 = 50;

/// What one restart cost: the kiosk's start (spawn to health) and the check after it.
struct Restart {
    start: Duration,
    check: Duration,
    full: bool,
}

/// The mean start and check of `restarts`, in ms.
fn mean_ms(restarts: &[&Restart]) -> (f64, f64) {
    let n = restarts.len().max(1) as f64;
    let ms = |f: fn(&Restart) -> Duration| {
        restarts.iter().map(|r| f(r).as_secs_f64()).sum::<f64>() * 1000.0 / n
    };
    (ms(|r| r.start), ms(|r| r.check))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_keeps_every_acknowledged_sale_once_and_the_books_whole() {
    let kills: u64 = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("crash_recovery: {kills} kills, seed {seed} (CRASH_SEED={seed} repeats the run)");
    let store = setup();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let tills = Arc::new(Mutex::new(Tills::default()));
    let mut figures = Figures::default();
    let mut checked = Checked::default();
    let mut restarts: Vec<Restart> = Vec::new();
    let mut rng = seeded(seed);
    let next_receipt = Arc::new(AtomicU32::new(1));
    let next_applicant = Arc::new(AtomicU32::new(1));
    let mut cards: Option<Arc<Vec<String>>> = None;
    let started = Instant::now();

    for round in 0..=kills {
        let starting = Instant::now();
        let (mut kiosk, base) = store.start();
        wait_up(&client, &store, &base).await;
        let start = starting.elapsed();
        let checking = Instant::now();
        let full = round > 0 && round % FULL_CHECK_EVERY == 0;
        let at = format!("restart {round}");
        check(&store, &tills, &mut figures, &mut checked, full, &at).await;
        restarts.push(Restart {
            start,
            check: checking.elapsed(),
            full,
        });
        if full {
            let incremental: Vec<&Restart> = restarts.iter().filter(|r| !r.full).collect();
            let (start, check) = mean_ms(&incremental[incremental.len().saturating_sub(10)..]);
            println!(
                "  restart {round} ({:.0} s): {} sales acknowledged; last 10: start {start:.0} ms, \
                 check {check:.0} ms; this full check {:.0} ms",
                started.elapsed().as_secs_f64(),
                tills.lock().unwrap().acknowledged.len(),
                checking.elapsed().as_secs_f64() * 1000.0,
            );
        }
        let till_token = sign_in(&client, &base, "T01").await;
        retry_unanswered(&client, &base, &till_token, &tills, &mut figures, &checked).await;
        if round == kills {
            check(&store, &tills, &mut figures, &mut checked, true, "the end").await;
            let _ = kiosk.kill();
            let _ = kiosk.wait();
            break;
        }
        let cards = match &cards {
            Some(c) => c.clone(),
            None => cards
                .insert(Arc::new(
                    usable_cards(&client, &base, &till_token, &store).await,
                ))
                .clone(),
        };
        let lounge_token = sign_in(&client, &base, "lounge").await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut load = tokio::task::JoinSet::new();
        for _ in 0..TILLS {
            load.spawn(till(
                client.clone(),
                base.clone(),
                till_token.clone(),
                cards.clone(),
                tills.clone(),
                stop.clone(),
                next_receipt.clone(),
                rng.next_u64(),
            ));
        }
        load.spawn(lounge(
            client.clone(),
            base.clone(),
            till_token.clone(),
            lounge_token,
            tills.clone(),
            stop.clone(),
            next_applicant.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(100 + below(&mut rng, 700))).await;
        kiosk.kill().expect("SIGKILL the kiosk");
        let _ = kiosk.wait();
        figures.kills += 1;
        stop.store(true, Ordering::SeqCst);
        while let Some(done) = load.join_next().await {
            done.expect("load task");
        }
    }

    figures.refused = tills.lock().unwrap().refused;
    println!(
        "crash_recovery: {} kills in {:.1} s; sales acknowledged {}, found {}; enrolments \
         acknowledged {}; retried after a kill: {} replayed, {} committed; refused by a rule {}; \
         reservations within the issue time limit {}; full checks {}",
        figures.kills,
        started.elapsed().as_secs_f64(),
        figures.sales_acknowledged,
        figures.sales_found,
        figures.enrolments_acknowledged,
        figures.retries_replayed,
        figures.retries_committed,
        figures.refused,
        figures.reservations_within_limit,
        figures.full_checks,
    );
    // Per restart: the kiosk's start and the incremental check, first ten against last ten.
    let incremental: Vec<&Restart> = restarts.iter().filter(|r| !r.full).collect();
    let ten = incremental.len().min(10);
    let (first_start, first_check) = mean_ms(&incremental[..ten]);
    let (last_start, last_check) = mean_ms(&incremental[incremental.len() - ten..]);
    println!(
        "  per restart, first {ten} / last {ten}: start {first_start:.0} / {last_start:.0} ms, \
         check {first_check:.0} / {last_check:.0} ms"
    );
    for kind in FAULTS {
        println!("  {kind:<48} {}", figures.count(kind));
    }
    let faults: Vec<_> = FAULTS
        .into_iter()
        .map(|kind| (kind, figures.count(kind)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(
        faults.is_empty(),
        "after {} kills (seed {seed}): {faults:?}",
        figures.kills
    );
    assert!(figures.sales_acknowledged > 0, "the load rang no sale");
}
