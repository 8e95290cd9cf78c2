//! Head-office ingest benchmark (`cargo bench --bench head_office`): events/s stored and
//! projected (members, cards, balances, spend, feed) by the real `member-kiosk head-office
//! serve` over TLS against the machine's PostgreSQL, with a realistic mix (per sale: one
//! `sale.committed` and its `ledger.entry` rows; now and then a member enrolled and a card
//! issued), pushed in batches of 1,000 by several stores at once. Once with one head-office
//! process, once with two against the same database (stores split between them). Prints the
//! figures, and the CPU time per event of head office, of its PostgreSQL backends and of this
//! client (all share the machine's cores, so the sum says what the machine can sustain);
//! BENCH_SMOKE=1 runs a few thousand events in seconds; BENCH_EVENTS sets the events per store
//! (default 50,000), BENCH_STORES the number of stores (default 4), BENCH_PROCESSES which runs
//! (default `1,2`), BENCH_HQ_LOG head office's `RUST_LOG` (default `warn`), BENCH_PG_SERVER the
//! PostgreSQL server (default `postgres://postgres@127.0.0.1:5432`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Connection;

use member_kiosk::domain::card_status::CardState;
use member_kiosk::domain::events::{
    CardCause, CardChanged, CardSnapshot, Event, LedgerEntry, MemberRecorded, MemberSnapshot,
    Money, SaleCommitted, SaleLine, SaleTender, SealedDocument,
};
use member_kiosk::domain::ledger::EntryKind;
use member_kiosk::domain::tier::Tier;
use member_kiosk::headoffice::{self as hq, config::HqConfig};
use member_kiosk::sync::protocol::{PushRequest, SentEvent, MAX_BATCH};

/// The PostgreSQL server (BENCH_PG_SERVER overrides it, e.g. a private instance with
/// `pg_stat_statements` loaded to see where PostgreSQL's time goes).
const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

struct Proc(Child, String);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(db_url: &str, dir: &Path) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_member-kiosk"))
        .args(["head-office", "--database-url", db_url, "--chain-key-file"])
        .arg(dir.join("hq-keys.toml"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-review-job",
            "--tls-cert",
        ])
        .arg(dir.join("tls/server.pem"))
        .arg("--tls-key")
        .arg(dir.join("tls/server.key"))
        .env(
            "RUST_LOG",
            std::env::var("BENCH_HQ_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn head office");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match line.split("https://").nth(1) {
                Some(addr) => {
                    let _ = tx.send(addr.trim().to_owned());
                }
                // Head office's log (BENCH_HQ_LOG), passed on.
                None => eprintln!("{line}"),
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("head office address");
    Proc(child, format!("https://{addr}"))
}

fn store_log(store: &str, events: usize) -> Vec<SentEvent> {
    let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
    let at = Utc
        .timestamp_opt(1_790_000_000, 0)
        .single()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(events);
    let mut ledger_seq = 0;
    let mut sale_no = 0;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ store.parse::<u64>().unwrap_or(1);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let push = |out: &mut Vec<SentEvent>, e: Event| {
        let enc = e.encode().expect("encodes");
        let seq = out.len() as i64 + 1;
        out.push(SentEvent {
            seq,
            kind: enc.kind.to_owned(),
            version: enc.version,
            payload: enc.payload,
            hash: enc.hash,
            created_at: at,
        });
    };
    while out.len() < events {
        let card_no = format!("88{store}{:08}", next() % 20_000);
        if next() % 25 == 0 {
            let member_id = format!("m-{store}-{}", out.len());
            push(
                &mut out,
                Event::MemberEnrolled(MemberRecorded {
                    member: MemberSnapshot {
                        id: member_id.clone(),
                        name: "v1:c2VhbGVkIG5hbWU".into(),
                        sex: "f".into(),
                        birth_date: "v1:c2VhbGVk".into(),
                        phone: "v1:c2VhbGVkIHBob25lIG51bWJlcg".into(),
                        id_document: SealedDocument {
                            kind: "prc_id".into(),
                            number: "v1:c2VhbGVkIGlkIG51bWJlciBvZiB0aGUgbWVtYmVy".into(),
                        },
                        address: None,
                        email: None,
                        preferences: None,
                        home_store: store.into(),
                        id_lookup: Some(format!("{:064x}", next())),
                        phone_lookup: Some(format!("{:064x}", next())),
                    },
                    staff_id: "s-1".into(),
                    at,
                }),
            );
            push(
                &mut out,
                Event::Card(
                    CardCause::Issued,
                    CardChanged {
                        card: CardSnapshot {
                            number: card_no.clone(),
                            member_id,
                            tier: Tier::Vip,
                            state: CardState::Active,
                            valid_from: day,
                            expiry: day,
                            lapsed_on: None,
                            generation: 1,
                            replaces: None,
                            replaced_by: None,
                            upgrade_points_carried: 0,
                            points_debt: 0,
                            issued_store: store.into(),
                            issued_on: day,
                            record_seq: 1,
                            record_key_id: Some(1),
                        },
                        staff_id: "s-1".into(),
                        workstation: "lounge".into(),
                        business_day: day,
                        at,
                        detail: json!({"fee": "0.00"}),
                    },
                ),
            );
            continue;
        }
        sale_no += 1;
        let receipt = format!("{store}-T1-{sale_no:08}");
        let amount = Decimal::new((next() % 200_000) as i64 + 1000, 2);
        let line = SaleLine {
            sku: "SKU-000123".into(),
            class: "regular".into(),
            quantity: 1,
            unit_price: Money(amount),
            gross: Money(amount),
            discount: Money(Decimal::ZERO),
            net: Money(amount),
            redemption: Money(Decimal::ZERO),
            redemption_points: 0,
            paid: Money(amount),
            points_earned: 1,
        };
        push(
            &mut out,
            Event::SaleCommitted(SaleCommitted {
                receipt_no: receipt.clone(),
                till_id: "T1".into(),
                staff_id: "s-1".into(),
                business_day: day,
                committed_at: at,
                card_number: Some(card_no.clone()),
                member_id: Some("m-1".into()),
                tier: Some(Tier::Gold),
                birthday: false,
                group_purchase: false,
                gross: Money(amount),
                discount: Money(Decimal::ZERO),
                net: Money(amount),
                redeem_points: 0,
                redeem_amount: Money(Decimal::ZERO),
                payable: Money(amount),
                cash: Money(amount),
                points_earned: 3,
                policy_version: 1,
                redemption: None,
                lines: vec![line.clone(), line.clone(), line],
                tenders: vec![SaleTender {
                    kind: "bank_card".into(),
                    amount: Money(amount),
                    cash_like: true,
                }],
            }),
        );
        for _ in 0..(1 + next() % 2) {
            ledger_seq += 1;
            push(
                &mut out,
                Event::LedgerEntry(LedgerEntry {
                    ledger_seq,
                    card_number: card_no.clone(),
                    kind: EntryKind::Earn,
                    points: (next() % 300) as i64,
                    business_day: day,
                    receipt_no: Some(receipt.clone()),
                    refund_no: None,
                    related_card: None,
                    staff_id: "s-1".into(),
                    created_at: at,
                }),
            );
        }
    }
    out.truncate(events);
    out
}

/// One run: a fresh database, `processes` head offices, every store pushing its log.
async fn run(
    processes: usize,
    stores: usize,
    events: usize,
    logs: &[(String, Vec<SentEvent>)],
) -> Figures {
    let name = format!("hq_bench_{}", uuid::Uuid::now_v7().simple());
    let server = std::env::var("BENCH_PG_SERVER").unwrap_or_else(|_| PG_SERVER.into());
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = format!("{server}/{name}");
    let dir = tempfile::tempdir().expect("temp dir");
    let tls = hq::tls::init_tls(&dir.path().join("tls"), &["127.0.0.1".to_owned()]).expect("tls");
    hq::keys::load_or_create(&dir.path().join("hq-keys.toml")).expect("keys");
    let pool = hq::db::connect(
        &HqConfig {
            database_url: url.clone(),
            key_file: dir.path().join("hq-keys.toml"),
            max_connections: 4,
        },
        true,
    )
    .await
    .expect("migrate");
    let mut credentials = Vec::new();
    for (store, _) in logs.iter().take(stores) {
        credentials.push(
            hq::credentials::register_store(&pool, store, store)
                .await
                .expect("register")
                .credential,
        );
    }
    let procs: Vec<Proc> = (0..processes).map(|_| start(&url, dir.path())).collect();
    let ca = std::fs::read(&tls.ca_cert).expect("ca");
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca"))
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    // Bodies are serialised up front: the figure is head office's, not the client's.
    let mut bodies = Vec::new();
    for (i, (store, log)) in logs.iter().take(stores).enumerate() {
        let batches: Vec<Vec<u8>> = log
            .chunks(MAX_BATCH)
            .map(|b| {
                serde_json::to_vec(&PushRequest {
                    store_id: store.clone(),
                    events: b.to_vec(),
                })
                .expect("json")
            })
            .collect();
        bodies.push((
            procs[i % processes].1.clone(),
            credentials[i].clone(),
            batches,
        ));
    }
    let backends_before = backend_cpu(&mut admin, &name).await;
    let hq_before: f64 = procs.iter().map(|p| cpu_seconds(p.0.id())).sum();
    let client_before = own_cpu_seconds();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (url, credential, batches) in bodies {
        let client = client.clone();
        tasks.spawn(async move {
            for body in batches {
                let r = client
                    .post(format!("{url}/sync/v1/push"))
                    .bearer_auth(&credential)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("push");
                assert!(r.status().is_success(), "push: {}", r.status());
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("pusher");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let client = own_cpu_seconds() - client_before;
    let hq: f64 = procs.iter().map(|p| cpu_seconds(p.0.id())).sum::<f64>() - hq_before;
    let backends_after = backend_cpu(&mut admin, &name).await;
    let postgres: f64 = backends_after
        .iter()
        .map(|(pid, after)| after - backends_before.get(pid).copied().unwrap_or(0.0))
        .sum();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(stored as usize, stores * events, "every event stored once");
    drop(procs);
    pool.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    let total = (stores * events) as f64;
    Figures {
        rate: total / elapsed,
        hq_us: hq * 1e6 / total,
        postgres_us: postgres * 1e6 / total,
        client_us: client * 1e6 / total,
    }
}

/// One run's figures: events/s, and CPU time per event of head office, of the PostgreSQL
/// backends serving it, and of this client (which shares the machine's cores).
struct Figures {
    rate: f64,
    hq_us: f64,
    postgres_us: f64,
    client_us: f64,
}

/// CPU seconds (user + system) process `pid` has used so far (Linux `/proc`).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second.max(1.0)
}

/// CPU seconds this benchmark process (the pushing client) has used so far.
fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id())
}

/// CPU seconds so far of every PostgreSQL backend connected to database `name`.
async fn backend_cpu(
    admin: &mut sqlx::PgConnection,
    name: &str,
) -> std::collections::HashMap<i32, f64> {
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_all(admin)
        .await
        .expect("backends");
    pids.into_iter()
        .map(|pid| (pid, cpu_seconds(pid as u32)))
        .collect()
}

#[tokio::main]
async fn main() {
    let smoke = std::env::var("BENCH_SMOKE").is_ok_and(|v| v == "1");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let events = env("BENCH_EVENTS", if smoke { 2_000 } else { 50_000 });
    let stores = env("BENCH_STORES", 4).clamp(1, 99);
    let logs: Vec<(String, Vec<SentEvent>)> = (0..stores)
        .map(|i| {
            let store = format!("{:04}", i + 2);
            let log = store_log(&store, events);
            (store, log)
        })
        .collect();
    println!(
        "head-office ingest: {stores} stores × {events} events, batches of {MAX_BATCH}, projections on"
    );
    let processes: Vec<usize> = std::env::var("BENCH_PROCESSES")
        .ok()
        .map(|v| v.split(',').filter_map(|p| p.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    for processes in processes {
        let f = run(processes, stores, events, &logs).await;
        println!(
            "  {processes} head-office process(es): {:>9.0} events/s; CPU µs per event: head office {:.1}, PostgreSQL {:.1}, client {:.1}",
            f.rate, f.hq_us, f.postgres_us, f.client_us
        );
    }
}
