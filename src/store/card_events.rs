//! Card events: the append-only history of each card (issued, upgraded, blocked, renewed, …).

use serde_json::Value;
use sqlx::SqliteConnection;

use super::{day, StoreError};
use crate::action::Action;

pub async fn record(
    conn: &mut SqliteConnection,
    action: &Action,
    card_number: &str,
    kind: &str,
    detail: &Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO card_events (store_id, card_number, kind, detail, staff_id, workstation, business_day, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&action.store_id)
    .bind(card_number)
    .bind(kind)
    .bind(detail.to_string())
    .bind(&action.staff_id)
    .bind(&action.workstation)
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    super::outbox::record(
        conn,
        &action.store_id,
        "card_event",
        card_number,
        &serde_json::json!({ "card_number": card_number, "kind": kind, "detail": detail, "staff_id": action.staff_id, "business_day": day(action.today) }),
        action.now,
    )
    .await
}

/// A card's events, oldest first, as (kind, business day).
pub async fn kinds_for(
    conn: &mut SqliteConnection,
    card_number: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, business_day FROM card_events WHERE card_number = ?1 ORDER BY id",
    )
    .bind(card_number)
    .fetch_all(conn)
    .await?)
}
