//! The proptest state machine of the chain: random operations (sales, redemptions, loss
//! reports, enrolments, partitions on and off, a store or head office killed with SIGKILL
//! and started again, a sync step) over two store kiosks and head office (two processes on
//! one database, each store's connections spread over both) as real processes, with the
//! chain's invariants checked after every step and full convergence at the end.
//!
//! Each case starts real processes, so the case count is small by default:
//! `CHAIN_PROPTEST_CASES` raises it (and `CHAIN_PROPTEST_OPS` the longest op sequence).
//! Shrinking is off (every try restarts processes): a failure prints its op sequence, and
//! `CHAIN_PROPTEST_SEED` (printed at the start) replays the run.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use super::fault_proxy::Mode;
use super::harness::Chain;

const STORES: usize = 2;
const CARDS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    /// A card sale at a store (the card may be another store's).
    Sale {
        store: usize,
        card: usize,
        yuan: u32,
    },
    /// A sale redeeming 100 points (allowed or refused by the rules and the offline bounds).
    Redemption { store: usize, card: usize },
    /// A phone loss report at a store.
    LossReport { store: usize, card: usize },
    /// One of a few people enrols at a store (the same person at two stores while one is
    /// offline is a duplicate flagged at sync; online, R-ENR-3 refuses the second).
    Enrol { store: usize, person: u32 },
    /// The store's link to head office down (`Down` or `Drop`) or back.
    Partition {
        store: usize,
        down: bool,
        black_hole: bool,
    },
    /// SIGKILL the store and start it again.
    RestartStore { store: usize },
    /// SIGKILL head office and start it again.
    RestartHq,
    /// Let the sync run: with every link up, wait until the chain converged.
    SyncStep,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..STORES, 0..CARDS, 20u32..800).prop_map(|(store, card, yuan)| Op::Sale { store, card, yuan }),
        2 => (0..STORES, 0..CARDS).prop_map(|(store, card)| Op::Redemption { store, card }),
        1 => (0..STORES, 0..CARDS).prop_map(|(store, card)| Op::LossReport { store, card }),
        1 => (0..STORES, 0..3u32).prop_map(|(store, person)| Op::Enrol { store, person }),
        2 => (0..STORES, any::<bool>(), any::<bool>())
            .prop_map(|(store, down, black_hole)| Op::Partition { store, down, black_hole }),
        1 => (0..STORES).prop_map(|store| Op::RestartStore { store }),
        1 => Just(Op::RestartHq),
        2 => Just(Op::SyncStep),
    ]
}

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Two stores, head office (two processes behind one balancer), four cards (two enrolled at each store) with points earned
/// "yesterday" (the stores' UTC offset moved one day on), everything synced.
async fn setup() -> (Chain, Vec<String>) {
    let mut chain = Chain::start(STORES, 2).await;
    chain.spread = true;
    chain.route();
    for s in chain.stores.iter_mut() {
        s.env
            .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "-600".into()));
        s.restart().await;
    }
    let mut cards = Vec::new();
    for i in 0..CARDS {
        let store = &mut chain.stores[i % STORES];
        let card = store.enrol_card(500 + i as u32).await;
        let (status, body) = store
            .card_sale(&format!("SEED-{i}"), &card, "1500.00", 0)
            .await;
        assert_eq!(status, 201, "{body}");
        cards.push(card);
    }
    chain.wait_converged(Duration::from_secs(90)).await;
    for s in chain.stores.iter_mut() {
        s.env.retain(|(k, _)| k != "KIOSK_UTC_OFFSET_MINUTES");
        s.env
            .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "840".into()));
        s.restart().await;
    }
    (chain, cards)
}

/// What a case did, printed so a run shows it exercised something.
#[derive(Debug, Default)]
struct Tally {
    sales: (u32, u32),
    redemptions: (u32, u32),
    loss_reports: (u32, u32),
    enrolments: (u32, u32),
    partitions: u32,
    restarts: u32,
    converged: u32,
}

fn count(pair: &mut (u32, u32), ok: bool) {
    if ok {
        pair.0 += 1;
    } else {
        pair.1 += 1;
    }
}

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (mut chain, mut cards) = setup().await;
    let mut partitioned = [false; STORES];
    let mut tally = Tally::default();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Sale { store, card, yuan } => {
                let (status, body) = chain.stores[*store]
                    .card_sale(&format!("P{step}"), &cards[*card], &format!("{yuan}.00"), 0)
                    .await;
                count(&mut tally.sales, status == 201);
                // A blocked card is refused by a rule; anything else must go through.
                prop_assert!(
                    status == 201 || (400..500).contains(&status),
                    "step {step} {op:?}: {status} {body}"
                );
            }
            Op::Redemption { store, card } => {
                let (status, body) = chain.stores[*store]
                    .card_sale(&format!("P{step}"), &cards[*card], "50.00", 100)
                    .await;
                count(&mut tally.redemptions, status == 201);
                prop_assert!(
                    status == 201 || (400..500).contains(&status),
                    "step {step} {op:?}: {status} {body}"
                );
            }
            Op::LossReport { store, card } => {
                let (status, body) = chain.stores[*store].report_loss(&cards[*card]).await;
                count(&mut tally.loss_reports, status < 300);
                prop_assert!(
                    status < 300 || (400..500).contains(&status),
                    "step {step} {op:?}: {status} {body}"
                );
            }
            Op::Enrol { store, person } => {
                let (status, body) = chain.stores[*store].enrol(600 + person).await;
                count(&mut tally.enrolments, status == 201);
                prop_assert!(
                    status == 201 || (400..500).contains(&status),
                    "step {step} {op:?}: {status} {body}"
                );
                if let Some(card) = body["card"]["card_number"].as_str() {
                    cards.push(card.to_owned());
                }
            }
            Op::Partition {
                store,
                down,
                black_hole,
            } => {
                partitioned[*store] = *down;
                tally.partitions += 1;
                chain.stores[*store]
                    .proxy
                    .set_mode(match (down, black_hole) {
                        (false, _) => Mode::Pass,
                        (true, false) => Mode::Down,
                        (true, true) => Mode::Drop,
                    });
            }
            Op::RestartStore { store } => {
                tally.restarts += 1;
                chain.stores[*store].restart().await
            }
            Op::RestartHq => {
                tally.restarts += 1;
                chain.restart_hq().await
            }
            Op::SyncStep => {
                if partitioned.iter().any(|p| *p) {
                    tokio::time::sleep(Duration::from_millis(600)).await;
                } else {
                    chain.wait_converged(Duration::from_secs(90)).await;
                    tally.converged += 1;
                    if let Err(faults) = chain.check_balances_everywhere().await {
                        return Err(TestCaseError::fail(format!(
                            "after step {step} {op:?}: {faults}"
                        )));
                    }
                }
            }
        }
        if let Err(faults) = chain.check_invariants().await {
            return Err(TestCaseError::fail(format!(
                "after step {step} {op:?} of {ops:?}:\n{faults}"
            )));
        }
    }
    chain.set_all(Mode::Pass);
    chain.wait_converged(Duration::from_secs(120)).await;
    if let Err(faults) = chain.check_invariants().await {
        return Err(TestCaseError::fail(format!(
            "at the end of {ops:?}:\n{faults}"
        )));
    }
    if let Err(faults) = chain.check_balances_everywhere().await {
        return Err(TestCaseError::fail(format!(
            "at the end of {ops:?}:\n{faults}"
        )));
    }
    eprintln!(
        "chain state machine: {} ops, {tally:?} (ok, refused)",
        ops.len()
    );
    Ok(())
}

#[test]
fn chain_state_machine_keeps_every_invariant_after_every_step() {
    let cases = env_number("CHAIN_PROPTEST_CASES", 3);
    let max_ops = env_number("CHAIN_PROPTEST_OPS", 20).max(2) as usize;
    let seed = std::env::var("CHAIN_PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    eprintln!(
        "chain state machine: CHAIN_PROPTEST_SEED={seed}, {cases} cases, up to {max_ops} ops"
    );
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed.to_le_bytes(); 4].concat());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            max_shrink_iters: 0,
            failure_persistence: None,
            ..Config::default()
        },
        rng,
    );
    let result = runner.run(&prop::collection::vec(op(), 2..=max_ops), |ops| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        runtime.block_on(run_case(ops))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
