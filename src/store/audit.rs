//! The audit trail: append-only, hash-chained rows saying who changed what, where and with
//! which result; the check that the chain is whole (no row edited, removed, cut off or
//! re-chained); and the anchor file that holds copies of the chain's head outside the database.
//!
//! Each row's `hash` covers the previous row's hash followed by this row's canonical fields (a
//! JSON array, `seq` included), so editing a row breaks its own hash, and removing one leaves a
//! gap in `seq` (AUTOINCREMENT never reuses a value) and a `prev_hash` that no longer matches.
//! Rows are keyed (`chain` 2): the hash is HMAC-SHA256 under the audit key, which is derived
//! from the key file's data secret and never stored in the database, so whoever holds only
//! the database file cannot recompute the hashes after an edit. Rows from before the key
//! (`chain` 1) keep their plain SHA-256 hashes; the first keyed row's MAC covers the last of
//! them, sealing that prefix. A deleted tail leaves no gap, and a wholesale re-chain leaves no
//! broken link: those are caught by [anchors](Anchor), copies of the head (seq and hash) kept
//! outside the database, which the chain must still reach with the same hash. Every row also
//! goes to the outbox (a `staff.action` event) for head office.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use tokio::sync::Mutex;
use tokio_stream::StreamExt;

use super::StoreError;
use crate::domain::events::{Event, StaffAction};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `chain` of rows written before the chain was keyed: hash = SHA-256.
pub const PLAIN_CHAIN: i64 = 1;
/// `chain` of keyed rows: hash = HMAC-SHA256 under the audit key.
pub const KEYED_CHAIN: i64 = 2;

/// Fewest hex digits of a hash an anchor may give (a slip prints 16).
pub const MIN_ANCHOR_HEX: usize = 8;

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
    /// How `hash` is made: [`PLAIN_CHAIN`] or [`KEYED_CHAIN`].
    pub chain: i64,
}

impl AuditRow {
    /// The fields the hash covers, in a fixed order; `detail` as the stored text, so the hash
    /// does not depend on how JSON happens to be re-serialised. Keyed rows cover `chain` too.
    fn canonical(&self) -> String {
        let mut fields = vec![
            serde_json::json!(self.seq),
            serde_json::json!(self.store_id),
            serde_json::json!(self.at),
            serde_json::json!(self.staff_id),
            serde_json::json!(self.role),
            serde_json::json!(self.workstation),
            serde_json::json!(self.action),
            serde_json::json!(self.target),
            serde_json::json!(self.detail),
            serde_json::json!(self.result),
        ];
        if self.chain != PLAIN_CHAIN {
            fields.push(serde_json::json!(self.chain));
        }
        serde_json::Value::Array(fields).to_string()
    }

    /// What `hash` must be for this row's content and `prev_hash` under the audit `key`
    /// (plain rows ignore the key); None for a `chain` this version does not know.
    pub fn expected_hash(&self, key: &[u8]) -> Option<String> {
        let canonical = self.canonical();
        match self.chain {
            PLAIN_CHAIN => {
                let mut digest = Sha256::new();
                digest.update(self.prev_hash.as_bytes());
                digest.update(canonical.as_bytes());
                Some(hex::encode(digest.finalize()))
            }
            KEYED_CHAIN => {
                // HMAC accepts any key length: this cannot fail.
                let mut mac =
                    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
                mac.update(self.prev_hash.as_bytes());
                mac.update(canonical.as_bytes());
                Some(hex::encode(mac.finalize().into_bytes()))
            }
            _ => None,
        }
    }
}

const ROW_COLUMNS: &str = "seq, store_id, at, staff_id, role, workstation, action, target, \
                           detail, result, prev_hash, hash, chain";

/// Appends `entry` to the chain, keyed with `key`, and its outbox record; returns its `seq`.
/// Call it inside a transaction on the writer, so the previous hash read here is still the
/// last one at commit.
pub async fn append(
    conn: &mut SqliteConnection,
    key: &[u8],
    entry: &AuditEntry,
) -> Result<i64, StoreError> {
    // The last row, and the highest seq ever handed out (so a removed last row still leaves a
    // visible gap), in one round trip: this runs for every sale.
    let (last_seq, prev_hash, used): (Option<i64>, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT last.seq, last.hash, (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log') \
         FROM (SELECT 1) LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (last_seq, prev_hash) = match (last_seq, prev_hash) {
        (Some(seq), Some(hash)) => (seq, hash),
        _ => (0, GENESIS.to_owned()),
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
        chain: KEYED_CHAIN,
    };
    row.hash = row
        .expected_hash(key)
        .ok_or(StoreError::Corrupt("audit chain"))?;
    sqlx::query(
        "INSERT INTO audit_log (seq, store_id, at, staff_id, role, workstation, action, target, \
         detail, result, prev_hash, hash, chain) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
    .bind(row.chain)
    .execute(&mut *conn)
    .await?;
    let seq = row.seq;
    let event = Event::StaffAction(StaffAction {
        seq,
        at: row.at,
        staff_id: row.staff_id,
        role: row.role,
        workstation: row.workstation,
        action: row.action,
        target: row.target,
        detail: row.detail,
        result: row.result,
        prev_hash: row.prev_hash,
        hash: row.hash,
        chain: row.chain,
    });
    super::outbox::record(conn, &row.store_id, &seq.to_string(), &event, entry.at).await?;
    Ok(seq)
}

/// The chain's head: its last row's seq and hash (seq 0 and [`GENESIS`] while it is empty).
/// This is what is anchored outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    /// Whether the chain is keyed up to here (every later row must be).
    pub keyed: bool,
}

impl Head {
    /// The start of an empty chain.
    pub fn genesis() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_owned(),
            keyed: false,
        }
    }

    /// The hash's first 16 hex digits, as a slip prints them.
    pub fn short_hash(&self) -> &str {
        self.hash.get(..16).unwrap_or(&self.hash)
    }
}

/// The chain's current head, read from the database.
pub async fn head(conn: &mut SqliteConnection) -> Result<Head, StoreError> {
    let last: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT seq, hash, chain FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(last.map_or_else(Head::genesis, |(seq, hash, chain)| Head {
        seq,
        hash,
        keyed: chain == KEYED_CHAIN,
    }))
}

/// A copy of the head kept outside the database (the anchor file, a printed slip, head
/// office): the chain must still reach `seq` with a hash starting with `hash`. Every anchor is
/// written by a version that keys the chain, so every row after an anchor must be keyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    pub seq: i64,
    /// The full hash, or its first hex digits (at least [`MIN_ANCHOR_HEX`]) off a slip.
    pub hash: String,
}

/// An anchor given as `SEQ:HASH` is not one.
#[derive(Debug, thiserror::Error)]
#[error("an anchor is SEQ:HASH with at least {MIN_ANCHOR_HEX} hex digits of the hash")]
pub struct BadAnchor;

impl std::str::FromStr for Anchor {
    type Err = BadAnchor;

    /// `SEQ:HASH`, as read off a daily summary slip (`#SEQ HASH` there).
    fn from_str(text: &str) -> Result<Anchor, BadAnchor> {
        let (seq, hash) = text.trim().split_once(':').ok_or(BadAnchor)?;
        Anchor::new(seq.trim().trim_start_matches('#'), hash.trim())
    }
}

impl Anchor {
    fn new(seq: &str, hash: &str) -> Result<Anchor, BadAnchor> {
        let seq: i64 = seq.parse().map_err(|_| BadAnchor)?;
        let hex_ok = hash.len() >= MIN_ANCHOR_HEX
            && hash.len() <= GENESIS.len()
            && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if seq < 0 || !hex_ok {
            return Err(BadAnchor);
        }
        Ok(Anchor {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }

    fn matches(&self, hash: &str) -> bool {
        hash.starts_with(&self.hash)
    }
}

/// The anchors recorded in the anchor file (none if there is no file yet). Each line is
/// `SEQ HASH AT WHY`; lines starting with `#` are comments.
pub fn read_anchors(path: &Path) -> Result<Vec<Anchor>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::Anchors(format!("{}: {e}", path.display()))),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let mut fields = line.split_whitespace();
            let seq = fields.next().unwrap_or_default();
            let hash = fields.next().unwrap_or_default();
            // An anchor file must hold whole hashes: a short one there was not written by us.
            Anchor::new(seq, hash)
                .ok()
                .filter(|a| a.hash.len() == GENESIS.len())
                .ok_or_else(|| StoreError::Anchors(format!("{} line {}", path.display(), n + 1)))
        })
        .collect()
}

/// Appends `head` to the anchor file (created if missing) and flushes it to disk: an anchor
/// lost in a power cut would let the tail after the previous one be cut unseen.
pub fn write_anchor(
    path: &Path,
    head: &Head,
    at: DateTime<Utc>,
    why: &str,
) -> Result<(), StoreError> {
    let failed = |e: std::io::Error| StoreError::Anchors(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(failed)?;
    // `why` is ours (start, shutdown, a workstation's summary): one word per field.
    let why = why.replace(char::is_whitespace, "_");
    writeln!(
        file,
        "{} {} {} {why}",
        head.seq,
        head.hash,
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
    .map_err(failed)?;
    file.sync_data().map_err(failed)
}

/// Where an incremental check resumes: the head at `since.seq` (a head a check verified
/// before, e.g. the `#SEQ HASH` `verify-audit` printed), with the row's full hash when it still
/// starts with the one given. Otherwise the head as given, so that [`verify`] reports the row
/// re-chained (another hash) or cut off (gone).
pub async fn resume_at(conn: &mut SqliteConnection, since: &Anchor) -> Result<Head, StoreError> {
    if since.seq == 0 && since.matches(GENESIS) {
        return Ok(Head::genesis());
    }
    let stored: Option<(String, i64)> =
        sqlx::query_as("SELECT hash, chain FROM audit_log WHERE seq = ?1")
            .bind(since.seq)
            .fetch_optional(conn)
            .await?;
    Ok(match stored {
        Some((hash, chain)) if since.matches(&hash) => Head {
            seq: since.seq,
            hash,
            keyed: chain == KEYED_CHAIN,
        },
        _ => Head {
            seq: since.seq,
            hash: since.hash.clone(),
            keyed: true,
        },
    })
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
    /// A plain (unkeyed) row where the chain is keyed: history re-chained without the key.
    Unkeyed,
    /// The row was anchored (or already verified) with another hash: history re-chained.
    Rechained,
    /// The chain ends at `last` before this anchored (or already verified) row: the tail was
    /// cut off.
    Cut { last: i64 },
}

/// The first row where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    #[serde(flatten)]
    pub problem: Problem,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Rows read, up to and including the broken one; only those after the verified head
    /// given to [`verify`] (the whole chain when none was).
    pub rows_checked: u64,
    /// Anchors the chain reached with the same hash.
    pub anchors_checked: u64,
    /// The last row checked and found whole: where the next incremental check starts.
    pub head: Head,
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
            None => write!(
                f,
                "audit trail OK: {} rows checked, {} anchors reached, head #{} {}",
                self.rows_checked,
                self.anchors_checked,
                self.head.seq,
                self.head.short_hash()
            ),
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
                    Problem::Unkeyed => {
                        write!(
                            f,
                            "the row is not keyed (history re-chained without the key)"
                        )
                    }
                    Problem::Rechained => write!(
                        f,
                        "the row's hash differs from its anchor (history re-chained)"
                    ),
                    Problem::Cut { last } => write!(
                        f,
                        "the row was anchored but the chain ends at seq {last} (tail cut off)"
                    ),
                }
            }
        }
    }
}

/// Checks the chain under the audit `key`: from the start, or only the rows after `since` (a
/// head verified before, which must still be there with the same hash), and that it reaches
/// every anchor after that point with the same hash. Reports the first broken link.
pub async fn verify(
    conn: &mut SqliteConnection,
    key: &[u8],
    since: Option<&Head>,
    anchors: &[Anchor],
) -> Result<VerifyReport, StoreError> {
    let start = since.cloned().unwrap_or_else(Head::genesis);
    let mut report = VerifyReport {
        rows_checked: 0,
        anchors_checked: 0,
        head: start.clone(),
        broken: None,
    };
    // Every anchor was written by a keyed version: rows after the earliest must be keyed.
    let keyed_after = anchors.iter().map(|a| a.seq).min();
    let mut anchors: Vec<&Anchor> = anchors.iter().filter(|a| a.seq > start.seq).collect();
    anchors.sort_by_key(|a| a.seq);
    let mut anchors = anchors.into_iter().peekable();
    if start.seq > 0 {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = ?1")
                .bind(start.seq)
                .fetch_optional(&mut *conn)
                .await?;
        let problem = match stored {
            Some(hash) if hash == start.hash => None,
            Some(_) => Some(Problem::Rechained),
            None => Some(Problem::Cut {
                last: head(&mut *conn).await?.seq,
            }),
        };
        if let Some(problem) = problem {
            report.broken = Some(BrokenLink {
                seq: start.seq,
                problem,
            });
            return Ok(report);
        }
    }
    let sql = format!("SELECT {ROW_COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq");
    let mut rows = sqlx::query_as::<_, AuditRow>(&sql)
        .bind(start.seq)
        .fetch(&mut *conn);
    let mut prev = start;
    while let Some(row) = rows.next().await {
        let row = row?;
        report.rows_checked += 1;
        let must_be_keyed = prev.keyed || keyed_after.is_some_and(|after| row.seq > after);
        let mut anchored_here = 0;
        // seq starts at 1 and is never reused, so any jump is a removal.
        let problem = if row.seq != prev.seq + 1 {
            Some(Problem::Removed {
                from: prev.seq + 1,
                to: row.seq - 1,
            })
        } else if row.prev_hash != prev.hash {
            Some(Problem::Unlinked)
        } else if must_be_keyed && row.chain != KEYED_CHAIN {
            Some(Problem::Unkeyed)
        } else if row.expected_hash(key).as_deref() != Some(row.hash.as_str()) {
            Some(Problem::Edited)
        } else {
            let mut problem = None;
            while let Some(anchor) = anchors.next_if(|a| a.seq <= row.seq) {
                if !anchor.matches(&row.hash) {
                    problem = Some(Problem::Rechained);
                    break;
                }
                anchored_here += 1;
            }
            problem
        };
        if let Some(problem) = problem {
            report.broken = Some(BrokenLink {
                seq: row.seq,
                problem,
            });
            return Ok(report);
        }
        report.anchors_checked += anchored_here;
        prev = Head {
            seq: row.seq,
            hash: row.hash,
            keyed: row.chain == KEYED_CHAIN,
        };
        report.head = prev.clone();
    }
    if let Some(anchor) = anchors.next() {
        report.broken = Some(BrokenLink {
            seq: anchor.seq,
            problem: Problem::Cut { last: prev.seq },
        });
    }
    Ok(report)
}

/// The newest rows, newest first: up to `limit` rows with `seq < before` (all if None).
pub async fn recent(
    conn: &mut SqliteConnection,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditRow>, StoreError> {
    Ok(sqlx::query_as::<_, AuditRow>(&format!(
        "SELECT {ROW_COLUMNS} FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"
    ))
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)
}

/// What this process knows about the chain: the head it last verified (the next check starts
/// there) and the head it last anchored (not written twice).
#[derive(Debug, Default)]
pub struct ChainWatch {
    /// The head the last check verified: the next check starts there.
    pub verified: Mutex<Option<Head>>,
    /// The head last written to the anchor file: not written twice.
    pub anchored: Mutex<Option<Head>>,
}
