//! Receipt printing against a capture printer on a loopback port: the rendered bytes land
//! whole, each fault (paper out, cover open, offline, refused, no answer) fails the job with a
//! clear state and prints nothing, a retry prints it once, a reprint is a COPY, the spool
//! keeps .bin and .txt, and a printer fault never undoes a sale or blocks the executor.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::capture_printer::{CapturePrinter, Script};
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::clock::FixedClock;
use member_kiosk::config::Config;
use member_kiosk::flows::printing::{self, PrintOutcome};
use member_kiosk::flows::FlowError;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::printer::{DriverKind, PrintFault, PrinterConfig};
use member_kiosk::receipt::document::{Align, Block, Document, DocumentKind};
use member_kiosk::receipt::render::{self, Language, Paper, Style};
use member_kiosk::store::print_jobs::JobState;
use serde_json::{json, Value};

/// The kiosk with `printers`, served on a free port.
struct PrintApp {
    kiosk: Kiosk,
    base: String,
    client: reqwest::Client,
    dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for PrintApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn app(printers: Vec<PrinterConfig>) -> PrintApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        database: dir.path().join("kiosk.db"),
        spool_dir: dir.path().join("spool"),
        printers,
        // Every request here signs in afresh.
        login_attempts_per_minute: 100_000,
        ..Config::default()
    };
    let clock = Arc::new(FixedClock::new(common::store_time(common::day(
        2026, 3, 10,
    ))));
    let cards = Arc::new(MemoryCardReader::with_blank_stock(Arc::new(
        common::test_keys(),
    )));
    let kiosk = Kiosk::start(config, clock, cards, Arc::new(common::test_secrets()))
        .await
        .expect("kiosk starts");
    common::add_test_staff(&kiosk).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(member_kiosk::http::serve(listener, kiosk.clone(), async {
        let _ = stopped.await;
    }));
    PrintApp {
        kiosk,
        base,
        client: reqwest::Client::new(),
        dir,
        stop: Some(stop),
    }
}

impl PrintApp {
    /// A session of the supervisor `S01` at `workstation`.
    async fn token(&self, workstation: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/sessions", self.base))
            .json(&json!({ "staff_number": "S01", "pin": common::PIN, "workstation": workstation }))
            .send()
            .await
            .expect("request");
        let body: Value = r.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token("lounge").await)
            .send()
            .await
            .expect("request");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, workstation: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token(workstation).await)
            .json(&body)
            .send()
            .await
            .expect("request");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn submit(&self, workstation: &str, doc: Document) -> PrintOutcome {
        printing::submit(&self.kiosk, workstation, doc)
            .await
            .expect("a printer fault is an outcome, not an error")
    }
}

/// The capture printer as `workstation`'s network printer.
fn network(workstation: &str, printer: &CapturePrinter, timeout_ms: u64) -> PrinterConfig {
    PrinterConfig {
        driver: DriverKind::Network,
        address: Some(printer.address()),
        timeout_ms,
        ..PrinterConfig::spool(workstation)
    }
}

fn mm80_zh() -> Style {
    Style {
        paper: Paper::Mm80,
        language: Language::Zh,
    }
}

/// A receipt built by hand: title, a line, a total, a cut.
fn receipt(total: &str) -> Document {
    Document {
        kind: DocumentKind::SaleReceipt,
        blocks: vec![
            Block::Title {
                text: "Demo Department Store".into(),
            },
            Block::Text {
                text: "收银台 checkout-1".into(),
                align: Align::Left,
                bold: false,
            },
            Block::Rule,
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

/// Asserts a failed job: the outcome, the stored job, and that nothing reached the paper.
async fn assert_failed_with(
    app: &PrintApp,
    printer: &CapturePrinter,
    outcome: &PrintOutcome,
    fault: PrintFault,
    says: &str,
) {
    assert_eq!(outcome.state, JobState::Failed, "{outcome:?}");
    assert_eq!(outcome.fault, Some(fault), "{outcome:?}");
    assert!(outcome.message.contains(says), "{}", outcome.message);
    assert!(
        outcome.message.contains(" / "),
        "Chinese and English: {}",
        outcome.message
    );
    let job = printing::find(&app.kiosk, outcome.job_id)
        .await
        .expect("job kept");
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.fault, Some(fault));
    assert_eq!(job.last_error.as_deref(), Some(outcome.message.as_str()));
    assert_eq!(job.attempts, 1);
    assert!(printer.jobs().is_empty(), "nothing printed");
}

#[tokio::test]
async fn a_normal_print_lands_the_rendered_bytes_at_the_printer() {
    let printer = CapturePrinter::start().await;
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    let doc = receipt("¥128.00");

    let outcome = app.submit("checkout-1", doc.clone()).await;

    assert_eq!(outcome.state, JobState::Printed, "{outcome:?}");
    assert_eq!(outcome.fault, None);
    assert_eq!(outcome.preview, render::preview(&doc, &mm80_zh()));
    let jobs = printer.wait_jobs(1).await;
    assert_eq!(jobs, vec![render::escpos(&doc, &mm80_zh())]);
    assert_eq!(printer.status_requests(), 3, "DLE EOT 1, 2 and 4 first");
    let job = printing::find(&app.kiosk, outcome.job_id)
        .await
        .expect("job");
    assert_eq!(job.state, JobState::Printed);
    assert_eq!(job.document, doc);
    assert_eq!(job.attempts, 1);
    assert!(job.printed_at.is_some());
}

#[tokio::test]
async fn the_printer_config_sets_paper_and_language() {
    let printer = CapturePrinter::start().await;
    let config = PrinterConfig {
        paper: Paper::Mm58,
        language: Language::En,
        ..network("checkout-1", &printer, 2000)
    };
    let app = app(vec![config]).await;
    let doc = receipt("¥5.00");
    let style = Style {
        paper: Paper::Mm58,
        language: Language::En,
    };

    let outcome = app.submit("checkout-1", doc.clone()).await;

    assert_eq!(outcome.preview, render::preview(&doc, &style));
    assert_eq!(
        printer.wait_jobs(1).await,
        vec![render::escpos(&doc, &style)]
    );
}

#[tokio::test]
async fn paper_out_fails_the_job_and_prints_nothing() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::PaperOut);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;

    let outcome = app.submit("checkout-1", receipt("¥1.00")).await;

    assert_failed_with(
        &app,
        &printer,
        &outcome,
        PrintFault::PaperOut,
        "out of paper",
    )
    .await;
    assert!(outcome.message.contains("缺纸"));
}

#[tokio::test]
async fn cover_open_fails_the_job_and_prints_nothing() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::CoverOpen);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;

    let outcome = app.submit("checkout-1", receipt("¥1.00")).await;

    assert_failed_with(
        &app,
        &printer,
        &outcome,
        PrintFault::CoverOpen,
        "cover open",
    )
    .await;
}

#[tokio::test]
async fn offline_fails_the_job_and_prints_nothing() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::Offline);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;

    let outcome = app.submit("checkout-1", receipt("¥1.00")).await;

    assert_failed_with(&app, &printer, &outcome, PrintFault::Offline, "offline").await;
}

#[tokio::test]
async fn paper_near_end_still_prints_with_a_warning() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::PaperNearEnd);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;

    let outcome = app.submit("checkout-1", receipt("¥1.00")).await;

    assert_eq!(outcome.state, JobState::Printed);
    assert!(
        outcome.message.contains("paper running low"),
        "{}",
        outcome.message
    );
    assert_eq!(printer.wait_jobs(1).await.len(), 1);
}

#[tokio::test]
async fn a_refused_connection_fails_the_job_and_a_retry_prints_it_once() {
    let printer = CapturePrinter::start().await;
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    printer.refuse().await;
    let doc = receipt("¥66.00");

    let outcome = app.submit("checkout-1", doc.clone()).await;

    assert_failed_with(&app, &printer, &outcome, PrintFault::Refused, "refused").await;

    printer.accept_again().await;
    let retried = printing::retry(&app.kiosk, outcome.job_id)
        .await
        .expect("retry");
    assert_eq!(retried.state, JobState::Printed, "{retried:?}");
    assert_eq!(retried.job_id, outcome.job_id);
    assert_eq!(
        printer.wait_jobs(1).await,
        vec![render::escpos(&doc, &mm80_zh())]
    );
    let job = printing::find(&app.kiosk, outcome.job_id)
        .await
        .expect("job");
    assert_eq!(
        (job.state, job.attempts, job.fault),
        (JobState::Printed, 2, None)
    );
    assert_eq!(job.last_error, None);
}

#[tokio::test]
async fn a_printer_that_never_answers_times_out_within_the_limit_and_a_retry_prints_once() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::Silent);
    let app = app(vec![network("checkout-1", &printer, 300)]).await;
    let limit = app
        .kiosk
        .printers
        .for_workstation("checkout-1")
        .time_limit();
    let doc = receipt("¥9.90");

    let started = Instant::now();
    let outcome = app.submit("checkout-1", doc.clone()).await;

    assert!(
        started.elapsed() < limit,
        "returned in {:?}, limit {limit:?}",
        started.elapsed()
    );
    assert_failed_with(
        &app,
        &printer,
        &outcome,
        PrintFault::Timeout,
        "not responding",
    )
    .await;

    printer.set(Script::Ready);
    let retried = printing::retry(&app.kiosk, outcome.job_id)
        .await
        .expect("retry");
    assert_eq!(retried.state, JobState::Printed, "{retried:?}");
    assert_eq!(
        printer.wait_jobs(1).await,
        vec![render::escpos(&doc, &mm80_zh())],
        "captured once"
    );

    // Printed now: a second retry is refused, the bytes are still there once.
    let again = printing::retry(&app.kiosk, outcome.job_id).await;
    assert!(
        matches!(again, Err(FlowError::Conflict { .. })),
        "{again:?}"
    );
    assert_eq!(printer.wait_jobs(1).await.len(), 1);
}

#[tokio::test]
async fn a_reprint_is_a_new_job_marked_copy() {
    let printer = CapturePrinter::start().await;
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    let doc = receipt("¥128.00");
    let original = app.submit("checkout-1", doc.clone()).await;
    assert_eq!(original.state, JobState::Printed);

    let copy = printing::reprint(&app.kiosk, original.job_id)
        .await
        .expect("reprint");

    assert_ne!(copy.job_id, original.job_id);
    assert_eq!(copy.state, JobState::Printed, "{copy:?}");
    let job = printing::find(&app.kiosk, copy.job_id)
        .await
        .expect("copy job");
    assert!(job.document.copy);
    assert_eq!(job.reprint_of, Some(original.job_id));
    assert_eq!(job.document.blocks, doc.blocks);
    let copy_doc = Document {
        copy: true,
        ..doc.clone()
    };
    assert_eq!(
        printer.wait_jobs(2).await,
        vec![
            render::escpos(&doc, &mm80_zh()),
            render::escpos(&copy_doc, &mm80_zh())
        ]
    );
    assert_eq!(copy.preview, render::preview(&copy_doc, &mm80_zh()));
    let stored = printing::find(&app.kiosk, original.job_id)
        .await
        .expect("original");
    assert!(!stored.document.copy, "the original stays an original");
}

#[tokio::test]
async fn a_job_that_never_printed_is_retried_not_copied() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::PaperOut);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    let failed = app.submit("checkout-1", receipt("¥1.00")).await;

    let copy = printing::reprint(&app.kiosk, failed.job_id).await;

    assert!(matches!(copy, Err(FlowError::Conflict { .. })), "{copy:?}");
    let missing = printing::retry(&app.kiosk, 999_999).await;
    assert!(
        matches!(missing, Err(FlowError::NotFound { .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_workstation_without_a_printer_spools_bin_and_txt() {
    let printer = CapturePrinter::start().await;
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    let doc = receipt("¥12.00");

    let outcome = app.submit("lounge", doc.clone()).await;

    assert_eq!(outcome.state, JobState::Printed, "{outcome:?}");
    let spool = app.dir.path().join("spool");
    let bin = std::fs::read(spool.join(format!("{}.bin", outcome.job_id))).expect(".bin");
    let txt = std::fs::read_to_string(spool.join(format!("{}.txt", outcome.job_id))).expect(".txt");
    assert_eq!(bin, render::escpos(&doc, &mm80_zh()));
    assert_eq!(txt, render::preview(&doc, &mm80_zh()));
    assert!(
        printer.connections().is_empty(),
        "the network printer is another workstation's"
    );
}

/// On a single-threaded runtime a blocked executor would stop the ticker while the printer
/// stays silent.
#[tokio::test(flavor = "current_thread")]
async fn printing_never_blocks_the_executor() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::Silent);
    let app = app(vec![network("checkout-1", &printer, 400)]).await;
    let ticks = Arc::new(AtomicUsize::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });

    let outcome = app.submit("checkout-1", receipt("¥1.00")).await;

    ticker.abort();
    assert_eq!(outcome.fault, Some(PrintFault::Timeout));
    assert!(
        ticks.load(Ordering::SeqCst) >= 8,
        "the executor ran {} ticks while the printer was silent",
        ticks.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_printer_fault_never_undoes_a_sale() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::PaperOut);
    // A sale prints at its till.
    let app = app(vec![network("T01", &printer, 2000)]).await;

    let (status, body) = app
        .post(
            "/api/sales",
            "checkout-1",
            json!({ "receipt_no": "R-1", "till_id": "T01",
                    "lines": [{ "sku": "COAT", "class": "regular", "unit_price": "99.00", "quantity": 1 }],
                    "tenders": [{ "kind": "cash", "amount": "99.00" }] }),
        )
        .await;

    assert_eq!(status, 201, "the sale stands: {body}");
    let sales: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales")
        .fetch_one(&app.kiosk.db.reader)
        .await
        .expect("count");
    assert_eq!(sales, 1);
    // The receipt's result is written with the next batch of sales, after the answer.
    let mut jobs = Vec::new();
    for _ in 0..100 {
        jobs = printing::list(&app.kiosk, Some("T01"), None)
            .await
            .expect("jobs");
        if jobs.iter().all(|j| j.state != JobState::Pending) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The checkout flow queued the receipt after the commit; it waits for paper.
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        (jobs[0].state, jobs[0].fault),
        (JobState::Failed, Some(PrintFault::PaperOut))
    );
    assert!(printer.jobs().is_empty());

    printer.set(Script::Ready);
    let retried = printing::retry(&app.kiosk, jobs[0].id)
        .await
        .expect("retry");
    assert_eq!(retried.state, JobState::Printed, "{retried:?}");
    assert_eq!(printer.wait_jobs(1).await.len(), 1);
}

#[tokio::test]
async fn the_print_queue_over_http() {
    let printer = CapturePrinter::start().await;
    printer.set(Script::PaperOut);
    let app = app(vec![network("checkout-1", &printer, 2000)]).await;
    let doc = receipt("¥128.00");
    let failed = app.submit("checkout-1", doc.clone()).await;
    let spooled = app.submit("lounge", receipt("¥2.00")).await;

    // Each printer and its state now.
    let (status, printers) = app.get("/api/printers").await;
    assert_eq!(status, 200, "{printers}");
    let checkout = &printers.as_array().expect("list")[0];
    assert_eq!(checkout["workstation"], "checkout-1");
    assert_eq!(checkout["driver"], "network");
    assert_eq!(checkout["target"], format!("network {}", printer.address()));
    assert_eq!(checkout["fault"], "paper_out");
    assert_eq!(checkout["state"]["paper_out"], true);
    assert_eq!(checkout["paper"], "mm80");
    let others = &printers[1];
    assert_eq!(
        (others["workstation"].as_str(), others["driver"].as_str()),
        (Some("*"), Some("spool"))
    );
    assert_eq!(others["state"]["ready"], true);

    // The queue, filtered.
    let (status, list) = app
        .get("/api/print-jobs?workstation=checkout-1&state=failed")
        .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|j| j["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![failed.job_id]);
    assert_eq!(list[0]["fault"], "paper_out");
    let (_, all) = app.get("/api/print-jobs").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let (status, bad) = app.get("/api/print-jobs?state=lost").await;
    assert_eq!(status, 400, "{bad}");

    // One job, with its preview; the preview as text for the browser.
    let (status, job) = app.get(&format!("/api/print-jobs/{}", failed.job_id)).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["state"], "failed");
    assert_eq!(job["kind"], "sale_receipt");
    assert_eq!(job["preview"], render::preview(&doc, &mm80_zh()));
    let r = app
        .client
        .get(format!(
            "{}/api/print-jobs/{}/preview",
            app.base, spooled.job_id
        ))
        .bearer_auth(app.token("lounge").await)
        .send()
        .await
        .expect("preview");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(r.text().await.expect("text"), spooled.preview);
    assert_eq!(app.get("/api/print-jobs/424242").await.0, 404);
    assert_eq!(app.get("/api/print-jobs/abc").await.0, 400);

    // Load paper, retry; reprint a COPY.
    printer.set(Script::Ready);
    let (status, retried) = app
        .post(
            &format!("/api/print-jobs/{}/retry", failed.job_id),
            "checkout-1",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["state"], "printed");
    let (status, again) = app
        .post(
            &format!("/api/print-jobs/{}/retry", failed.job_id),
            "checkout-1",
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{again}");
    let (status, copy) = app
        .post(
            &format!("/api/print-jobs/{}/reprint", failed.job_id),
            "checkout-1",
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["state"], "printed");
    let (_, copy_job) = app
        .get(&format!("/api/print-jobs/{}", copy["job_id"]))
        .await;
    assert_eq!(copy_job["document"]["copy"], true);
    assert_eq!(copy_job["reprint_of"], failed.job_id);
    assert_eq!(printer.wait_jobs(2).await.len(), 2);

    // The OpenAPI document lists the queue.
    let (_, api) = app.get("/api/openapi.json").await;
    for path in [
        "/api/print-jobs",
        "/api/print-jobs/{job_id}",
        "/api/print-jobs/{job_id}/preview",
        "/api/print-jobs/{job_id}/retry",
        "/api/print-jobs/{job_id}/reprint",
        "/api/printers",
    ] {
        assert!(api["paths"].get(path).is_some(), "{path} in OpenAPI");
    }
}
