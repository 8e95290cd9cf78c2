//! The change feed stores pull (`GET /sync/v1/changes`): members, merged cards, other stores'
//! points entries, debts and head office's own changes, in one id order. Changes are written
//! under one advisory transaction lock held to commit, so ids become visible in id order and
//! a reader's cursor never steps over a change that commits later.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};

use super::error::HqError;
use crate::sync::protocol::{Change, ChangeBody, ChangesAnswer};

/// The advisory lock key of the feed (any constant no other code uses).
const FEED_LOCK: i64 = 0x4b49_4f53_4b46_4545;

/// Most changes in one page.
pub const MAX_PAGE: i64 = 1000;

/// Appends changes in the given order. Takes the feed lock (held until the transaction
/// ends): call it last in a transaction, just before the commit.
pub async fn append(
    tx: &mut PgConnection,
    changes: &[(Option<String>, ChangeBody)],
) -> Result<(), HqError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut origins = Vec::with_capacity(changes.len());
    let mut bodies = Vec::with_capacity(changes.len());
    for (origin, body) in changes {
        origins.push(origin.clone());
        bodies.push(serde_json::to_string(body).map_err(|e| HqError::Internal(e.to_string()))?);
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(FEED_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO changes (origin, body)
         SELECT o, b::jsonb FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS t(o, b, n)
         ORDER BY n",
    )
    .bind(&origins)
    .bind(&bodies)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One page after `after` for `store_id`, leaving out what that store itself caused; `next`
/// moves past those too.
pub async fn page(
    pool: &PgPool,
    store_id: &str,
    after: i64,
    limit: i64,
) -> Result<ChangesAnswer, HqError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, origin, CASE WHEN origin = $3 THEN NULL ELSE body::text END
         FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .bind(store_id)
    .fetch_all(pool)
    .await?;
    let next = rows.last().map_or(after, |r| r.0);
    let mut changes = Vec::with_capacity(rows.len());
    for (id, origin, body) in rows {
        let Some(body) = body else { continue };
        let body: ChangeBody =
            serde_json::from_str(&body).map_err(|e| HqError::Internal(e.to_string()))?;
        changes.push(Change { id, origin, body });
    }
    Ok(ChangesAnswer {
        changes,
        next,
        at: Utc::now(),
    })
}
