//! The print queue: every document stored before it is printed, with its state (pending,
//! printed, failed), attempts and the last fault, so a job survives a printer fault or a
//! restart and can be retried or reprinted as a COPY.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::StoreError;
use crate::printer::PrintFault;
use crate::receipt::document::{Document, DocumentKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Stored; being printed now, or interrupted (a retry prints it).
    Pending,
    Printed,
    /// The printer refused it: `fault` says why; a retry prints it.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Printed => "printed",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<JobState, StoreError> {
        match s {
            "pending" => Ok(JobState::Pending),
            "printed" => Ok(JobState::Printed),
            "failed" => Ok(JobState::Failed),
            _ => Err(StoreError::Corrupt("print_jobs.state")),
        }
    }
}

/// One job of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrintJob {
    pub id: i64,
    pub workstation: String,
    pub kind: DocumentKind,
    pub document: Document,
    pub created_at: DateTime<Utc>,
    pub state: JobState,
    pub attempts: i64,
    pub fault: Option<PrintFault>,
    /// The operator's message of the last failure.
    pub last_error: Option<String>,
    pub printed_at: Option<DateTime<Utc>>,
    /// The job this one is a COPY of.
    pub reprint_of: Option<i64>,
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str = "id, workstation, document, created_at, state, attempts, fault, last_error, printed_at, reprint_of";

fn instant(s: &str, what: &'static str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(what))
}

fn from_row(r: Row) -> Result<PrintJob, StoreError> {
    let document: Document =
        serde_json::from_str(&r.2).map_err(|_| StoreError::Corrupt("print_jobs.document"))?;
    Ok(PrintJob {
        id: r.0,
        workstation: r.1,
        kind: document.kind,
        document,
        created_at: instant(&r.3, "print_jobs.created_at")?,
        state: JobState::parse(&r.4)?,
        attempts: r.5,
        fault: r
            .6
            .as_deref()
            .map(|f| PrintFault::parse(f).ok_or(StoreError::Corrupt("print_jobs.fault")))
            .transpose()?,
        last_error: r.7,
        printed_at: r
            .8
            .as_deref()
            .map(|t| instant(t, "print_jobs.printed_at"))
            .transpose()?,
        reprint_of: r.9,
    })
}

fn kind_name(kind: DocumentKind) -> Result<String, StoreError> {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .ok_or(StoreError::Corrupt("print_jobs.kind"))
}

/// Stores a new job as pending, its first attempt counted; its id.
pub async fn insert(
    conn: &mut SqliteConnection,
    workstation: &str,
    document: &Document,
    now: DateTime<Utc>,
    reprint_of: Option<i64>,
) -> Result<i64, StoreError> {
    insert_serialised(
        conn,
        workstation,
        document.kind,
        &serialise(document)?,
        now,
        reprint_of,
    )
    .await
}

/// The document as stored in `print_jobs.document`.
pub fn serialise(document: &Document) -> Result<String, StoreError> {
    serde_json::to_string(document).map_err(|_| StoreError::Corrupt("print_jobs.document"))
}

/// [`insert`] for a document serialised already (by [`serialise`]), so a sale's writer does
/// not spend its serial time on it.
pub async fn insert_serialised(
    conn: &mut SqliteConnection,
    workstation: &str,
    kind: DocumentKind,
    json: &str,
    now: DateTime<Utc>,
    reprint_of: Option<i64>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO print_jobs (workstation, kind, document, created_at, state, attempts, reprint_of)
         VALUES (?1, ?2, ?3, ?4, 'pending', 1, ?5) RETURNING id",
    )
    .bind(workstation)
    .bind(kind_name(kind)?)
    .bind(json)
    .bind(now.to_rfc3339())
    .bind(reprint_of)
    .fetch_one(conn)
    .await?)
}

pub async fn find(conn: &mut SqliteConnection, id: i64) -> Result<Option<PrintJob>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM print_jobs WHERE id = ?1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(from_row).transpose()
}

/// Counts an attempt and marks the job pending; false if it was printed meanwhile.
pub async fn begin_attempt(conn: &mut SqliteConnection, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE print_jobs SET state = 'pending', attempts = attempts + 1
         WHERE id = ?1 AND state <> 'printed'",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_printed(
    conn: &mut SqliteConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE print_jobs SET state = 'printed', printed_at = ?2, fault = NULL, last_error = NULL
         WHERE id = ?1",
    )
    .bind(id)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_failed(
    conn: &mut SqliteConnection,
    id: i64,
    fault: PrintFault,
    message: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE print_jobs SET state = 'failed', fault = ?2, last_error = ?3 WHERE id = ?1",
    )
    .bind(id)
    .bind(fault.as_str())
    .bind(message)
    .execute(conn)
    .await?;
    Ok(())
}

/// Jobs of `workstation` in `state` (`None`: any), newest first, at most `limit`.
pub async fn list(
    conn: &mut SqliteConnection,
    workstation: Option<&str>,
    state: Option<JobState>,
    limit: u32,
) -> Result<Vec<PrintJob>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs
         WHERE (?1 IS NULL OR workstation = ?1) AND (?2 IS NULL OR state = ?2)
         ORDER BY id DESC LIMIT ?3"
    ))
    .bind(workstation)
    .bind(state.map(JobState::as_str))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Every job still `pending`, oldest first (what a stopped kiosk left unrecorded).
pub async fn pending(conn: &mut SqliteConnection) -> Result<Vec<PrintJob>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs WHERE state = 'pending' ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Replaces the job's document: a job that may have printed is printed again only as a COPY.
pub async fn set_document(
    conn: &mut SqliteConnection,
    id: i64,
    document: &Document,
) -> Result<(), StoreError> {
    let json =
        serde_json::to_string(document).map_err(|_| StoreError::Corrupt("print_jobs.document"))?;
    sqlx::query("UPDATE print_jobs SET document = ?2 WHERE id = ?1")
        .bind(id)
        .bind(json)
        .execute(conn)
        .await?;
    Ok(())
}
