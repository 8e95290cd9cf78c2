//! The counts behind the back office's reports, read from the ledger, the card events, the
//! cards and the print queue over a range of store-local days. Sparse (only days with
//! something in them); `domain::reports` shapes them into day-by-day series.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::{day, parse_day, StoreError};
use crate::domain::reports::{PointsMoves, ReportRange, ENROLLED};
use crate::domain::tier::Tier;
use crate::printer::PrintFault;

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Cards by tier and state (`active`, `inactive`, `blocked`: the states a member's card is in).
pub async fn cards_by_tier(
    conn: &mut SqliteConnection,
) -> Result<Vec<(Tier, String, u32)>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT tier, state, COUNT(*) FROM cards
         WHERE state IN ('active', 'inactive', 'blocked') GROUP BY tier, state",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(tier, state, n)| {
            let tier = Tier::parse(&tier).ok_or(StoreError::Corrupt("cards.tier"))?;
            Ok((tier, state, count(n)))
        })
        .collect()
}

/// Card events by day and kind; a first card's `issued` (it carries the enrolment's qualifying
/// spend) counts as [`ENROLLED`].
pub async fn card_events_by_day(
    conn: &mut SqliteConnection,
    range: &ReportRange,
) -> Result<Vec<(NaiveDate, String, u32)>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT business_day,
                CASE WHEN kind = 'issued' AND json_extract(detail, '$.qualifying_spend') IS NOT NULL
                     THEN ?3 ELSE kind END AS k,
                COUNT(*)
         FROM card_events WHERE business_day BETWEEN ?1 AND ?2 GROUP BY business_day, k",
    )
    .bind(day(range.from))
    .bind(day(range.to))
    .bind(ENROLLED)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, kind, n)| Ok((parse_day(&d, "card_events.business_day")?, kind, count(n))))
        .collect()
}

/// The ledger's sum of every entry booked before `before`: the points outstanding then.
pub async fn points_outstanding_before(
    conn: &mut SqliteConnection,
    before: NaiveDate,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE business_day < ?1",
    )
    .bind(day(before))
    .fetch_one(conn)
    .await?)
}

/// Points issued (earned, bonus, added by hand), redeemed (toward sales, for gifts) and the
/// net of every entry, by day.
pub async fn points_by_day(
    conn: &mut SqliteConnection,
    range: &ReportRange,
) -> Result<Vec<PointsMoves>, StoreError> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT business_day,
                COALESCE(SUM(CASE WHEN kind IN ('earn', 'bonus') OR (kind = 'adjustment' AND points > 0) THEN points END), 0),
                COALESCE(SUM(CASE WHEN kind IN ('redeem', 'gift_exchange') THEN -points END), 0),
                SUM(points)
         FROM points_ledger WHERE business_day BETWEEN ?1 AND ?2
         GROUP BY business_day",
    )
    .bind(day(range.from))
    .bind(day(range.to))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, issued, redeemed, net)| {
            Ok(PointsMoves {
                day: parse_day(&d, "points_ledger.business_day")?,
                issued,
                redeemed,
                net,
            })
        })
        .collect()
}

/// The SQLite modifier that turns a UTC instant into store-local time.
fn local_modifier(utc_offset_minutes: i32) -> String {
    format!("{utc_offset_minutes:+} minutes")
}

/// Print jobs by the store-local day they were queued: all of them, those printed only after
/// a retry, and those failed now.
pub async fn print_jobs_by_day(
    conn: &mut SqliteConnection,
    range: &ReportRange,
    utc_offset_minutes: i32,
) -> Result<Vec<(NaiveDate, u32, u32, u32)>, StoreError> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT date(created_at, ?3) AS d, COUNT(*),
                COUNT(CASE WHEN state = 'printed' AND attempts > 1 THEN 1 END),
                COUNT(CASE WHEN state = 'failed' THEN 1 END)
         FROM print_jobs WHERE date(created_at, ?3) BETWEEN ?1 AND ?2 GROUP BY d",
    )
    .bind(day(range.from))
    .bind(day(range.to))
    .bind(local_modifier(utc_offset_minutes))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, jobs, retried, failed)| {
            Ok((
                parse_day(&d, "print_jobs.created_at")?,
                count(jobs),
                count(retried),
                count(failed),
            ))
        })
        .collect()
}

/// Failed print jobs of one day at one workstation with one fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrintFaultCount {
    pub day: NaiveDate,
    pub workstation: String,
    pub fault: PrintFault,
    pub jobs: u32,
}

/// The jobs failed now, by the day they were queued, workstation and fault.
pub async fn open_print_faults(
    conn: &mut SqliteConnection,
    range: &ReportRange,
    utc_offset_minutes: i32,
) -> Result<Vec<PrintFaultCount>, StoreError> {
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT date(created_at, ?3) AS d, workstation, fault, COUNT(*)
         FROM print_jobs WHERE state = 'failed' AND date(created_at, ?3) BETWEEN ?1 AND ?2
         GROUP BY d, workstation, fault ORDER BY d, workstation, fault",
    )
    .bind(day(range.from))
    .bind(day(range.to))
    .bind(local_modifier(utc_offset_minutes))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, workstation, fault, n)| {
            Ok(PrintFaultCount {
                day: parse_day(&d, "print_jobs.created_at")?,
                workstation,
                fault: fault
                    .as_deref()
                    .and_then(PrintFault::parse)
                    .ok_or(StoreError::Corrupt("print_jobs.fault"))?,
                jobs: count(n),
            })
        })
        .collect()
}
