//! The chain as real processes: PostgreSQL, head office, two or three store kiosks, and a
//! fault-injecting TCP proxy in front of head office for each store. One test binary for
//! every chain test (build time): the proxy's own tests, the fault scenarios below, and the
//! proptest state machine of sync over random operations, partitions and restarts
//! (`chain/machine.rs`).
//!
//! Every scenario asserts the same invariants (`Chain::check_invariants`): every event a
//! store counts as acknowledged is at head office exactly once with its hash, no gap below
//! any high-water mark, head office's balances are the sums of their entries, no card seen
//! blocked is active again; and once the link is back and the chain has converged, every
//! store's balances equal head office's, which equal the sum of every store's own entries.

#[path = "chain/fault_proxy.rs"]
mod fault_proxy;
#[path = "chain/harness.rs"]
mod harness;
#[path = "chain/machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use fault_proxy::Mode;
use harness::{hq_count, ring_sales, Chain};

/// How long a healed chain may take to converge in these tests (debug build, 2 cores
/// shared with other test binaries).
const CONVERGE: Duration = Duration::from_secs(90);

async fn assert_invariants(chain: &mut Chain, when: &str) {
    if let Err(faults) = chain.check_invariants().await {
        panic!("invariants broken {when}:\n{faults}");
    }
}

async fn heal_and_check(chain: &mut Chain, when: &str) {
    chain.set_all(Mode::Pass);
    chain.wait_converged(CONVERGE).await;
    assert_invariants(chain, when).await;
    if let Err(faults) = chain.check_balances_everywhere().await {
        panic!("balances differ {when}:\n{faults}");
    }
}

/// Sales at every store while the links do `mode`, then healed: nothing lost, nothing twice.
async fn sales_through(chain: &mut Chain, mode: Mode, cards: &[String], round: usize) {
    chain.set_all(mode);
    let mut tills = Vec::new();
    for s in chain.stores.iter_mut() {
        tills.push((s.id.clone(), s.till().await));
    }
    let mut tasks = Vec::new();
    for (id, till) in tills {
        let cards = cards.to_vec();
        tasks.push(tokio::spawn(async move {
            ring_sales(&till, &format!("R{round}-{id}"), 12, 2, &cards).await
        }));
    }
    for t in tasks {
        assert_eq!(
            t.await.expect("join"),
            12,
            "every sale is answered whatever the link does"
        );
    }
    // Let the sync run against the fault for a while; in reorder mode until a request
    // actually overtook a held one (a held push outlives the store's request time limit,
    // and its retry overtakes it).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    if mode == Mode::Reorder {
        let started = Instant::now();
        while chain.stores.iter().all(|s| {
            s.proxy
                .stats()
                .reordered
                .load(std::sync::atomic::Ordering::Relaxed)
                == 0
        }) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no request overtook a held one"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_invariants(chain, &format!("under {mode:?}")).await;
    heal_and_check(chain, &format!("after {mode:?}")).await;
}

/// Enrols one member at each store (their cards are used chain-wide) and waits until every
/// store knows every card.
async fn cards_everywhere(chain: &mut Chain) -> Vec<String> {
    let mut cards = Vec::new();
    for (i, s) in chain.stores.iter_mut().enumerate() {
        cards.push(s.enrol_card(100 + i as u32).await);
    }
    chain.wait_converged(CONVERGE).await;
    cards
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_loses_nothing_through_drop_delay_reorder_and_duplicate() {
    let mut chain = Chain::start(2, 1).await;
    let cards = cards_everywhere(&mut chain).await;
    let modes = [
        Mode::Drop,
        Mode::Delay(Duration::from_millis(300)),
        Mode::Reorder,
        Mode::Duplicate,
    ];
    for (round, mode) in modes.into_iter().enumerate() {
        sales_through(&mut chain, mode, &cards, round).await;
    }
    let reordered: u64 = chain
        .stores
        .iter()
        .map(|s| {
            s.proxy
                .stats()
                .reordered
                .load(std::sync::atomic::Ordering::Relaxed)
        })
        .sum();
    eprintln!("requests overtaken in reorder mode: {reordered}");
    // An application-level duplicate: every acknowledged event pushed again.
    let before = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;
    for i in 0..chain.stores.len() {
        assert_eq!(
            chain.replay_push(i).await,
            200,
            "a re-sent push is accepted"
        );
    }
    assert_eq!(
        hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await,
        before,
        "a re-sent push inserts nothing"
    );
    heal_and_check(&mut chain, "after the replayed pushes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_two_head_office_processes_behind_one_balancer_lose_nothing() {
    // Every store's connections alternate between two head-office processes on one
    // database: a retried or late push of the same events lands on the other process while
    // the first may still be ingesting it.
    let mut chain = Chain::start(2, 2).await;
    chain.spread = true;
    chain.route();
    let cards = cards_everywhere(&mut chain).await;
    let modes = [
        Mode::Pass,
        Mode::CutAnswer,
        Mode::Reorder,
        Mode::Delay(Duration::from_millis(150)),
    ];
    for (round, mode) in modes.into_iter().enumerate() {
        sales_through(&mut chain, mode, &cards, round).await;
    }
    // Both processes killed and started again mid-way through a backlog.
    chain.set_all(Mode::Down);
    let till = chain.stores[0].till().await;
    assert_eq!(ring_sales(&till, "TWO", 30, 2, &cards).await, 30);
    chain.set_all(Mode::Pass);
    tokio::time::sleep(Duration::from_millis(50)).await;
    chain.restart_hq().await;
    heal_and_check(&mut chain, "after both head-office processes were killed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_answer_cut_after_head_office_committed_is_applied_once() {
    let mut chain = Chain::start(2, 1).await;
    let cards = cards_everywhere(&mut chain).await;
    chain.set_all(Mode::CutAnswer);
    let mut till = chain.stores[0].till().await;
    assert_eq!(ring_sales(&till, "CUT", 20, 2, &cards).await, 20);
    // Head office commits pushes the store never hears about.
    let started = Instant::now();
    loop {
        let at_hq = hq_count(
            &chain.db.pool,
            "SELECT COUNT(*) FROM events WHERE store_id = '0001'",
        )
        .await;
        let outbox = chain.stores[0].outbox().await.len() as i64;
        if at_hq == outbox {
            break;
        }
        assert!(
            started.elapsed() < CONVERGE,
            "head office got the pushes whose answers were cut ({at_hq} of {outbox})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cut = chain.stores[0]
        .proxy
        .stats()
        .answers_cut
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(cut > 0, "answers were cut after head office answered");
    assert!(
        chain.stores[0].backlog().await > 0,
        "the store has not heard of the commit"
    );
    assert_invariants(&mut chain, "with answers cut").await;
    till = chain.stores[1].till().await;
    assert_eq!(ring_sales(&till, "CUT-B", 5, 1, &cards).await, 5);
    heal_and_check(&mut chain, "after the cut answers were retried").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_store_killed_mid_push_resends_without_loss() {
    let mut chain = Chain::start(2, 1).await;
    let cards = cards_everywhere(&mut chain).await;
    let mut caught_mid_ingest = 0;
    for round in 0..3u64 {
        // A backlog of more than one batch built while offline.
        chain.stores[0].proxy.set_mode(Mode::Down);
        harness::build_backlog(&mut chain.stores[0], 1200, &cards).await;
        let before = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;
        // Round 0: killed while head office ingests its push (the request is in, the answer
        // not yet out); round 1: while its first request is on a slow link; round 2: once
        // its first batch has committed (marking it, or pushing the next).
        if round == 1 {
            chain.stores[0]
                .proxy
                .set_mode(Mode::Delay(Duration::from_millis(100)));
        } else {
            chain.stores[0].proxy.set_mode(Mode::Pass);
        }
        let accepted = chain.stores[0]
            .proxy
            .stats()
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        loop {
            let now_accepted = chain.stores[0]
                .proxy
                .stats()
                .accepted
                .load(std::sync::atomic::Ordering::Relaxed);
            let hit = match round {
                0 => ingest_in_flight(&chain.db.pool).await,
                1 => now_accepted > accepted && started.elapsed() > Duration::from_millis(700),
                _ => hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await > before,
            };
            if hit {
                caught_mid_ingest += u32::from(round == 0);
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        chain.stores[0].kill();
        let landed = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;
        eprintln!(
            "round {round}: store killed with {} of its backlog in",
            landed - before
        );
        assert_invariants(&mut chain, "with the store killed mid-push").await;
        chain.stores[0].start().await;
        heal_and_check(&mut chain, &format!("after kill {round} of the store")).await;
    }
    assert_eq!(
        caught_mid_ingest, 1,
        "the store was killed while head office ingested its push"
    );
}

/// Whether a head-office process is inside an ingest transaction right now (its last
/// statement inserted events and its transaction is still open).
async fn ingest_in_flight(pool: &sqlx::PgPool) -> bool {
    harness::hq_count(
        pool,
        "SELECT COUNT(*) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND state IN ('active', 'idle in transaction')
           AND query ILIKE '%INSERT INTO events%'",
    )
    .await
        > 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_head_office_killed_mid_ingest_loses_nothing() {
    let mut chain = Chain::start(2, 1).await;
    let cards = cards_everywhere(&mut chain).await;
    let mut caught_mid_transaction = 0;
    for round in 0..3u64 {
        // A backlog of more than one batch at store 0001, a small one at 0002.
        chain.set_all(Mode::Down);
        harness::build_backlog(&mut chain.stores[0], 1200, &cards).await;
        let till = chain.stores[1].till().await;
        assert_eq!(
            ring_sales(&till, &format!("H{round}"), 20, 2, &cards).await,
            20
        );
        let before = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;
        chain.set_all(Mode::Pass);
        // Rounds 0 and 1: kill head office while an ingest transaction is open; round 2:
        // once the first batch has committed, between batches or inside the next.
        let started = Instant::now();
        loop {
            if round < 2 && ingest_in_flight(&chain.db.pool).await {
                caught_mid_transaction += 1;
                break;
            }
            if round == 2 && hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await > before
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        chain.hq.kill_all();
        let landed = hq_count(&chain.db.pool, "SELECT COUNT(*) FROM events").await;
        eprintln!(
            "round {round}: head office killed with {} of the backlog in",
            landed - before
        );
        assert_invariants(&mut chain, "with head office killed mid-ingest").await;
        chain.start_hq(1).await;
        heal_and_check(&mut chain, &format!("after kill {round} of head office")).await;
    }
    assert!(
        caught_mid_transaction > 0,
        "head office was killed inside an ingest transaction at least once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_lost_card_reported_at_one_store_is_refused_at_another_within_60_s() {
    let mut chain = Chain::start(2, 1).await;
    let card = chain.stores[0].enrol_card(7).await;
    chain.wait_converged(CONVERGE).await;
    let (status, view) = chain.stores[1].lookup(&card).await;
    assert_eq!(status, 200, "store B knows store A's card: {view}");
    // Store B is cut off while A takes the loss report; the clock starts when B's link is up.
    chain.stores[1].proxy.set_mode(Mode::Down);
    let (status, body) = chain.stores[0].report_loss(&card).await;
    assert!(status == 200 || status == 201, "loss report: {body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, view) = chain.stores[1].lookup(&card).await;
    assert_ne!(view["state"], "blocked", "B can't know yet: {view}");
    chain.stores[1].proxy.set_mode(Mode::Pass);
    let up = Instant::now();
    loop {
        let (_, view) = chain.stores[1].lookup(&card).await;
        if view["state"] == "blocked" {
            break;
        }
        assert!(
            up.elapsed() < Duration::from_secs(60),
            "B still takes the lost card 60 s after the link came back: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "lost card refused at store B {:?} after the link was up",
        up.elapsed()
    );
    let (status, body) = chain.stores[1]
        .card_sale("LOST-1", &card, "100.00", 0)
        .await;
    assert!(
        (400..500).contains(&status),
        "a sale on the lost card is refused at B: {status} {body}"
    );
    assert_invariants(&mut chain, "after the loss report").await;
    // Nothing the sync does brings it back.
    for s in chain.stores.iter_mut() {
        s.restart().await;
    }
    heal_and_check(&mut chain, "after restarts").await;
    for s in chain.stores.iter_mut() {
        let (_, view) = s.lookup(&card).await;
        assert_eq!(view["state"], "blocked", "store {}: {view}", s.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_card_numbers_from_three_stores_never_collide() {
    let mut chain = Chain::start(3, 1).await;
    // Offline, so no store can learn another's numbers first.
    chain.set_all(Mode::Down);
    let mut numbers = Vec::new();
    for (i, s) in chain.stores.iter_mut().enumerate() {
        for k in 0..3 {
            let card = s.enrol_card(200 + 10 * i as u32 + k).await;
            assert!(
                card.contains(&s.id),
                "store {}'s card {card} carries its store code",
                s.id
            );
            numbers.push(card);
        }
    }
    let distinct: std::collections::BTreeSet<_> = numbers.iter().collect();
    assert_eq!(distinct.len(), numbers.len(), "{numbers:?}");
    heal_and_check(&mut chain, "after three stores enrolled offline").await;
    assert_eq!(
        hq_count(&chain.db.pool, "SELECT COUNT(*) FROM cards").await,
        numbers.len() as i64,
        "head office holds every card once"
    );
    for s in &chain.stores {
        let known = s.card_states().await;
        for n in &numbers {
            assert!(known.contains_key(n), "store {} knows card {n}", s.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_duplicate_enrolment_made_offline_in_two_stores_is_flagged_not_merged() {
    let mut chain = Chain::start(2, 1).await;
    chain.set_all(Mode::Down);
    // The same person (same ID document) at both stores while they are offline.
    let a = chain.stores[0].enrol_card(300).await;
    let b = chain.stores[1].enrol_card(300).await;
    assert_ne!(a, b);
    heal_and_check(&mut chain, "after the double enrolment").await;
    let members = hq_count(
        &chain.db.pool,
        "SELECT COUNT(*) FROM (SELECT id_lookup FROM members GROUP BY id_lookup HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(members, 1, "head office keeps both members, one person");
    for card in [&a, &b] {
        let state: String = sqlx::query_scalar("SELECT state FROM cards WHERE card_number = $1")
            .bind(card)
            .fetch_one(&chain.db.pool)
            .await
            .expect("card at head office");
        assert_eq!(state, "active", "card {card} is not merged away");
    }
    // Flagged for the lounge with both cards, at both stores.
    for s in &chain.stores {
        let mut conn = s.open().await;
        let flagged: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT card_a, card_b FROM duplicate_members")
                .fetch_all(&mut conn)
                .await
                .expect("duplicate_members");
        assert!(
            flagged.iter().any(|(x, y)| {
                let pair = [x.as_deref(), y.as_deref()];
                pair.contains(&Some(a.as_str())) && pair.contains(&Some(b.as_str()))
            }),
            "store {} flags the duplicate with both cards: {flagged:?}",
            s.id
        );
        let states = s.card_states().await;
        assert_eq!(states.get(&a).map(String::as_str), Some("active"));
        assert_eq!(states.get(&b).map(String::as_str), Some("active"));
    }
}

/// The local day moved one day on: points earned "yesterday" are redeemable (R-PTS-5). The
/// stores run at UTC−10 while earning, then at UTC+14: exactly 24 hours apart.
async fn move_to_next_day(chain: &mut Chain) {
    for s in chain.stores.iter_mut() {
        s.env.retain(|(k, _)| k != "KIOSK_UTC_OFFSET_MINUTES");
        s.env
            .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "840".into()));
        s.restart().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_offline_overdraft_stays_within_its_bound_and_is_flagged_as_debt() {
    let mut chain = Chain::start(2, 1).await;
    for s in chain.stores.iter_mut() {
        s.env
            .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "-600".into()));
        s.restart().await;
    }
    let card = chain.stores[0].enrol_card(400).await;
    // Gold (¥6,000 at enrolment): ¥4,000 of regular goods at ×0.90 earn 720 points, more
    // than one store's offline allowance (500), less than two.
    let (status, body) = chain.stores[0]
        .card_sale("EARN-1", &card, "4000.00", 0)
        .await;
    assert_eq!(status, 201, "{body}");
    chain.wait_converged(CONVERGE).await;
    move_to_next_day(&mut chain).await;
    chain.wait_converged(CONVERGE).await;
    let balance = harness::hq_balances(&chain.db.pool).await[&card];
    assert!(
        (501..1000).contains(&balance),
        "the card has more than one allowance and less than two: {balance}"
    );
    // Both stores offline; each redeems 100 points at a time (¥20 of goods: the rest paid
    // in cash earns nothing) as long as it is let.
    chain.set_all(Mode::Down);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let allowance = 500;
    let mut redeemed = 0;
    for (i, s) in chain.stores.iter_mut().enumerate() {
        let mut here = 0;
        for attempt in 0..7 {
            let (status, body) = s
                .card_sale(&format!("OFF-{i}-{attempt}"), &card, "20.00", 100)
                .await;
            if status == 201 {
                here += 100;
            } else {
                assert!(
                    (400..500).contains(&status),
                    "a refused offline redemption is a clear 4xx: {status} {body}"
                );
            }
        }
        assert!(
            here > 0,
            "store {}: offline redemption is allowed within the bounds",
            s.id
        );
        assert!(
            here <= allowance,
            "store {} redeemed {here} offline on one card, over the allowance {allowance}",
            s.id
        );
        redeemed += here;
    }
    assert!(
        redeemed > balance,
        "the two stores overdrew the card ({redeemed} of {balance})"
    );
    heal_and_check(&mut chain, "after offline redemptions").await;
    let after = harness::hq_balances(&chain.db.pool).await[&card];
    let debt: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(ABS(points)), 0)::BIGINT FROM debts WHERE card_number = $1",
    )
    .bind(&card)
    .fetch_one(&chain.db.pool)
    .await
    .expect("debts");
    let bound = allowance * chain.stores.len() as i64;
    eprintln!(
        "balance {balance}, redeemed offline {redeemed}, chain balance after {after}, debt {debt}, bound {bound}"
    );
    assert!(after < 0, "the chain-wide balance is overdrawn: {after}");
    assert!(
        debt > 0,
        "the overdraft ({after}) is flagged as debt at head office"
    );
    assert!(
        -after <= bound && debt <= bound,
        "overdraft {after}, debt {debt} within the offline bound {bound}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_concurrent_offline_redemptions_stay_within_the_card_allowance() {
    let mut chain = Chain::start(1, 1).await;
    chain.stores[0]
        .env
        .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "-600".into()));
    chain.stores[0].restart().await;
    let card = chain.stores[0].enrol_card(410).await;
    // ¥8,000 at Gold: 1,440 points, far more than the offline allowance (500).
    let (status, body) = chain.stores[0]
        .card_sale("EARN-2", &card, "8000.00", 0)
        .await;
    assert_eq!(status, 201, "{body}");
    chain.wait_converged(CONVERGE).await;
    move_to_next_day(&mut chain).await;
    chain.wait_converged(CONVERGE).await;
    chain.set_all(Mode::Down);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Ten tills redeem 100 points on the card at once while the store is offline.
    let till = chain.stores[0].till().await;
    let accepted = concurrent_redemptions(&[till], &card, 10, "CONC").await;
    assert!(
        accepted > 0,
        "offline redemption within the allowance is allowed"
    );
    assert!(
        accepted * 100 <= 500,
        "{accepted} concurrent offline redemptions of 100 points went through: over the card's offline allowance of 500"
    );
    heal_and_check(&mut chain, "after concurrent offline redemptions").await;
}

/// `n` redemptions of 100 points on `card` at once, spread over the tills (stores): how many
/// went through.
async fn concurrent_redemptions(
    tills: &[harness::Till],
    card: &str,
    n: usize,
    prefix: &str,
) -> u32 {
    let mut tasks = Vec::new();
    for i in 0..n {
        let (till, card) = (tills[i % tills.len()].clone(), card.to_owned());
        let receipt = format!("{prefix}-{i}");
        tasks.push(tokio::spawn(async move {
            let lines = serde_json::json!([{ "sku": "GOODS", "class": "regular", "unit_price": "20.00", "quantity": 1 }]);
            let quote: serde_json::Value = till
                .http
                .post(format!("{}/api/quotes", till.base))
                .bearer_auth(&till.token)
                .json(&serde_json::json!({ "card_number": card, "lines": lines, "redeem_points": 100 }))
                .send()
                .await
                .expect("quote")
                .json()
                .await
                .expect("quote answer");
            let Some(payable) = quote["payable"].as_str() else {
                return 0;
            };
            let r = till
                .http
                .post(format!("{}/api/sales", till.base))
                .bearer_auth(&till.token)
                .json(&serde_json::json!({ "receipt_no": receipt, "till_id": "T01",
                    "card_number": card, "lines": lines, "redeem_points": 100,
                    "tenders": [{ "kind": "cash", "amount": payable }] }))
                .send()
                .await
                .expect("sale");
            u32::from(r.status().as_u16() == 201)
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.expect("join");
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_concurrent_online_redemptions_at_two_stores_never_overdraw() {
    // Two head-office processes behind one balancer confirm the redemptions.
    let mut chain = Chain::start(2, 2).await;
    chain.spread = true;
    chain.route();
    for s in chain.stores.iter_mut() {
        s.env
            .push(("KIOSK_UTC_OFFSET_MINUTES".into(), "-600".into()));
        s.restart().await;
    }
    let card = chain.stores[0].enrol_card(420).await;
    let (status, body) = chain.stores[0]
        .card_sale("EARN-3", &card, "4000.00", 0)
        .await;
    assert_eq!(status, 201, "{body}");
    chain.wait_converged(CONVERGE).await;
    move_to_next_day(&mut chain).await;
    chain.wait_converged(CONVERGE).await;
    let balance = harness::hq_balances(&chain.db.pool).await[&card];
    assert_eq!(balance, 720, "Gold, ¥4,000 at ×0.90");
    // Five tills at each store redeem 100 points at once: 1,000 asked of 720.
    let tills = vec![chain.stores[0].till().await, chain.stores[1].till().await];
    let accepted = concurrent_redemptions(&tills, &card, 10, "ONL").await;
    assert!(accepted > 0, "online redemptions are confirmed");
    assert!(
        i64::from(accepted) * 100 <= balance,
        "{accepted} redemptions of 100 confirmed online on a balance of {balance}"
    );
    heal_and_check(&mut chain, "after concurrent online redemptions").await;
    let after = harness::hq_balances(&chain.db.pool).await[&card];
    assert!(
        after >= 0,
        "online, the chain-wide balance never goes below zero: {after}"
    );
    assert_eq!(
        hq_count(&chain.db.pool, "SELECT COUNT(*) FROM debts").await,
        0,
        "nothing online becomes debt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_store_restored_from_an_old_copy_conflicts_and_overwrites_nothing() {
    let mut chain = Chain::start(1, 1).await;
    chain.stores[0].guest_sale("OLD-1", "100.00").await;
    chain.wait_converged(CONVERGE).await;
    // A copy of the store's files (taken with the process stopped, as a backup would be).
    chain.stores[0].kill();
    let backup = chain.stores[0].dir.join("backup");
    std::fs::create_dir_all(&backup).expect("backup dir");
    let files = ["kiosk.db", "kiosk.db-wal", "kiosk.db-shm"];
    for f in files {
        let from = chain.stores[0].dir.join(f);
        if from.exists() {
            std::fs::copy(&from, backup.join(f)).expect("copy");
        }
    }
    chain.stores[0].start().await;
    chain.stores[0].guest_sale("AFTER-1", "200.00").await;
    chain.wait_converged(CONVERGE).await;
    let before: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM events WHERE store_id = '0001' ORDER BY seq")
            .fetch_all(&chain.db.pool)
            .await
            .expect("events");
    // The disk is "restored" from the old copy: the next change reuses a seq head office
    // already holds, with other content.
    chain.stores[0].kill();
    for f in files {
        let _ = std::fs::remove_file(chain.stores[0].dir.join(f));
        if backup.join(f).exists() {
            std::fs::copy(backup.join(f), chain.stores[0].dir.join(f)).expect("restore");
        }
    }
    chain.stores[0].start().await;
    chain.stores[0].guest_sale("AFTER-2", "300.00").await;
    let started = Instant::now();
    loop {
        let health = chain.stores[0].health().await;
        if health["sync"]["state"] == "conflict" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the store reports the conflict: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM events WHERE store_id = '0001' ORDER BY seq")
            .fetch_all(&chain.db.pool)
            .await
            .expect("events");
    assert_eq!(before, after, "head office overwrote nothing");
    assert!(
        hq_count(
            &chain.db.pool,
            "SELECT COUNT(*) FROM alarms WHERE store_id = '0001'"
        )
        .await
            > 0,
        "an alarm at head office"
    );
    let mut conn = chain.stores[0].open().await;
    let alarms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_alarms")
        .fetch_one(&mut conn)
        .await
        .expect("sync_alarms");
    assert!(alarms > 0, "an alarm at the store");
}
