//! Receipts presented as proof of same-day cash spend (R-ENR-4, R-EXP-2): each qualifies once.

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use super::{day, money, parse_day, StoreError};
use crate::domain::enrolment::PresentedReceipt;

/// The presented receipts as the store recorded them; `Err(receipt_no)` for one the store has
/// no sale for. Cash paid is the sale's cash-like tenders less cash refunded since.
pub async fn presented(
    conn: &mut SqliteConnection,
    store_id: &str,
    receipt_nos: &[String],
) -> Result<Result<Vec<(i64, PresentedReceipt)>, String>, StoreError> {
    let mut out = Vec::with_capacity(receipt_nos.len());
    for no in receipt_nos {
        let row: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.business_day, s.cash_fen,
                    COALESCE((SELECT SUM(r.cash_fen) FROM refunds r WHERE r.sale_id = s.id), 0),
                    EXISTS (SELECT 1 FROM qualifying_receipts q WHERE q.sale_id = s.id)
             FROM sales s WHERE s.store_id = ?1 AND s.receipt_no = ?2",
        )
        .bind(store_id)
        .bind(no)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((id, d, cash, refunded, used)) = row else {
            return Ok(Err(no.clone()));
        };
        out.push((
            id,
            PresentedReceipt {
                receipt_no: no.clone(),
                sale_day: parse_day(&d, "sales.business_day")?,
                cash_paid: money(cash - refunded),
                already_used: used != 0,
            },
        ));
    }
    Ok(Ok(out))
}

/// Marks the receipts as used for `purpose` by `card_number`.
pub async fn claim(
    conn: &mut SqliteConnection,
    sale_ids: &[i64],
    purpose: &str,
    card_number: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    for id in sale_ids {
        sqlx::query("INSERT INTO qualifying_receipts (sale_id, purpose, card_number, used_on) VALUES (?1, ?2, ?3, ?4)")
            .bind(id)
            .bind(purpose)
            .bind(card_number)
            .bind(day(today))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
