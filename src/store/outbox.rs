//! The outbox of every change for head-office sync: written in the same transaction as the
//! change itself, so a change and its sync record exist together or not at all.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::StoreError;

/// Appends a change record. `topic` names the entity kind (`sale`, `card`, `member`, …).
pub async fn record(
    conn: &mut SqliteConnection,
    store_id: &str,
    topic: &str,
    entity_id: &str,
    payload: &impl Serialize,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let payload =
        serde_json::to_string(payload).map_err(|_| StoreError::Corrupt("outbox payload"))?;
    record_text(conn, store_id, topic, entity_id, &payload, now).await
}

/// [`record`] for a payload already serialised as JSON text (a sale's answer, which is
/// stored anyway: serialising it a second time is a measurable part of a checkout).
pub async fn record_text(
    conn: &mut SqliteConnection,
    store_id: &str,
    topic: &str,
    entity_id: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (store_id, topic, entity_id, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(store_id)
        .bind(topic)
        .bind(entity_id)
        .bind(payload)
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
