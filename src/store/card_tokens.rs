//! Contactless card UIDs bound to card numbers (card profile 2): the card carries nothing of
//! ours, so the database is what makes a UID a member card.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::StoreError;

/// The card number bound to `uid` (hex, upper case).
pub async fn card_for(
    conn: &mut SqliteConnection,
    uid: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT card_number FROM card_tokens WHERE uid = ?1")
            .bind(uid)
            .fetch_optional(conn)
            .await?,
    )
}

/// Binds `uid` to `card_number`. A UID bound to an older card (replaced, void) moves to the
/// new one: the plastic was reused.
pub async fn bind(
    conn: &mut SqliteConnection,
    uid: &str,
    card_number: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO card_tokens (uid, card_number, bound_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (uid) DO UPDATE SET card_number = excluded.card_number, bound_at = excluded.bound_at",
    )
    .bind(uid)
    .bind(card_number)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}
