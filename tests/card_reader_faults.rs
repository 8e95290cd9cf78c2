//! Card faults over the real middleware (private pcscd + vpcd) with the kiosk's own virtual
//! card, which pulls itself out, tears a slot, answers slowly or is swapped on cue. Each
//! fault has its expected outcome: the ledger unchanged (or the operation cleanly
//! restartable), the card still valid in its old state, and a clear message.

// The process's one pcscd is held for a whole test (a std mutex across awaits) on purpose:
// tests sharing it must not interleave; each test owns its runtime, so nothing deadlocks.
#![allow(clippy::await_holding_lock)]

mod common;

use std::time::Duration;

use common::pcscd::{pcscd, Pcscd};
use common::*;
use member_kiosk::card::reader::{CardReader, CardSeen, ReaderError};
use member_kiosk::card::record::{CardContent, SLOT_LEN};
use member_kiosk::card::virtual_card::{Faults, VirtualCard};
use serde_json::{json, Value};

const PORT: u16 = 0x9D40;

/// The binary's pcscd, restarted: each fault leaves vpcd as it left it (a card mid-APDU, a
/// slow answer pending), so every test starts from a clean daemon.
fn fresh_pcscd() -> std::sync::MutexGuard<'static, Pcscd> {
    let mut p = pcscd(PORT);
    p.stop();
    p.start().unwrap_or_else(|e| panic!("{e}"));
    p
}

async fn enrol_at_lounge(app: &TestApp, n: u32, receipt: &str) -> (u16, Value) {
    app.post_at(
        "lounge",
        "/api/members",
        json!({ "applicant": applicant(n, day(1980, 5, 1)), "receipts": [receipt] }),
    )
    .await
}

async fn active_cards(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE state = 'active'")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("count")
}

/// Waits for the monitor's read of a freshly inserted card to finish.
async fn wait_checked(app: &TestApp, workstation: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app
        .kiosk
        .readers
        .statuses()
        .iter()
        .any(|s| s.workstation == workstation && s.last_check.is_some())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no card read at {workstation}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_pulled_during_the_first_update_leaves_nothing_issued_and_a_retry_completes() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    card.set_faults(Faults {
        remove_on_update: Some((1, 20)),
        ..Faults::default()
    });
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    app.guest_cash_sale("Q-1", "6000.00").await;

    let (status, answer) = enrol_at_lounge(&app, 1, "Q-1").await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("insert it again"),
        "{answer}"
    );
    assert_eq!(active_cards(&app).await, 0, "nothing issued");
    assert_eq!(
        app.count("qualifying_receipts").await,
        0,
        "the receipt is still unused"
    );
    // 20 bytes of the slot reached the card: a torn slot, no valid record.
    let ef = card.ef_bytes(1).expect("EF created before the pull");
    assert!(ef[..20].iter().any(|b| *b != 0) && ef[20..].iter().all(|b| *b == 0));
    drop(inserted);
    app.wait_card("lounge", false).await;

    // Insert it again: the operation restarts cleanly and completes on the same plastic.
    card.set_faults(Faults::default());
    let _again = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    let (status, enrolled) = enrol_at_lounge(&app, 1, "Q-1").await;
    assert_eq!(status, 201, "{enrolled}");
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(
        (check["verdict"].as_str(), check["card_number"].as_str()),
        (Some("active"), enrolled["card"]["card_number"].as_str()),
        "{check}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_rewrite_keeps_the_old_record_valid_and_the_next_rewrite_completes() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    let mut inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    let (status, enrolled) = enrol_at_lounge(&app, 1, "Q-1").await;
    assert_eq!(status, 201, "{enrolled}");
    let number = TestApp::card_number(&enrolled);
    let before = card.ef_bytes(1).expect("EF");

    // A year with little spend: the review downgrades the gold card; the card says gold.
    app.set_day(day(2027, 3, 10));
    let (status, _) = app.post_at("lounge", "/api/review", json!({})).await;
    assert_eq!(status, 200);
    drop(inserted);
    app.wait_card("lounge", false).await;
    inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    wait_checked(&app, "lounge").await;
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(
        (check["verdict"].as_str(), check["needs_rewrite"].as_bool()),
        (Some("active"), Some(true)),
        "{check}"
    );

    // The rewrite is torn after 30 bytes of the other slot: the card keeps its old record.
    card.set_faults(Faults {
        remove_on_update: Some((1, 30)),
        ..Faults::default()
    });
    let (status, answer) = app
        .post_at("lounge", "/api/readers/lounge/rewrite", json!({}))
        .await;
    assert_eq!(status, 409, "{answer}");
    let torn = card.ef_bytes(1).expect("EF");
    assert_eq!(
        torn[..SLOT_LEN],
        before[..SLOT_LEN],
        "the slot in use is never written"
    );
    let cards =
        member_kiosk::card::memory::MemoryCardReader::empty(std::sync::Arc::new(test_keys()));
    cards.insert("bench", card.clone());
    match cards.read("bench").expect("read").seen {
        CardSeen::Iso(CardContent::Record { current, slot, .. }) => assert_eq!(
            (slot, current.seq, current.identity.card_number.as_str()),
            (0, 1, number.as_str())
        ),
        other => panic!("old record should still be valid: {other:?}"),
    }
    drop(inserted);
    app.wait_card("lounge", false).await;

    card.set_faults(Faults::default());
    let _again = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    let (status, check) = app
        .post_at("lounge", "/api/readers/lounge/rewrite", json!({}))
        .await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(
        (
            check["card"]["tier"].as_str(),
            check["needs_rewrite"].as_bool()
        ),
        (Some("vip"), Some(false)),
        "{check}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_pulled_between_read_and_write_changes_nothing() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    assert_eq!(enrol_at_lounge(&app, 1, "Q-1").await.0, 201);
    drop(inserted);
    app.wait_card("lounge", false).await;
    let before = card.ef_bytes(1).expect("EF");

    // Re-inserted: the monitor reads it (1st READ BINARY); the rewrite's own read is the 2nd,
    // and the card leaves right after answering it.
    card.set_faults(Faults {
        remove_after_read: Some(2),
        ..Faults::default()
    });
    let _inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    wait_checked(&app, "lounge").await;
    let (status, answer) = app
        .post_at("lounge", "/api/readers/lounge/rewrite", json!({}))
        .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["field"], "card");
    assert_eq!(card.ef_bytes(1).expect("EF"), before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_card_put_in_between_read_and_write_is_refused() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    // Two issued cards of two members.
    let (a, b) = (VirtualCard::blank(), VirtualCard::blank());
    for (n, card) in [(1, &a), (2, &b)] {
        let inserted = card.insert(&p.card_addr(0)).expect("insert");
        app.wait_card("lounge", true).await;
        app.guest_cash_sale(&format!("Q-{n}"), "300.00").await;
        assert_eq!(enrol_at_lounge(&app, n, &format!("Q-{n}")).await.0, 201);
        drop(inserted);
        app.wait_card("lounge", false).await;
    }
    let b_before = b.ef_bytes(1).expect("EF");
    let reader = member_kiosk::card::pcsc_reader::PcscReader::new(
        vpcd_readers(&p, false),
        std::sync::Arc::new(test_keys()),
    );

    // Card A is read (and vetted)...
    let inserted = a.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    // The kiosk reads a card as it arrives; let that read finish before ours (two readers
    // at once is not what this test is about).
    wait_checked(&app, "lounge").await;
    let seen = tokio::task::block_in_place(|| reader.read("lounge"))
        .expect("read A")
        .seen;
    let CardSeen::Iso(CardContent::Record { current, .. }) = &seen else {
        panic!("A has a record")
    };
    let identity = current.identity.clone();
    // ...then swapped for card B before the write.
    drop(inserted);
    app.wait_card("lounge", false).await;
    let _b = b.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    wait_checked(&app, "lounge").await;
    let outcome = tokio::task::block_in_place(|| reader.write("lounge", &identity, &seen));
    assert_eq!(outcome, Err(ReaderError::Swapped));
    assert_eq!(b.ef_bytes(1).expect("EF"), b_before, "card B untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_other_slot_and_corrupted_mac_are_told_apart() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    let _inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    app.guest_cash_sale("Q-1", "300.00").await;
    assert_eq!(enrol_at_lounge(&app, 1, "Q-1").await.0, 201);
    let mut ef = card.ef_bytes(1).expect("EF");

    // Garbage in the unused slot (a torn earlier write): the card is still valid.
    ef[SLOT_LEN..SLOT_LEN + 10].copy_from_slice(&[0xA5; 10]);
    assert!(card.set_ef_bytes(1, &ef));
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(check["verdict"], "active", "{check}");

    // One flipped bit in the MAC of the slot in use: no genuine record left.
    ef[SLOT_LEN - 1] ^= 0x01;
    assert!(card.set_ef_bytes(1, &ef));
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(
        (check["verdict"].as_str(), check["usable"].as_bool()),
        (Some("forged"), Some(false)),
        "{check}"
    );

    // A flipped bit in the data (CRC fails): damaged, not forged.
    ef[SLOT_LEN - 1] ^= 0x01;
    ef[12] ^= 0x40;
    assert!(card.set_ef_bytes(1, &ef));
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(check["verdict"], "corrupted", "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_answers_slowly_is_reported_not_responding() {
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    wait_checked(&app, "lounge").await;
    // The kiosk allows 3 s per card operation (tests' card_timeout_ms).
    card.set_faults(Faults {
        delay: Duration::from_secs(4),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let (status, answer) = app.read_card("lounge").await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not responding"),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the operator is answered at the time limit"
    );
    card.set_faults(Faults::default());
    drop(inserted);
    app.wait_card("lounge", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_service_survives_a_pcscd_restart() {
    let mut p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    let card = VirtualCard::blank();
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;

    p.stop();
    drop(inserted);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.kiosk.readers.statuses().iter().any(|s| s.connected) {
        assert!(
            std::time::Instant::now() < deadline,
            "readers still shown connected after pcscd stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, answer) = app.read_card("lounge").await;
    assert_eq!(status, 503, "{answer}");

    p.start().unwrap_or_else(|e| panic!("{e}"));
    let _inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    let (status, check) = app.read_card("lounge").await;
    assert_eq!(
        (status, check["verdict"].as_str()),
        (200, Some("blank")),
        "{check}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contactless_uid_card_is_bound_at_issue_and_recognised_after() {
    use member_kiosk::card::pcsc_reader::{Profile, ReaderConfig};
    let p = fresh_pcscd();
    let readers = vec![ReaderConfig {
        name: p.reader(0),
        workstation: "lounge".into(),
        profile: Profile::Contactless,
        update_binary_with_le: false,
    }];
    let app = spawn_app_with_readers(day(2026, 3, 10), readers).await;
    let card = VirtualCard::contactless(&[0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]);
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(check["verdict"], "unknown", "{check}");

    app.guest_cash_sale("Q-1", "300.00").await;
    let (status, enrolled) = enrol_at_lounge(&app, 1, "Q-1").await;
    assert_eq!(status, 201, "{enrolled}");
    let number = TestApp::card_number(&enrolled);
    let (_, check) = app.read_card("lounge").await;
    assert_eq!(
        (
            check["verdict"].as_str(),
            check["card_number"].as_str(),
            check["apdus"].as_i64()
        ),
        (Some("active"), Some(number.as_str()), Some(1)),
        "{check}"
    );
    let bound: String = sqlx::query_scalar("SELECT uid FROM card_tokens WHERE card_number = ?1")
        .bind(&number)
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("binding");
    assert_eq!(bound, "04A1B2C3D4E5F6");

    // Another tag is nobody's; a bound tag of a blocked card is refused.
    drop(inserted);
    app.wait_card("lounge", false).await;
    let stranger = VirtualCard::contactless(&[0x04, 0x11, 0x22, 0x33]);
    let other = stranger.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    assert_eq!(app.read_card("lounge").await.1["verdict"], "unknown");
    drop(other);
    app.wait_card("lounge", false).await;
    let (status, _) = app
        .post_at(
            "desk",
            &format!("/api/cards/{number}/loss-report"),
            json!({ "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 200);
    let _back = card.insert(&p.card_addr(0)).expect("insert");
    app.wait_card("lounge", true).await;
    assert_eq!(app.read_card("lounge").await.1["verdict"], "blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_events_stream_insertion_read_and_removal() {
    use member_kiosk::card::hub::ReaderEvent;
    let p = fresh_pcscd();
    let app = spawn_app_with_readers(day(2026, 3, 10), vpcd_readers(&p, false)).await;
    // The HTTP stream answers as Server-Sent Events.
    let response = app
        .client
        .get(app.url("/api/readers/events"))
        .bearer_auth(app.token(DEFAULT_STAFF, "lounge").await)
        .send()
        .await
        .expect("events");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );

    // Both readers connected first: their `reader_connected` events are not what this test
    // waits for.
    app.wait_card("lounge", false).await;
    app.wait_card("desk", false).await;
    let mut events = app.kiosk.readers.subscribe();
    let card = VirtualCard::blank();
    let inserted = card.insert(&p.card_addr(0)).expect("insert");
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen
        .iter()
        .any(|e| matches!(e, ReaderEvent::CardRead { .. }))
    {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("events within 10 s")
            .expect("event");
        seen.push(event);
    }
    let first_card_event = seen.iter().find(|e| {
        matches!(
            e,
            ReaderEvent::CardInserted { .. } | ReaderEvent::CardRead { .. }
        )
    });
    assert!(
        matches!(first_card_event, Some(ReaderEvent::CardInserted { workstation }) if workstation == "lounge"),
        "{seen:?}"
    );
    match seen.last() {
        Some(ReaderEvent::CardRead { workstation, check }) => assert_eq!(
            (workstation.as_str(), check.verdict),
            ("lounge", member_kiosk::flows::card_check::Verdict::Blank)
        ),
        other => panic!("{other:?}"),
    }
    let (_, readers) = app.get("/api/readers").await;
    assert_eq!(
        (
            readers[0]["workstation"].as_str(),
            readers[0]["card_present"].as_bool(),
            readers[0]["last_check"]["verdict"].as_str()
        ),
        (Some("desk"), Some(false), None)
    );
    assert_eq!(
        (
            readers[1]["card_present"].as_bool(),
            readers[1]["last_check"]["verdict"].as_str()
        ),
        (Some(true), Some("blank"))
    );
    drop(inserted);
    let removed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ReaderEvent::CardRemoved { workstation }) = events.recv().await {
                return workstation;
            }
        }
    })
    .await
    .expect("removal seen");
    assert_eq!(removed, "lounge");
}
