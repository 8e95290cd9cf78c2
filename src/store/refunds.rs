//! Refunds of committed sales, by receipt and lines (R-PTS-9).

use rust_decimal::Decimal;
use sqlx::SqliteConnection;

use super::{day, fen, StoreError};
use crate::action::Action;
use crate::domain::refund::RefundPlan;

pub struct Filed {
    pub request_hash: String,
    pub response: String,
}

pub async fn find(
    conn: &mut SqliteConnection,
    store_id: &str,
    refund_no: &str,
) -> Result<Option<Filed>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT request_hash, response FROM refunds WHERE store_id = ?1 AND refund_no = ?2",
    )
    .bind(store_id)
    .bind(refund_no)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(request_hash, response)| Filed {
        request_hash,
        response,
    }))
}

pub struct NewRefund<'a> {
    pub refund_no: &'a str,
    pub sale_id: i64,
    pub till_id: &'a str,
    pub plan: &'a RefundPlan,
    pub cash_refund: Decimal,
    pub debt_added: i64,
    pub request_hash: &'a str,
}

pub async fn insert(
    conn: &mut SqliteConnection,
    action: &Action,
    r: &NewRefund<'_>,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (store_id, refund_no, sale_id, till_id, staff_id, business_day, created_at, amount_fen, cash_fen,
            points_reversed, points_restored, debt_added, request_hash, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, '') RETURNING id",
    )
    .bind(&action.store_id)
    .bind(r.refund_no)
    .bind(r.sale_id)
    .bind(r.till_id)
    .bind(&action.staff_id)
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .bind(fen(r.plan.amount, "refund amount")?)
    .bind(fen(r.cash_refund, "cash refund")?)
    .bind(r.plan.points_reversed)
    .bind(r.plan.points_restored)
    .bind(r.debt_added)
    .bind(r.request_hash)
    .fetch_one(&mut *conn)
    .await?;
    for line in &r.plan.lines {
        sqlx::query(
            "INSERT INTO refund_lines (refund_id, line_index, quantity, amount_fen, points_reversed, points_restored) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id)
        .bind(line.index as i64)
        .bind(i64::from(line.quantity))
        .bind(fen(line.amount, "refund line amount")?)
        .bind(line.points_reversed)
        .bind(line.points_restored)
        .execute(&mut *conn)
        .await?;
        super::sales::add_refunded(conn, r.sale_id, line.index, line.quantity).await?;
    }
    Ok(id)
}

pub async fn set_response(
    conn: &mut SqliteConnection,
    refund_id: i64,
    response: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE refunds SET response = ?2 WHERE id = ?1")
        .bind(refund_id)
        .bind(response)
        .execute(conn)
        .await?;
    Ok(())
}
