//! What head office shows its staff: per-store sync state, flagged debts, events kept but
//! not understood, and alarms.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::error::HqError;

#[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoreSync {
    pub store_id: String,
    pub name: String,
    pub high_water: i64,
    /// Largest seq stored (above `high_water` when a gap waits to be filled).
    pub stored_max: Option<i64>,
    pub last_push_at: Option<DateTime<Utc>>,
    /// How old the event at the high-water mark was when it arrived (whole seconds).
    pub lag_seconds: Option<i64>,
}

pub async fn stores(pool: &PgPool) -> Result<Vec<StoreSync>, HqError> {
    Ok(sqlx::query_as(
        "SELECT s.store_id, s.name, s.high_water,
                (SELECT MAX(seq) FROM events e WHERE e.store_id = s.store_id) AS stored_max,
                s.last_push_at,
                FLOOR(EXTRACT(EPOCH FROM (s.last_push_at - s.high_water_at)))::bigint AS lag_seconds
         FROM stores s ORDER BY s.store_id",
    )
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct Debt {
    pub id: i64,
    pub card_number: String,
    pub store_id: String,
    pub points: i64,
    pub balance_after: i64,
    pub balance_now: Option<i64>,
    pub flagged_at: DateTime<Utc>,
}

pub async fn debts(pool: &PgPool) -> Result<Vec<Debt>, HqError> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.card_number, d.store_id, d.points, d.balance_after, b.points AS balance_now, d.flagged_at
         FROM debts d LEFT JOIN balances b ON b.card_number = d.card_number ORDER BY d.id",
    )
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct UnknownEvents {
    pub store_id: String,
    pub kind: String,
    pub version: i32,
    pub count: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    /// Why a known kind was not understood (its payload broke the contract), if so.
    pub problem: Option<String>,
}

pub async fn unknown_events(pool: &PgPool) -> Result<Vec<UnknownEvents>, HqError> {
    Ok(sqlx::query_as(
        "SELECT store_id, kind, version, COUNT(*) AS count, MIN(seq) AS first_seq, MAX(seq) AS last_seq,
                MAX(problem) AS problem
         FROM events WHERE NOT known GROUP BY store_id, kind, version ORDER BY store_id, kind, version",
    )
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct Alarm {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub store_id: String,
    pub code: String,
    pub seq: Option<i64>,
    pub stored_hash: Option<String>,
    pub sent_hash: Option<String>,
}

pub async fn alarms(pool: &PgPool) -> Result<Vec<Alarm>, HqError> {
    Ok(sqlx::query_as(
        "SELECT id, at, store_id, code, seq, stored_hash, sent_hash FROM alarms ORDER BY id",
    )
    .fetch_all(pool)
    .await?)
}
