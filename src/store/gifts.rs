//! The gift catalogue (R-PTS-6): gifts with a points price, stock and campaign window.

use sqlx::SqliteConnection;

use super::{day, parse_day, StoreError};
use crate::domain::gift_exchange::Gift;

type Row = (String, String, i64, i64, String, String);

fn from_row(r: Row) -> Result<Gift, StoreError> {
    Ok(Gift {
        code: r.0,
        name: r.1,
        points_price: r.2,
        stock: r.3,
        available_from: parse_day(&r.4, "gifts.available_from")?,
        available_until: parse_day(&r.5, "gifts.available_until")?,
    })
}

pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Gift>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as("SELECT code, name, points_price, stock, available_from, available_until FROM gifts ORDER BY code").fetch_all(conn).await?;
    rows.into_iter().map(from_row).collect()
}

pub async fn find(conn: &mut SqliteConnection, code: &str) -> Result<Option<Gift>, StoreError> {
    let row: Option<Row> = sqlx::query_as("SELECT code, name, points_price, stock, available_from, available_until FROM gifts WHERE code = ?1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    row.map(from_row).transpose()
}

pub async fn upsert(conn: &mut SqliteConnection, g: &Gift) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO gifts (code, name, points_price, stock, available_from, available_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, points_price = excluded.points_price, stock = excluded.stock,
            available_from = excluded.available_from, available_until = excluded.available_until",
    )
    .bind(&g.code)
    .bind(&g.name)
    .bind(g.points_price)
    .bind(g.stock)
    .bind(day(g.available_from))
    .bind(day(g.available_until))
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes `quantity` from stock; the CHECK (stock >= 0) refuses an oversell under a race.
pub async fn take_stock(
    conn: &mut SqliteConnection,
    code: &str,
    quantity: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE gifts SET stock = stock - ?2 WHERE code = ?1")
        .bind(code)
        .bind(quantity)
        .execute(conn)
        .await?;
    Ok(())
}
