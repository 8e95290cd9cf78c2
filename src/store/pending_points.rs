//! Points waiting for a card of another store (`pending_card_points`, docs/sync.md §9a): a
//! sale made offline on a card whose record verified but which was not on file keeps its
//! earned points here until the card arrives by sync.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqliteConnection;

use super::{day, parse_day, StoreError};
use crate::domain::Tier;

/// What a sale on a foreign card leaves waiting.
pub struct NewPending<'a> {
    pub sale_id: i64,
    pub receipt_no: &'a str,
    pub card_number: &'a str,
    pub tier: Tier,
    pub points: i64,
    pub business_day: NaiveDate,
    pub staff_id: &'a str,
    pub record_seq: u32,
    pub key_id: u8,
}

/// One sale's waiting points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub sale_id: i64,
    pub receipt_no: String,
    pub card_number: String,
    pub points: i64,
    /// Taken back by refunds before the card arrived.
    pub reversed: i64,
    pub business_day: NaiveDate,
    pub staff_id: String,
    pub applied: bool,
}

pub async fn insert(
    conn: &mut SqliteConnection,
    p: &NewPending<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pending_card_points (sale_id, receipt_no, card_number, tier, points, business_day, staff_id, record_seq, key_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(p.sale_id)
    .bind(p.receipt_no)
    .bind(p.card_number)
    .bind(p.tier.as_str())
    .bind(p.points.max(0))
    .bind(day(p.business_day))
    .bind(p.staff_id)
    .bind(i64::from(p.record_seq))
    .bind(i64::from(p.key_id))
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

type Row = (
    i64,
    String,
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
);

const COLUMNS: &str =
    "sale_id, receipt_no, card_number, points, reversed, business_day, staff_id, applied_at";

fn pending(r: Row) -> Result<Pending, StoreError> {
    Ok(Pending {
        sale_id: r.0,
        receipt_no: r.1,
        card_number: r.2,
        points: r.3,
        reversed: r.4,
        business_day: parse_day(&r.5, "pending_card_points.business_day")?,
        staff_id: r.6,
        applied: r.7.is_some(),
    })
}

/// The points a sale left waiting (applied or not), if it was a foreign-card sale.
pub async fn for_sale(
    conn: &mut SqliteConnection,
    sale_id: i64,
) -> Result<Option<Pending>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM pending_card_points WHERE sale_id = ?1"
    ))
    .bind(sale_id)
    .fetch_optional(conn)
    .await?;
    row.map(pending).transpose()
}

/// The card's sales whose points still wait, oldest first.
pub async fn waiting(
    conn: &mut SqliteConnection,
    card_number: &str,
) -> Result<Vec<Pending>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM pending_card_points WHERE card_number = ?1 AND applied_at IS NULL ORDER BY sale_id"
    ))
    .bind(card_number)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(pending).collect()
}

/// A refund before the card arrived takes `points` back (at most what is left).
pub async fn reverse(
    conn: &mut SqliteConnection,
    sale_id: i64,
    points: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE pending_card_points SET reversed = MIN(points, reversed + ?2)
         WHERE sale_id = ?1 AND applied_at IS NULL",
    )
    .bind(sale_id)
    .bind(points.max(0))
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a sale's points applied; false if they were applied already (nothing to book).
pub async fn mark_applied(
    conn: &mut SqliteConnection,
    sale_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE pending_card_points SET applied_at = ?2 WHERE sale_id = ?1 AND applied_at IS NULL",
    )
    .bind(sale_id)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The sale now names its card (on file at last): refunds and the store's review see it as
/// an ordinary card sale from here on.
pub async fn link_sale(
    conn: &mut SqliteConnection,
    sale_id: i64,
    card_number: &str,
    member_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sales SET card_number = ?2, member_id = ?3 WHERE id = ?1")
        .bind(sale_id)
        .bind(card_number)
        .bind(member_id)
        .execute(conn)
        .await?;
    Ok(())
}
