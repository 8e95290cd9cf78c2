//! Printing a document after the business transaction committed: the job is stored first (its
//! own transaction), then the workstation's printer is asked for its status and sent the job
//! on a blocking thread with a time limit. A printer fault is an outcome, never an error: the
//! sale or card operation is done, the job waits in the queue for a retry or a reprint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::FlowError;
use crate::kiosk::Kiosk;
use crate::printer::{DriverKind, Evidence, Job, PrintError, PrintFault, Printer, PrinterState};
use crate::receipt::document::Document;
use crate::receipt::render::{self, Style};
use crate::store::print_jobs::{self, JobState, PrintJob};

/// What became of a print job, for the operator's screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrintOutcome {
    pub job_id: i64,
    /// `printed`, or `failed` with the fault.
    pub state: JobState,
    pub fault: Option<PrintFault>,
    /// What the operator reads: printed, or what to fix (Chinese / English).
    pub message: String,
    /// The document as text, as it is (or would be) on paper.
    pub preview: String,
}

/// A printer and the state it is in now, for `GET /api/printers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrinterStatus {
    /// The workstation served, or `*`: every workstation without a printer of its own.
    pub workstation: String,
    pub driver: DriverKind,
    /// `network 10.0.0.5:9100`, `device /dev/usb/lp0`, `spool var/spool`.
    pub target: String,
    /// `mm80` or `mm58`.
    pub paper: String,
    /// `zh` or `en`.
    pub language: String,
    /// The status bytes as read; none when the printer could not be asked.
    pub state: Option<PrinterState>,
    pub fault: Option<PrintFault>,
    pub message: String,
}

/// Stores `doc` as a job of `workstation`, then prints it. Errs only if the database fails.
pub async fn submit(
    k: &Kiosk,
    workstation: &str,
    doc: Document,
) -> Result<PrintOutcome, FlowError> {
    let job_id = store_job(k, workstation, &doc, None).await?;
    let printing = k.printers.begin(job_id);
    debug_assert!(printing.is_some(), "a new job is nobody else's");
    attempt(k, job_id, workstation, doc).await
}

/// Prints a failed (or interrupted) job again.
pub async fn retry(k: &Kiosk, job_id: i64) -> Result<PrintOutcome, FlowError> {
    let job = find(k, job_id).await?;
    if job.state == JobState::Printed {
        return Err(already_printed());
    }
    let Some(_printing) = k.printers.begin(job_id) else {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::PrintJobBusy,
            "该单据正在打印 / This job is being printed right now",
            None,
            Some("job_id"),
        ));
    };
    let mut tx = k.db.writer.begin().await?;
    let claimed = print_jobs::begin_attempt(&mut tx, job_id).await?;
    tx.commit().await?;
    if !claimed {
        return Err(already_printed());
    }
    attempt(k, job_id, &job.workstation, job.document).await
}

/// Prints a COPY of a printed job as a new job (`reprint_of` = the original).
pub async fn reprint(k: &Kiosk, job_id: i64) -> Result<PrintOutcome, FlowError> {
    let job = find(k, job_id).await?;
    if job.state != JobState::Printed {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::PrintJobNotPrinted,
            "该单据尚未打印：请重试打印 / This job has not printed yet: retry it instead of a copy",
            None,
            Some("job_id"),
        ));
    }
    let doc = Document {
        copy: true,
        ..job.document
    };
    let copy_id = store_job(k, &job.workstation, &doc, Some(job_id)).await?;
    let _printing = k.printers.begin(copy_id);
    attempt(k, copy_id, &job.workstation, doc).await
}

/// The stored job.
pub async fn find(k: &Kiosk, job_id: i64) -> Result<PrintJob, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    print_jobs::find(&mut conn, job_id)
        .await?
        .ok_or(FlowError::NotFound {
            what: "print job",
            field: "job_id",
        })
}

/// Jobs of a workstation and/or in a state, newest first (at most 200).
pub async fn list(
    k: &Kiosk,
    workstation: Option<&str>,
    state: Option<JobState>,
) -> Result<Vec<PrintJob>, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    Ok(print_jobs::list(&mut conn, workstation, state, 200).await?)
}

/// The job's text preview, laid out for its workstation's paper and language.
pub async fn preview(k: &Kiosk, job_id: i64) -> Result<String, FlowError> {
    let job = find(k, job_id).await?;
    let style = k.printers.for_workstation(&job.workstation).style();
    render_blocking(job.document, style)
        .await
        .map(|(preview, _)| preview)
        .map_err(|e| {
            FlowError::conflict(
                crate::flows::ErrorCode::PrintJobUnreadable,
                e.to_string(),
                None,
                Some("job_id"),
            )
        })
}

/// What became of a stored job so far, in the shape of a first answer (for a replayed
/// request): printed, failed with its fault, or still pending (printing now, or interrupted).
pub async fn stored_outcome(k: &Kiosk, job_id: i64) -> Result<PrintOutcome, FlowError> {
    let job = find(k, job_id).await?;
    let message = match job.state {
        JobState::Printed => "已打印 / Printed".into(),
        JobState::Failed => job.last_error.clone().unwrap_or_default(),
        JobState::Pending => {
            "正在打印或已中断：可重试 / Printing now, or interrupted: retry it".into()
        }
    };
    let style = k.printers.for_workstation(&job.workstation).style();
    let preview = render_blocking(job.document, style)
        .await
        .map(|(preview, _)| preview)
        .unwrap_or_default();
    Ok(PrintOutcome {
        job_id,
        state: job.state,
        fault: job.fault,
        message,
        preview,
    })
}

/// Every printer and its state now, asked all at once (each within its time limit).
pub async fn statuses(k: &Kiosk) -> Vec<PrinterStatus> {
    let asks: Vec<_> = k
        .printers
        .all()
        .into_iter()
        .map(|printer| {
            let abandoned = Arc::new(AtomicBool::new(false));
            let (p, flag) = (printer.clone(), abandoned.clone());
            let task = tokio::task::spawn_blocking(move || p.status(&flag));
            (printer, abandoned, task)
        })
        .collect();
    let mut out = Vec::with_capacity(asks.len());
    for (printer, abandoned, task) in asks {
        let answer = match tokio::time::timeout(printer.time_limit(), task).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(join)) => Err(PrintError::Io(format!("printer task failed: {join}"))),
            Err(_) => {
                abandoned.store(true, Ordering::SeqCst);
                Err(PrintError::Timeout)
            }
        };
        let (state, fault, message) = match answer {
            Ok(state) => (
                Some(state),
                state.check().err().map(|e| e.fault()),
                state.message(),
            ),
            Err(e) => (None, Some(e.fault()), e.to_string()),
        };
        out.push(PrinterStatus {
            workstation: printer.config.workstation.clone(),
            driver: printer.config.driver,
            target: k.printers.describe(&printer),
            paper: code(&printer.config.paper),
            language: code(&printer.config.language),
            state,
            fault,
            message,
        });
    }
    out
}

/// A config enum's own spelling (`mm80`, `zh`).
fn code(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn already_printed() -> FlowError {
    FlowError::conflict(
        crate::flows::ErrorCode::PrintJobAlreadyPrinted,
        "该单据已打印：如需再打，请打印副本 / This job has printed: reprint it for a COPY",
        None,
        Some("job_id"),
    )
}

async fn store_job(
    k: &Kiosk,
    workstation: &str,
    doc: &Document,
    reprint_of: Option<i64>,
) -> Result<i64, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    let id = print_jobs::insert(&mut tx, workstation, doc, k.clock.now(), reprint_of).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renders off the executor; a renderer panic becomes a fault of this job, not of the caller.
async fn render_blocking(doc: Document, style: Style) -> Result<(String, Vec<u8>), PrintError> {
    tokio::task::spawn_blocking(move || render::preview_and_escpos(&doc, &style))
        .await
        .map_err(|join| PrintError::Io(format!("the document could not be laid out: {join}")))
}

/// What became of one attempt, to record on the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Printed,
    Failed(PrintFault, String),
}

/// Renders and prints a stored job within the printer's time limit: the operator's outcome
/// and the result to record.
async fn run_job(
    k: &Kiosk,
    job_id: i64,
    workstation: &str,
    doc: Document,
) -> (PrintOutcome, JobResult) {
    let printer = k.printers.for_workstation(workstation);
    let (preview, result) = match render_blocking(doc, printer.style()).await {
        Ok((preview, bytes)) => {
            let result = print_blocking(printer, job_id, bytes, preview.clone()).await;
            (preview, result)
        }
        Err(e) => (String::new(), Err(e)),
    };
    match result {
        Ok(state) => (
            PrintOutcome {
                job_id,
                state: JobState::Printed,
                fault: None,
                message: printed_message(&state),
                preview,
            },
            JobResult::Printed,
        ),
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(
                job_id,
                workstation,
                fault = e.fault().as_str(),
                "print job failed: {message}"
            );
            (
                PrintOutcome {
                    job_id,
                    state: JobState::Failed,
                    fault: Some(e.fault()),
                    message: message.clone(),
                    preview,
                },
                JobResult::Failed(e.fault(), message),
            )
        }
    }
}

/// Records an attempt's result on the job, inside the caller's transaction.
async fn record_result(
    conn: &mut sqlx::SqliteConnection,
    job_id: i64,
    result: &JobResult,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), FlowError> {
    match result {
        JobResult::Printed => print_jobs::mark_printed(conn, job_id, now).await?,
        JobResult::Failed(fault, message) => {
            print_jobs::mark_failed(conn, job_id, *fault, message).await?
        }
    }
    Ok(())
}

/// One attempt at a stored job (counted already): render, print within the printer's time
/// limit, record printed or failed.
async fn attempt(
    k: &Kiosk,
    job_id: i64,
    workstation: &str,
    doc: Document,
) -> Result<PrintOutcome, FlowError> {
    let (outcome, result) = run_job(k, job_id, workstation, doc).await;
    let mut tx = k.db.writer.begin().await?;
    record_result(&mut tx, job_id, &result, k.clock.now()).await?;
    tx.commit().await?;
    k.printers.journal.forget(job_id);
    Ok(outcome)
}

/// What the start-up settlement made of the jobs a stopped kiosk left `pending`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SettledJobs {
    /// They reached the printer: marked printed (a reprint is a COPY).
    pub printed: Vec<i64>,
    /// They never reached it: failed, a retry prints the original.
    pub interrupted: Vec<i64>,
    /// The send was cut off: failed, and the job is now a COPY, so a retry never prints a
    /// second original.
    pub maybe_printed: Vec<i64>,
}

/// Settles every `pending` job from what reached its printer: the driver's own records (the
/// spool's files) or else the send journal. Run at start, before any new job (a job being
/// printed now is pending too).
pub async fn settle_pending(k: &Kiosk) -> Result<SettledJobs, FlowError> {
    let pending = {
        let mut conn = k.db.reader.acquire().await?;
        print_jobs::pending(&mut conn).await?
    };
    let mut settled = SettledJobs::default();
    for job in pending {
        let printer = k.printers.for_workstation(&job.workstation);
        let (id, journal) = (job.id, k.printers.journal.clone());
        let document = job.document.clone();
        let evidence = match render_blocking(job.document, printer.style()).await {
            Ok((preview, bytes)) => tokio::task::spawn_blocking(move || {
                let job = Job {
                    id,
                    bytes: &bytes,
                    preview: &preview,
                };
                printer
                    .driver
                    .settle(&job)
                    .unwrap_or_else(|| journal.evidence(id))
            })
            .await
            .unwrap_or(Evidence::MaybeSent),
            // Cannot be laid out: it never printed either.
            Err(_) => Evidence::NotSent,
        };
        let mut tx = k.db.writer.begin().await?;
        match evidence {
            Evidence::Sent => {
                print_jobs::mark_printed(&mut tx, id, k.clock.now()).await?;
                settled.printed.push(id);
            }
            Evidence::NotSent => {
                let e = PrintError::Interrupted;
                print_jobs::mark_failed(&mut tx, id, e.fault(), &e.to_string()).await?;
                settled.interrupted.push(id);
            }
            Evidence::MaybeSent => {
                let copy = Document {
                    copy: true,
                    ..document
                };
                print_jobs::set_document(&mut tx, id, &copy).await?;
                let e = PrintError::MaybePrinted;
                print_jobs::mark_failed(&mut tx, id, e.fault(), &e.to_string()).await?;
                settled.maybe_printed.push(id);
            }
        }
        tx.commit().await?;
    }
    // Every recorded result is in the database now: the markers have served.
    for id in k.printers.journal.jobs() {
        k.printers.journal.forget(id);
    }
    if settled != SettledJobs::default() {
        tracing::warn!(printed = ?settled.printed, interrupted = ?settled.interrupted, maybe_printed = ?settled.maybe_printed, "print jobs left pending by a stop settled");
    }
    Ok(settled)
}

/// Prints a job that was stored inside its operation's own transaction (the sale receipt,
/// queued with the sale). The result is written with the next batch of sales instead of in
/// a transaction of its own: at the till, printing must not halve checkout throughput. If
/// the kiosk stops before that batch, the job stays `pending` until the start-up settlement
/// ([`settle_pending`]) decides from the send journal whether it printed.
pub async fn print_stored(
    k: &Kiosk,
    job_id: i64,
    workstation: &str,
    doc: Document,
) -> PrintOutcome {
    let _printing = k.printers.begin(job_id);
    let (outcome, result) = run_job(k, job_id, workstation, doc).await;
    let at = k.clock.now();
    k.group_commit.write_later("print result", move |conn| {
        Box::pin(async move { record_result(conn, job_id, &result, at).await })
    });
    outcome
}

fn printed_message(state: &PrinterState) -> String {
    if !state.answered {
        "已发送到打印机（打印机未回报状态）/ Sent to the printer (status unknown)".into()
    } else if state.paper_near_end {
        "已打印；打印纸将用完，请准备换纸 / Printed; paper running low".into()
    } else {
        "已打印 / Printed".into()
    }
}

/// Status check and send on a blocking thread. When the limit passes first the job is
/// abandoned: if it is still queued behind another job it never reaches the paper.
async fn print_blocking(
    printer: Arc<Printer>,
    job_id: i64,
    bytes: Vec<u8>,
    preview: String,
) -> Result<PrinterState, PrintError> {
    let limit = printer.time_limit();
    let abandoned = Arc::new(AtomicBool::new(false));
    let flag = abandoned.clone();
    let task = tokio::task::spawn_blocking(move || {
        let job = Job {
            id: job_id,
            bytes: &bytes,
            preview: &preview,
        };
        printer.run(&job, &flag)
    });
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(PrintError::Io(format!("printer task failed: {join}"))),
        Err(_) => {
            abandoned.store(true, Ordering::SeqCst);
            Err(PrintError::Timeout)
        }
    }
}
