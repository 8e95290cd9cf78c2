//! The sync task's state (one row): the pull cursor, what head office acknowledged, when
//! each direction last succeeded, the last error, and the alarms a conflict raises.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::StoreError;
use crate::sync::protocol::Conflict;

/// `sync_state` as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncRow {
    pub pull_cursor: i64,
    pub high_water: i64,
    pub last_push_success: Option<DateTime<Utc>>,
    pub last_pull_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub offline_since: Option<DateTime<Utc>>,
    pub conflict_seq: Option<i64>,
}

impl SyncRow {
    /// The last successful contact in either direction.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.last_push_success.max(self.last_pull_success)
    }
}

type Row = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn instant(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| StoreError::Corrupt("sync_state instant"))
    })
    .transpose()
}

pub async fn load(conn: &mut SqliteConnection) -> Result<SyncRow, StoreError> {
    let r: Row = sqlx::query_as(
        "SELECT pull_cursor, high_water, last_push_success, last_pull_success, last_error, last_error_at, offline_since, conflict_seq FROM sync_state WHERE id = 1",
    )
    .fetch_one(conn)
    .await?;
    Ok(SyncRow {
        pull_cursor: r.0,
        high_water: r.1,
        last_push_success: instant(r.2)?,
        last_pull_success: instant(r.3)?,
        last_error: r.4,
        last_error_at: instant(r.5)?,
        offline_since: instant(r.6)?,
        conflict_seq: r.7,
    })
}

/// A push answered: every outbox row up to `high_water` is marked sent and the mark is
/// stored, in the caller's transaction. The mark never goes backwards.
pub async fn acknowledge(
    conn: &mut SqliteConnection,
    high_water: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::outbox::mark_sent(conn, high_water, now).await?;
    sqlx::query(
        "UPDATE sync_state SET high_water = MAX(high_water, ?1), last_push_success = ?2, offline_since = NULL WHERE id = 1",
    )
    .bind(high_water)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the change feed applied: the new cursor, in the same transaction as the page.
pub async fn advance_cursor(
    conn: &mut SqliteConnection,
    cursor: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_state SET pull_cursor = MAX(pull_cursor, ?1), last_pull_success = ?2, offline_since = NULL WHERE id = 1",
    )
    .bind(cursor)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// A successful contact that changed nothing (an empty page, the keys).
pub async fn contact(conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_state SET last_pull_success = ?1, offline_since = NULL WHERE id = 1")
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

/// A failed call: the error is kept for health, and the offline period starts (if not yet).
pub async fn record_error(
    conn: &mut SqliteConnection,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_state SET last_error = ?1, last_error_at = ?2, offline_since = COALESCE(offline_since, ?2) WHERE id = 1",
    )
    .bind(error)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Head office holds one of our seqs with another hash: pushing stops (nothing is ever
/// overwritten) and an alarm is raised. Idempotent per seq.
pub async fn raise_conflict(
    conn: &mut SqliteConnection,
    conflict: &Conflict,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM sync_alarms WHERE kind = 'event_conflict' AND seq = ?1 AND resolved_at IS NULL",
    )
    .bind(conflict.seq)
    .fetch_optional(&mut *conn)
    .await?;
    let detail = serde_json::json!({
        "seq": conflict.seq,
        "stored_hash": conflict.stored_hash,
        "sent_hash": conflict.sent_hash,
    })
    .to_string();
    if open.is_none() {
        sqlx::query(
            "INSERT INTO sync_alarms (kind, seq, detail, raised_at) VALUES ('event_conflict', ?1, ?2, ?3)",
        )
        .bind(conflict.seq)
        .bind(&detail)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE sync_state SET conflict_seq = ?1, last_error = ?2, last_error_at = ?3 WHERE id = 1",
    )
    .bind(conflict.seq)
    .bind(format!(
        "event {} conflicts with head office's copy",
        conflict.seq
    ))
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(open.is_none())
}

/// Open alarms, oldest first: (kind, seq, detail JSON, raised_at).
pub async fn open_alarms(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, Option<i64>, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, seq, detail, raised_at FROM sync_alarms WHERE resolved_at IS NULL ORDER BY id",
    )
    .fetch_all(conn)
    .await?)
}

/// Points this store let a card (Some) or all cards (None) redeem offline that head office
/// has not acknowledged yet (the offline bounds).
pub async fn offline_redeemed(
    conn: &mut SqliteConnection,
    card_number: Option<&str>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(points), 0) FROM sale_redemptions
         WHERE authority = 'offline' AND outbox_seq > (SELECT high_water FROM sync_state WHERE id = 1)
           AND (?1 IS NULL OR card_number = ?1)",
    )
    .bind(card_number)
    .fetch_one(conn)
    .await?)
}

/// Records who allowed a sale's redemption, in the sale's transaction (after its outbox
/// rows): the redemption counts against the offline bounds until head office acknowledges
/// the outbox up to here.
pub async fn record_redemption(
    conn: &mut SqliteConnection,
    receipt_no: &str,
    card_number: &str,
    points: i64,
    authority: crate::domain::events::RedemptionAuthority,
    business_day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let authority = match authority {
        crate::domain::events::RedemptionAuthority::HeadOffice => "head_office",
        crate::domain::events::RedemptionAuthority::Offline => "offline",
    };
    sqlx::query(
        "INSERT INTO sale_redemptions (receipt_no, card_number, points, authority, business_day, outbox_seq, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(seq), 0) FROM outbox), ?6)",
    )
    .bind(receipt_no)
    .bind(card_number)
    .bind(points)
    .bind(authority)
    .bind(super::day(business_day))
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}
