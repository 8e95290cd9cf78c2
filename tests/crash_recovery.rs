//! Crash recovery. `kill_loop`: the real binary killed under load, every invariant checked
//! after each restart. Here: what a killed, hung or cancelled kiosk leaves behind, and how the next start settles it:
//! a card reservation written but never activated (voided at once when the request is
//! dropped, by the sweep once it outlives the card time limit when the process died), and
//! print jobs left `pending` between the send and its record (settled from the spool files
//! and the send journal; a job that may have printed is only ever printed again as a COPY).

mod common;
/// The real binary killed with SIGKILL under load, again and again.
#[path = "crash/kill_loop.rs"]
mod kill_loop;

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::capture_printer::CapturePrinter;
use common::*;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::card::reader::{CardRead, CardReader, CardSeen, ReaderError, Written};
use member_kiosk::card::record::CardIdentity;
use member_kiosk::clock::{Clock, FixedClock};
use member_kiosk::config::Config;
use member_kiosk::flows::enrolment::{enrol, EnrolmentRequest};
use member_kiosk::flows::{issuing, printing, FlowError};
use member_kiosk::jobs::JobRunner;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::printer::{DriverKind, PrinterConfig};
use member_kiosk::receipt::document::{Block, Document, DocumentKind};
use member_kiosk::receipt::render::{self, Language, Paper, Style};
use member_kiosk::store::print_jobs::{self, JobState};
use serde_json::json;

// ---- card reservations ----------------------------------------------------------------------

/// A reader that writes the card, says so, then stops dead until `release` (a kiosk killed
/// or hung between the card write and the activation).
struct FreezeAfterWrite {
    inner: MemoryCardReader,
    written: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl CardReader for FreezeAfterWrite {
    fn read(&self, workstation: &str) -> Result<CardRead, ReaderError> {
        self.inner.read(workstation)
    }

    fn write(
        &self,
        workstation: &str,
        identity: &CardIdentity,
        expected: &CardSeen,
    ) -> Result<Written, ReaderError> {
        let written = self.inner.write(workstation, identity, expected)?;
        let _ = self.written.lock().expect("lock").send(());
        let _ = self.release.lock().expect("lock").recv();
        Ok(written)
    }
}

/// The reader, the "card written" signal and the release.
fn freezing_reader() -> (Arc<FreezeAfterWrite>, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (written_tx, written_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let reader = Arc::new(FreezeAfterWrite {
        inner: MemoryCardReader::with_blank_stock(Arc::new(test_keys())),
        written: Mutex::new(written_tx),
        release: Mutex::new(release_rx),
    });
    (reader, written_rx, release_tx)
}

fn enrolment(n: u32, receipt: &str) -> EnrolmentRequest {
    serde_json::from_value(json!({
        "applicant": applicant(n, day(1980, 5, 17)),
        "receipts": [receipt],
    }))
    .expect("request")
}

/// A second kiosk process on `app`'s database file, with its own clock and card reader.
fn second_kiosk_config(app: &TestApp) -> Config {
    Config {
        database: app.dir.path().join("kiosk.db"),
        spool_dir: app.dir.path().join("spool-2"),
        // Long enough that only the freeze ends the write.
        card_timeout_ms: 600_000,
        ..Config::default()
    }
}

async fn card_states(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT number, state FROM cards ORDER BY number")
        .fetch_all(&app.kiosk.db.reader)
        .await
        .expect("cards")
}

async fn wait_for_void(app: &TestApp, number: &str) {
    for _ in 0..100 {
        if app.lookup(number).await["state"] == "void" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("card {number} was not voided");
}

#[tokio::test]
async fn a_kiosk_killed_between_card_write_and_activation_leaves_a_reservation_the_sweep_voids() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    app.guest_cash_sale("Q-2", "6000.00").await;

    // Another kiosk process on the same database enrols the applicant and is killed right
    // after the card was written: its own runtime, on its own thread, never gets further.
    let (reader, written, release) = freezing_reader();
    let config = second_kiosk_config(&app);
    let at = app.clock.now();
    let (done_tx, done_rx) = mpsc::channel::<Result<(), FlowError>>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let kiosk = Kiosk::start(
                config,
                Arc::new(FixedClock::new(at)),
                reader,
                Arc::new(test_secrets()),
            )
            .await
            .expect("second kiosk starts");
            let action = kiosk.action("L01", "lounge");
            let result = enrol(&kiosk, &action, enrolment(1, "Q-1")).await;
            let _ = done_tx.send(result.map(|_| ()));
        });
    });
    tokio::task::spawn_blocking(move || written.recv_timeout(Duration::from_secs(20)))
        .await
        .expect("join")
        .expect("the card was written");

    let cards = card_states(&app).await;
    assert_eq!(cards.len(), 1);
    let (reserved, state) = cards[0].clone();
    assert_eq!(state, "reserved");
    // The bug: a reserved card counts as the person's card, so they can never enrol again.
    let again = app
        .post(
            "/api/members",
            json!({ "applicant": applicant(1, day(1980, 5, 17)), "receipts": ["Q-2"] }),
        )
        .await;
    assert_refused(&again, 422, Some("R-ENR-3"), Some("applicant.id_document"));
    // Within the card time limit the reservation is an issue in progress: left alone.
    let swept = issuing::void_stale_reservations(&app.kiosk)
        .await
        .expect("sweep");
    assert_eq!(swept.voided, 0);

    // Past the limit the job runner's sweep (it runs at start) voids it and says which.
    app.clock.set(at + chrono::Duration::seconds(121));
    let jobs = JobRunner::start(&app.kiosk).await.expect("jobs start");
    wait_for_void(&app, &reserved).await;
    jobs.stop().await;
    let (reason,): (String,) = sqlx::query_as(
        "SELECT json_extract(detail, '$.reason') FROM card_events WHERE card_number = ?1 AND kind = 'voided'",
    )
    .bind(&reserved)
    .fetch_one(&app.kiosk.db.reader)
    .await
    .expect("voided event");
    assert_eq!(reason, "stale_reservation");

    let (status, body) = app
        .post(
            "/api/members",
            json!({ "applicant": applicant(1, day(1980, 5, 17)), "receipts": ["Q-2"] }),
        )
        .await;
    assert_eq!(status, 201, "the person enrols again: {body}");
    let issued = TestApp::card_number(&body);
    assert_ne!(issued, reserved, "a voided number is never reused");

    // The hung kiosk wakes up: it may not activate the number the sweep voided.
    release.send(()).expect("release");
    let late = tokio::task::spawn_blocking(move || done_rx.recv_timeout(Duration::from_secs(20)))
        .await
        .expect("join")
        .expect("the hung kiosk finishes");
    assert!(matches!(late, Err(FlowError::Conflict { .. })), "{late:?}");
    assert_eq!(app.lookup(&reserved).await["state"], "void");
    assert_eq!(app.lookup(&issued).await["state"], "active");
}

#[tokio::test]
async fn the_sweep_reports_what_it_voided_masked() {
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    let (reader, written, release) = freezing_reader();
    let config = second_kiosk_config(&app);
    let at = app.clock.now();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let kiosk = Kiosk::start(
                config,
                Arc::new(FixedClock::new(at)),
                reader,
                Arc::new(test_secrets()),
            )
            .await
            .expect("second kiosk starts");
            let action = kiosk.action("L01", "lounge");
            let _ = enrol(&kiosk, &action, enrolment(1, "Q-1")).await;
        });
    });
    tokio::task::spawn_blocking(move || written.recv_timeout(Duration::from_secs(20)))
        .await
        .expect("join")
        .expect("the card was written");
    let reserved = card_states(&app).await[0].0.clone();

    app.clock.set(at + chrono::Duration::minutes(3));
    let swept = issuing::void_stale_reservations(&app.kiosk)
        .await
        .expect("sweep");

    assert_eq!(swept.voided, 1);
    assert_eq!(swept.cards.len(), 1);
    assert!(swept.cards[0].ends_with(&reserved[reserved.len() - 4..]));
    assert!(
        !swept.cards[0].contains(&reserved[..8]),
        "masked: {swept:?}"
    );
    let (_, health) = app.get("/api/health").await;
    assert_eq!(health["stale_reservations_voided"], 1, "{health}");
    // Swept once: a second sweep finds nothing.
    let again = issuing::void_stale_reservations(&app.kiosk)
        .await
        .expect("sweep");
    assert_eq!(again.voided, 0);
    drop(release);
}

#[tokio::test]
async fn an_issue_cancelled_after_the_card_write_voids_its_reservation_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (reader, written, release) = freezing_reader();
    let app = spawn_app().await;
    app.guest_cash_sale("Q-1", "6000.00").await;
    let config = Config {
        spool_dir: dir.path().join("spool"),
        ..second_kiosk_config(&app)
    };
    let kiosk = Kiosk::start(config, app.clock.clone(), reader, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts");
    let k = kiosk.clone();
    let task = tokio::spawn(async move {
        let action = k.action("L01", "lounge");
        enrol(&k, &action, enrolment(1, "Q-1")).await
    });
    tokio::task::spawn_blocking(move || written.recv_timeout(Duration::from_secs(20)))
        .await
        .expect("join")
        .expect("the card was written");

    // The request is dropped (the client went away) between the write and the activation.
    task.abort();
    let reserved = card_states(&app).await[0].0.clone();
    wait_for_void(&app, &reserved).await;
    drop(release);
    assert_eq!(
        app.count("qualifying_receipts").await,
        0,
        "the receipt is free"
    );
}

// ---- print jobs -----------------------------------------------------------------------------

fn receipt(total: &str) -> Document {
    Document {
        kind: DocumentKind::SaleReceipt,
        blocks: vec![
            Block::Title {
                text: "Demo Department Store".into(),
            },
            Block::Pair {
                left: "合计 Total".into(),
                right: total.into(),
                bold: true,
            },
            Block::Cut,
        ],
        copy: false,
    }
}

fn mm80_zh() -> Style {
    Style {
        paper: Paper::Mm80,
        language: Language::Zh,
    }
}

fn config_in(dir: &Path, printers: Vec<PrinterConfig>) -> Config {
    Config {
        database: dir.join("kiosk.db"),
        spool_dir: dir.join("spool"),
        printers,
        ..Config::default()
    }
}

async fn start(config: Config) -> Kiosk {
    let clock = Arc::new(FixedClock::new(store_time(day(2026, 3, 10))));
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(test_keys())));
    Kiosk::start(config, clock, cards, Arc::new(test_secrets()))
        .await
        .expect("kiosk starts")
}

/// A kiosk stored `doc` as a job of `workstation` and stopped before recording its result:
/// the job row as the crash leaves it (pending); `files` then lays down what reached the
/// spool or the journal. Returns the job id.
async fn crashed_with_pending_job(config: &Config, workstation: &str, doc: &Document) -> i64 {
    let kiosk = start(config.clone()).await;
    let mut conn = kiosk.db.writer.acquire().await.expect("writer");
    let id = print_jobs::insert(&mut conn, workstation, doc, kiosk.clock.now(), None)
        .await
        .expect("job");
    drop(conn);
    kiosk.db.close().await;
    id
}

async fn job(kiosk: &Kiosk, id: i64) -> print_jobs::PrintJob {
    printing::find(kiosk, id).await.expect("job")
}

#[tokio::test]
async fn a_spooled_job_whose_preview_was_not_written_is_printed_and_its_preview_restored() {
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), Vec::new());
    let doc = receipt("¥10.00");
    let id = crashed_with_pending_job(&config, "lounge", &doc).await;
    // The crash came after the ESC/POS file, before the preview.
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool");
    std::fs::write(
        spool.join(format!("{id}.bin")),
        render::escpos(&doc, &mm80_zh()),
    )
    .expect("bin");

    let kiosk = start(config).await;
    let jobs = JobRunner::start(&kiosk).await.expect("start");

    assert_eq!(jobs.settled.printed, vec![id]);
    jobs.stop().await;
    assert_eq!(job(&kiosk, id).await.state, JobState::Printed);
    assert_eq!(
        std::fs::read_to_string(spool.join(format!("{id}.txt"))).expect("preview restored"),
        render::preview(&doc, &mm80_zh())
    );
    // It printed: a retry is refused, a reprint is a COPY.
    assert!(matches!(
        printing::retry(&kiosk, id).await,
        Err(FlowError::Conflict { .. })
    ));
    let copy = printing::reprint(&kiosk, id).await.expect("reprint");
    assert!(job(&kiosk, copy.job_id).await.document.copy);
}

#[tokio::test]
async fn a_spooled_job_with_only_a_preview_did_not_print_and_its_retry_is_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), Vec::new());
    let doc = receipt("¥20.00");
    let id = crashed_with_pending_job(&config, "lounge", &doc).await;
    // The old order: preview first, crash before the ESC/POS file.
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool");
    std::fs::write(
        spool.join(format!("{id}.txt")),
        render::preview(&doc, &mm80_zh()),
    )
    .expect("txt");

    let kiosk = start(config).await;
    let jobs = JobRunner::start(&kiosk).await.expect("start");

    assert_eq!(jobs.settled.interrupted, vec![id]);
    jobs.stop().await;
    let stored = job(&kiosk, id).await;
    assert_eq!(stored.state, JobState::Failed);
    assert_eq!(stored.fault.map(|f| f.as_str()), Some("interrupted"));
    assert!(
        !spool.join(format!("{id}.txt")).exists(),
        "no preview without its ESC/POS file"
    );
    let retried = printing::retry(&kiosk, id).await.expect("retry");
    assert_eq!(retried.state, JobState::Printed);
    assert_eq!(
        std::fs::read(spool.join(format!("{id}.bin"))).expect("bin"),
        render::escpos(&doc, &mm80_zh()),
        "the original, printed once"
    );
    assert!(spool.join(format!("{id}.txt")).exists());
}

fn network(workstation: &str, printer: &CapturePrinter) -> PrinterConfig {
    PrinterConfig {
        driver: DriverKind::Network,
        address: Some(printer.address()),
        timeout_ms: 2000,
        ..PrinterConfig::spool(workstation)
    }
}

/// Lays down the journal marker a crash at that point leaves.
fn journal_marker(dir: &Path, id: i64, marker: &str) {
    let journal = dir.join("kiosk.print-journal");
    std::fs::create_dir_all(&journal).expect("journal");
    std::fs::write(journal.join(format!("{id}.{marker}")), b"").expect("marker");
}

#[tokio::test]
async fn a_job_the_printer_took_whole_is_settled_printed_and_never_printed_again() {
    let printer = CapturePrinter::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), vec![network("checkout-1", &printer)]);
    let id = crashed_with_pending_job(&config, "checkout-1", &receipt("¥30.00")).await;
    journal_marker(dir.path(), id, "sent");

    let kiosk = start(config).await;
    let jobs = JobRunner::start(&kiosk).await.expect("start");

    assert_eq!(jobs.settled.printed, vec![id]);
    jobs.stop().await;
    assert!(matches!(
        printing::retry(&kiosk, id).await,
        Err(FlowError::Conflict { .. })
    ));
    assert!(printer.jobs().is_empty(), "no second original");
    assert!(
        !dir.path()
            .join("spool/.journal")
            .join(format!("{id}.sent"))
            .exists(),
        "settled markers are cleared"
    );
}

#[tokio::test]
async fn a_job_cut_off_while_sending_is_retried_only_as_a_copy() {
    let printer = CapturePrinter::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), vec![network("checkout-1", &printer)]);
    let doc = receipt("¥40.00");
    let id = crashed_with_pending_job(&config, "checkout-1", &doc).await;
    journal_marker(dir.path(), id, "sending");

    let kiosk = start(config).await;
    let jobs = JobRunner::start(&kiosk).await.expect("start");

    assert_eq!(jobs.settled.maybe_printed, vec![id]);
    jobs.stop().await;
    let stored = job(&kiosk, id).await;
    assert_eq!(stored.state, JobState::Failed);
    assert_eq!(stored.fault.map(|f| f.as_str()), Some("maybe_printed"));
    let retried = printing::retry(&kiosk, id).await.expect("retry");
    assert_eq!(retried.state, JobState::Printed, "{retried:?}");
    let copy = Document { copy: true, ..doc };
    assert_eq!(
        printer.wait_jobs(1).await,
        vec![render::escpos(&copy, &mm80_zh())],
        "a COPY, never a second original"
    );
}

#[tokio::test]
async fn a_job_that_never_reached_the_printer_is_retried_as_the_original() {
    let printer = CapturePrinter::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), vec![network("checkout-1", &printer)]);
    let doc = receipt("¥50.00");
    let id = crashed_with_pending_job(&config, "checkout-1", &doc).await;

    let kiosk = start(config).await;
    let jobs = JobRunner::start(&kiosk).await.expect("start");

    assert_eq!(jobs.settled.interrupted, vec![id]);
    jobs.stop().await;
    let retried = printing::retry(&kiosk, id).await.expect("retry");
    assert_eq!(retried.state, JobState::Printed);
    assert_eq!(
        printer.wait_jobs(1).await,
        vec![render::escpos(&doc, &mm80_zh())]
    );
}

#[tokio::test]
async fn a_printed_job_leaves_no_journal_marker_behind() {
    let printer = CapturePrinter::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), vec![network("checkout-1", &printer)]);
    let kiosk = start(config).await;
    let outcome = printing::submit(&kiosk, "checkout-1", receipt("¥60.00"))
        .await
        .expect("submit");
    assert_eq!(outcome.state, JobState::Printed);
    assert_eq!(kiosk.printers.journal.jobs(), Vec::<i64>::new());
}
