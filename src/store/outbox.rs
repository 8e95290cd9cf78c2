//! The outbox of every change for head-office sync: one typed, versioned event
//! (`domain::events`) per change, written in the same transaction as the change itself, so a
//! change and its event exist together or not at all (docs/events.md).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::StoreError;
use crate::domain::events::{Encoded, Event};

/// Appends `event`, encoded canonically, with its kind, version and hash. `entity_id` names
/// what changed in this store (a card number, `store:receipt_no`, …) for local queries.
pub async fn record(
    conn: &mut SqliteConnection,
    store_id: &str,
    entity_id: &str,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let encoded = event
        .encode()
        .map_err(|_| StoreError::Corrupt("outbox payload"))?;
    record_encoded(conn, store_id, entity_id, &encoded, now).await
}

/// [`record`] for an event encoded beforehand: a sale's, encoded on the request's own task
/// next to its answer, so the group-commit writer (which runs sales one after another) only
/// inserts the row.
pub async fn record_encoded(
    conn: &mut SqliteConnection,
    store_id: &str,
    entity_id: &str,
    event: &Encoded,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (store_id, topic, version, entity_id, payload, hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(store_id)
    .bind(event.kind)
    .bind(i64::from(event.version))
    .bind(entity_id)
    .bind(&event.payload)
    .bind(&event.hash)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Number of changes not yet sent to head office.
pub async fn pending(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(conn)
            .await?,
    )
}

// ---- Read side for the head-office sync (sync::task): kept at the end of the file so the
// ---- write side can change beside it.

/// The outbox's unacknowledged seqs: (first, last) not yet marked sent, None when all are.
pub async fn unacknowledged_range(
    conn: &mut SqliteConnection,
) -> Result<Option<(i64, i64)>, StoreError> {
    let (first, last): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(conn)
            .await?;
    Ok(first.zip(last))
}

/// The created_at of the oldest unacknowledged row (the sync lag), None when all are sent.
pub async fn oldest_unacknowledged(
    conn: &mut SqliteConnection,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<String> = sqlx::query_scalar(
        "SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    at.map(|a| {
        DateTime::parse_from_rfc3339(&a)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| StoreError::Corrupt("outbox.created_at"))
    })
    .transpose()
}

/// The unsent rows with seq in `first..=last`, in seq order, as they travel. A row without a
/// hash (written before the event contract, version 0) gets it computed here over its stored
/// text, so head office can still tell a re-send from a conflict.
pub async fn batch(
    conn: &mut SqliteConnection,
    first: i64,
    last: i64,
) -> Result<Vec<crate::sync::protocol::SentEvent>, StoreError> {
    use sqlx::Row;
    // `SELECT *`: the contract's columns (version, hash) come with migration 0010; a database
    // without them has only pre-contract rows (version 0, no hash).
    let rows = sqlx::query(
        "SELECT * FROM outbox WHERE seq BETWEEN ?1 AND ?2 AND sent_at IS NULL ORDER BY seq",
    )
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await?;
    let optional = |r: Result<Option<String>, sqlx::Error>| match r {
        Err(sqlx::Error::ColumnNotFound(_)) => Ok(None),
        other => other,
    };
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("seq")?;
            let kind: String = row.try_get("topic")?;
            let payload: String = row.try_get("payload")?;
            let created_at: String = row.try_get("created_at")?;
            let version: i64 = match row.try_get::<i64, _>("version") {
                Err(sqlx::Error::ColumnNotFound(_)) => 0,
                other => other?,
            };
            let version =
                u32::try_from(version).map_err(|_| StoreError::Corrupt("outbox.version"))?;
            let hash = optional(row.try_get::<Option<String>, _>("hash"))?
                .unwrap_or_else(|| crate::domain::events::event_hash(&kind, version, &payload));
            let created_at = DateTime::parse_from_rfc3339(&created_at)
                .map_err(|_| StoreError::Corrupt("outbox.created_at"))?
                .with_timezone(&Utc);
            Ok(crate::sync::protocol::SentEvent {
                seq,
                kind,
                version,
                payload,
                hash,
                created_at,
            })
        })
        .collect()
}

/// Marks every row up to `high_water` acknowledged (head office holds them all).
pub async fn mark_sent(
    conn: &mut SqliteConnection,
    high_water: i64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("UPDATE outbox SET sent_at = ?2 WHERE sent_at IS NULL AND seq <= ?1")
            .bind(high_water)
            .bind(now.to_rfc3339())
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
