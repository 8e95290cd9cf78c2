//! Stored policy versions: the charter default is version 1; head office pushes newer ones.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{day, StoreError};
use crate::domain::policy::Policy;

/// Stores `policy` unless its version is already on file (versions never change once stored).
pub async fn insert_if_new(
    conn: &mut SqliteConnection,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let body = serde_json::to_string(policy).map_err(|_| StoreError::Corrupt("policy"))?;
    let done = sqlx::query("INSERT INTO policy_versions (version, effective_from, body, received_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (version) DO NOTHING")
        .bind(i64::from(policy.version))
        .bind(day(policy.effective_from))
        .bind(body)
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every stored version, oldest first.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Policy>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT body FROM policy_versions ORDER BY version")
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|(b,)| {
            serde_json::from_str(&b).map_err(|_| StoreError::Corrupt("policy_versions.body"))
        })
        .collect()
}
