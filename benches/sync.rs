//! Sync benchmark (`cargo bench --bench sync`): the chain as real processes (PostgreSQL,
//! head office, store kiosks, each store behind its fault proxy), and prints
//! - store checkout p50/p95 (quote + sale over HTTP) with the link idle;
//! - the time to drain a backlog of 100,000 events a store built up while offline (goal
//!   ≤ 30 s), with head office's ingest rate over it;
//! - checkout p95 at that store while it drains, against idle (goal: within 20 %);
//! - the same with two head-office processes (two stores, each on one of them, half the
//!   backlog each);
//! - checkout p95 at a store that is *not* draining while another store drains (the
//!   machine's load without the store's own sync work: here head office, PostgreSQL and the
//!   stores share two cores).
//!
//! `BENCH_SMOKE=1` runs it all in seconds (a 2,000-event backlog, a few checkouts);
//! `BENCH_BACKLOG` and `BENCH_CHECKOUTS` set the sizes. Everything shares this machine's
//! cores; `BENCH_HQ_NICE=19` runs head office under `nice` to see how much of the checkout
//! slowdown is head office's CPU rather than the store's own sync work.

#[path = "../tests/chain/fault_proxy.rs"]
mod fault_proxy;
#[path = "../tests/chain/harness.rs"]
mod harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fault_proxy::Mode;
use harness::{hq_count, Chain, Till, Timing};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` checkouts (quote, then sale) on `card`, one after another: each one's latency.
async fn checkouts(till: &Till, prefix: &str, card: &str, n: usize) -> Vec<Duration> {
    let mut taken = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let status = till
            .card_sale(
                &format!("{prefix}-{i}"),
                card,
                &format!("{}.00", 50 + i % 400),
            )
            .await;
        assert_eq!(status, Some(201), "checkout {prefix}-{i}");
        taken.push(started.elapsed());
    }
    taken.sort();
    taken
}

/// Checkouts until `stop`, one after another.
async fn checkouts_until(
    till: Till,
    prefix: String,
    card: String,
    stop: Arc<AtomicBool>,
) -> Vec<Duration> {
    let mut taken = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let status = till
            .card_sale(
                &format!("{prefix}-{i}"),
                &card,
                &format!("{}.00", 50 + i % 400),
            )
            .await;
        assert_eq!(status, Some(201), "checkout {prefix}-{i} while draining");
        taken.push(started.elapsed());
        i += 1;
        // A till's pace, not a load generator's.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    taken.sort();
    taken
}

struct Figures {
    backlog: i64,
    drain: Duration,
    idle_p50: Duration,
    idle_p95: Duration,
    drain_p50: Duration,
    drain_p95: Duration,
    checkouts_during: usize,
}

/// Builds the backlogs offline, measures idle checkouts, heals and times the drain with a
/// till ringing at store 0 meanwhile.
/// `drainers`: how many stores build the backlog (the last ones); the checkouts are always
/// at store 0, so with more stores than drainers they measure a store that is not draining.
async fn run(
    hq_processes: usize,
    stores: usize,
    drainers: usize,
    backlog: usize,
    idle_n: usize,
) -> Figures {
    let timing = Timing {
        push_every_ms: 100,
        pull_every_ms: 1000,
        request_timeout_ms: 30_000,
    };
    let mut chain = Chain::start_with(stores, hq_processes, timing).await;
    if let Some(n) = std::env::var("BENCH_HQ_NICE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        chain.hq.nice = Some(n);
        chain.restart_hq().await;
    }
    let mut cards = Vec::new();
    for (i, s) in chain.stores.iter_mut().enumerate() {
        cards.push(s.enrol_card(10 + i as u32).await);
    }
    chain.wait_converged(Duration::from_secs(120)).await;
    let till = chain.stores[0].till().await;
    // Warm up, then idle checkouts.
    checkouts(&till, "WARM", &cards[0], 5.min(idle_n)).await;
    let idle = checkouts(&till, "IDLE", &cards[0], idle_n).await;

    chain.set_all(Mode::Down);
    for i in stores - drainers..stores {
        harness::build_backlog(&mut chain.stores[i], backlog / drainers, &cards).await;
    }
    let mut total = 0;
    for s in &chain.stores {
        total += s.backlog().await;
    }
    let before = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;

    let stop = Arc::new(AtomicBool::new(false));
    let ringing = tokio::spawn(checkouts_until(
        till.clone(),
        "DRAIN".into(),
        cards[0].clone(),
        stop.clone(),
    ));
    let started = Instant::now();
    chain.set_all(Mode::Pass);
    loop {
        let mut left = 0;
        for s in &chain.stores {
            left += s.backlog().await;
        }
        // The checkouts during the drain add events too: drained once what was there at
        // the start is in.
        let landed = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await - before;
        if landed >= total || left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the backlog did not drain in 10 minutes ({left} left)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let during = ringing.await.expect("till");
    chain.wait_converged(Duration::from_secs(300)).await;
    if let Err(faults) = chain.check_invariants().await {
        panic!("invariants broken after the drain:\n{faults}");
    }
    Figures {
        backlog: total,
        drain,
        idle_p50: percentile(&idle, 0.50),
        idle_p95: percentile(&idle, 0.95),
        drain_p50: percentile(&during, 0.50),
        drain_p95: percentile(&during, 0.95),
        checkouts_during: during.len(),
    }
}

fn print(title: &str, f: &Figures) {
    let rate = f.backlog as f64 / f.drain.as_secs_f64().max(1e-9);
    let ratio = ms(f.drain_p95) / ms(f.idle_p95).max(1e-9);
    println!("{title}");
    println!(
        "  backlog {} events drained in {:.2} s ({rate:.0} events/s ingested with projections; goal ≤ 30 s for 100,000)",
        f.backlog,
        f.drain.as_secs_f64()
    );
    println!(
        "  checkout idle p50 {:.1} ms p95 {:.1} ms; while draining p50 {:.1} ms p95 {:.1} ms over {} checkouts ({:+.0} % p95; goal within 20 %)",
        ms(f.idle_p50),
        ms(f.idle_p95),
        ms(f.drain_p50),
        ms(f.drain_p95),
        f.checkouts_during,
        (ratio - 1.0) * 100.0
    );
}

fn main() {
    let smoke = std::env::var("BENCH_SMOKE").is_ok_and(|v| v != "0");
    let backlog = env_usize("BENCH_BACKLOG", if smoke { 2_000 } else { 100_000 });
    let idle_n = env_usize("BENCH_CHECKOUTS", if smoke { 20 } else { 300 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!(
            "sync benchmark{} (backlog {backlog} events, {idle_n} idle checkouts)",
            if smoke { " — smoke run" } else { "" }
        );
        let one = run(1, 1, 1, backlog, idle_n).await;
        print("one head-office process, one store", &one);
        let two = run(2, 2, 2, backlog, idle_n).await;
        print(
            "two head-office processes, two stores (half the backlog each, one process each)",
            &two,
        );
        // The same machine load without the store's own sync work: another store drains.
        let other = run(1, 2, 1, backlog, idle_n).await;
        print(
            "one head-office process; the checkouts at a store that is not draining while another store drains",
            &other,
        );
    });
}
