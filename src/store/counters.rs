//! Named per-store counters (card number sequence): each value is handed out once, ever.

use sqlx::SqliteConnection;

use super::StoreError;

/// Takes the next value of `name` (starting at 1). Runs inside the caller's transaction, so a
/// rolled-back issue gives the number back; a committed reservation keeps it for good.
pub async fn next(conn: &mut SqliteConnection, name: &str) -> Result<i64, StoreError> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, next_value) VALUES (?1, 2)
         ON CONFLICT (name) DO UPDATE SET next_value = next_value + 1
         RETURNING next_value - 1",
    )
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(value)
}
