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
