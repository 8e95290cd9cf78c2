//! The audit trail: append-only, hash-chained rows saying who changed what, where and with
//! which result, and the check that the chain is whole (no row edited or removed).
//!
//! Each row's `hash` is hex SHA-256 of the previous row's hash followed by this row's canonical
//! fields (a JSON array, `seq` included), so editing a row breaks its own hash, and removing
//! one leaves a gap in `seq` (AUTOINCREMENT never reuses a value) and a `prev_hash` that no
//! longer matches. Every row also goes to the outbox (topic `audit`) for head office.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use tokio_stream::StreamExt;

use super::StoreError;

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record, before it is chained.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub store_id: String,
    pub at: DateTime<Utc>,
    /// `anonymous` when the request named nobody.
    pub staff_id: String,
    /// The signed-in staff member's role; None for a request by nobody signed in.
    pub role: Option<String>,
    pub workstation: String,
    /// `POST /api/sales` (method + route template) or a named event (`member.contact_change`).
    pub action: String,
    /// Card number, member id, receipt no., … when known.
    pub target: Option<String>,
    /// Extra facts as JSON; personal data only ever masked.
    pub detail: Option<serde_json::Value>,
    /// HTTP status code.
    pub result: u16,
}

/// A stored audit row, as chained and as sent to head office.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub store_id: String,
    pub at: String,
    pub staff_id: String,
    pub role: Option<String>,
    pub workstation: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub result: i64,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The fields the hash covers, in a fixed order; `detail` as the stored text, so the hash
    /// does not depend on how JSON happens to be re-serialised.
    fn canonical(&self) -> String {
        serde_json::json!([
            self.seq,
            self.store_id,
            self.at,
            self.staff_id,
            self.role,
            self.workstation,
            self.action,
            self.target,
            self.detail,
            self.result,
        ])
        .to_string()
    }

    /// What `hash` must be for this row's content and `prev_hash` (head office can re-check).
    pub fn expected_hash(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(self.prev_hash.as_bytes());
        digest.update(self.canonical().as_bytes());
        hex::encode(digest.finalize())
    }
}

/// Appends `entry` to the chain and its outbox record; returns its `seq`. Call it inside a
/// transaction on the writer, so the previous hash read here is still the last one at commit.
pub async fn append(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<i64, StoreError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    // The highest seq ever handed out, so a removed last row still leaves a visible gap.
    let used: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")
            .fetch_optional(&mut *conn)
            .await?;
    let (last_seq, prev_hash) = match last {
        Some((seq, hash)) => (seq, hash),
        None => (0, GENESIS.to_owned()),
    };
    let detail = entry
        .detail
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| StoreError::Corrupt("audit detail"))?;
    let mut row = AuditRow {
        seq: last_seq.max(used.unwrap_or(0)) + 1,
        store_id: entry.store_id.clone(),
        at: entry.at.to_rfc3339(),
        staff_id: entry.staff_id.clone(),
        role: entry.role.clone(),
        workstation: entry.workstation.clone(),
        action: entry.action.clone(),
        target: entry.target.clone(),
        detail,
        result: i64::from(entry.result),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, store_id, at, staff_id, role, workstation, action, target, \
         detail, result, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .bind(row.seq)
    .bind(&row.store_id)
    .bind(&row.at)
    .bind(&row.staff_id)
    .bind(&row.role)
    .bind(&row.workstation)
    .bind(&row.action)
    .bind(&row.target)
    .bind(&row.detail)
    .bind(row.result)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *conn)
    .await?;
    super::outbox::record(
        conn,
        &row.store_id,
        "audit",
        &row.seq.to_string(),
        &row,
        entry.at,
    )
    .await?;
    Ok(row.seq)
}

/// What is wrong at the first broken link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The row's content no longer matches its hash.
    Edited,
    /// Rows `from..=to` are missing before this row.
    Removed { from: i64, to: i64 },
    /// The row's `prev_hash` is not the previous row's hash (a row before it was removed or
    /// re-hashed).
    Unlinked,
}

/// The first row where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    #[serde(flatten)]
    pub problem: Problem,
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Rows read, up to and including the broken one.
    pub rows_checked: u64,
    pub broken: Option<BrokenLink>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.broken {
            None => write!(f, "audit trail OK: {} rows checked", self.rows_checked),
            Some(b) => {
                write!(
                    f,
                    "audit trail BROKEN at seq {} ({} rows checked): ",
                    b.seq, self.rows_checked
                )?;
                match b.problem {
                    Problem::Edited => write!(f, "the row was edited (its hash does not match)"),
                    Problem::Removed { from, to } if from == to => {
                        write!(f, "row {from} before it was removed")
                    }
                    Problem::Removed { from, to } => {
                        write!(f, "rows {from}..={to} before it were removed")
                    }
                    Problem::Unlinked => {
                        write!(f, "its prev_hash does not match the previous row's hash")
                    }
                }
            }
        }
    }
}

/// Walks all rows in `seq` order and reports the first broken link.
pub async fn verify(conn: &mut SqliteConnection) -> Result<VerifyReport, StoreError> {
    let mut rows = sqlx::query_as::<_, AuditRow>(
        "SELECT seq, store_id, at, staff_id, role, workstation, action, target, detail, result, \
         prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch(conn);
    let mut rows_checked = 0;
    // The previous row's seq and hash; before the first row, seq 0 and the genesis hash.
    let mut prev_seq = 0;
    let mut prev_hash = GENESIS.to_owned();
    while let Some(row) = rows.next().await {
        let row = row?;
        rows_checked += 1;
        // seq starts at 1 and is never reused, so any jump is a removal.
        let problem = if row.seq != prev_seq + 1 {
            Some(Problem::Removed {
                from: prev_seq + 1,
                to: row.seq - 1,
            })
        } else if row.prev_hash != prev_hash {
            Some(Problem::Unlinked)
        } else if row.hash != row.expected_hash() {
            Some(Problem::Edited)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Ok(VerifyReport {
                rows_checked,
                broken: Some(BrokenLink {
                    seq: row.seq,
                    problem,
                }),
            });
        }
        prev_seq = row.seq;
        prev_hash = row.hash;
    }
    Ok(VerifyReport {
        rows_checked,
        broken: None,
    })
}

/// The newest rows, newest first: up to `limit` rows with `seq < before` (all if None).
pub async fn recent(
    conn: &mut SqliteConnection,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditRow>, StoreError> {
    Ok(sqlx::query_as::<_, AuditRow>(
        "SELECT seq, store_id, at, staff_id, role, workstation, action, target, detail, result, \
         prev_hash, hash FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)
}
