//! Sales, their lines and tenders: what the till committed, priced by the rules engine.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{day, fen, money, parse_day, StoreError};
use crate::action::Action;
use crate::domain::basket::{Basket, GoodsClass};
use crate::domain::quote::{LineBenefit, Quote};
use crate::domain::refund::SoldLine;

/// A sale already on file under a receipt number: enough to answer a retry.
pub struct Filed {
    pub id: i64,
    pub request_hash: String,
    pub response: String,
}

pub async fn find_by_receipt(
    conn: &mut SqliteConnection,
    store_id: &str,
    receipt_no: &str,
) -> Result<Option<Filed>, StoreError> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, request_hash, response FROM sales WHERE store_id = ?1 AND receipt_no = ?2",
    )
    .bind(store_id)
    .bind(receipt_no)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, request_hash, response)| Filed {
        id,
        request_hash,
        response,
    }))
}

/// Everything a committed sale writes besides ledger entries.
pub struct NewSale<'a> {
    pub receipt_no: &'a str,
    pub till_id: &'a str,
    pub card_number: Option<&'a str>,
    pub member_id: Option<&'a str>,
    pub basket: &'a Basket,
    pub quote: &'a Quote,
    pub cash_paid: Decimal,
    /// Per tender: whether the policy counts it as cash-like (R-PAY-1).
    pub cash_like: &'a [bool],
    pub policy_version: u32,
    pub request_hash: &'a str,
    /// The answer given to the till, replayed on a retry.
    pub response: &'a str,
}

/// Inserts the sale header, its lines and its tenders (three statements whatever the
/// basket size: this is the checkout's hot path); returns the sale id.
pub async fn insert(
    conn: &mut SqliteConnection,
    action: &Action,
    s: &NewSale<'_>,
) -> Result<i64, StoreError> {
    let q = s.quote;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sales (store_id, receipt_no, till_id, staff_id, card_number, member_id, business_day, committed_at, tier,
            birthday, group_purchase, non_cash_tender, gross_fen, discount_fen, net_fen, redeem_points, redeem_fen, payable_fen,
            cash_fen, points_earned, policy_version, request_hash, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)
         RETURNING id",
    )
    .bind(&action.store_id)
    .bind(s.receipt_no)
    .bind(s.till_id)
    .bind(&action.staff_id)
    .bind(s.card_number)
    .bind(s.member_id)
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .bind(q.tier.map(|t| t.as_str()))
    .bind(q.birthday)
    .bind(q.group_purchase)
    .bind(q.non_cash_tender)
    .bind(fen(q.gross_total, "gross_total")?)
    .bind(fen(q.discount_total, "discount_total")?)
    .bind(fen(q.net_total, "net_total")?)
    .bind(q.redeem_points)
    .bind(fen(q.redeem_value, "redeem_value")?)
    .bind(fen(q.payable, "payable")?)
    .bind(fen(s.cash_paid, "cash_paid")?)
    .bind(q.points_earned)
    .bind(i64::from(s.policy_version))
    .bind(s.request_hash)
    .bind(s.response)
    .fetch_one(&mut *conn)
    .await?;
    insert_lines(conn, id, s).await?;
    if !s.basket.tenders.is_empty() {
        let mut tenders = QueryBuilder::<Sqlite>::new(
            "INSERT INTO sale_tenders (sale_id, position, kind, amount_fen, cash_like) ",
        );
        let mut rows = Vec::with_capacity(s.basket.tenders.len());
        for (position, (tender, cash_like)) in s.basket.tenders.iter().zip(s.cash_like).enumerate()
        {
            rows.push((
                position as i64,
                tender.kind.as_str(),
                fen(tender.amount, "tender amount")?,
                *cash_like,
            ));
        }
        tenders.push_values(rows, |mut b, (position, kind, amount, cash_like)| {
            b.push_bind(id)
                .push_bind(position)
                .push_bind(kind)
                .push_bind(amount)
                .push_bind(cash_like);
        });
        tenders.build().execute(&mut *conn).await?;
    }
    Ok(id)
}

async fn insert_lines(
    conn: &mut SqliteConnection,
    sale_id: i64,
    s: &NewSale<'_>,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(s.quote.lines.len());
    for (line, p) in s.basket.lines.iter().zip(&s.quote.lines) {
        rows.push((
            p,
            line,
            fen(line.unit_price, "unit_price")?,
            line.original_unit_price
                .map(|p| fen(p, "original_unit_price"))
                .transpose()?,
            [
                fen(p.gross, "gross")?,
                fen(p.discount, "discount")?,
                fen(p.net, "net")?,
                fen(p.redemption_share, "redemption_share")?,
                fen(p.paid, "paid")?,
            ],
        ));
    }
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO sale_lines (sale_id, line_index, sku, class, quantity, unit_price_fen, original_unit_price_fen, other_promotion, rate, benefit,
            gross_fen, discount_fen, net_fen, redemption_fen, paid_fen, redemption_points, points_earned) ",
    );
    insert.push_values(rows, |mut b, (p, line, unit, original, amounts)| {
        b.push_bind(sale_id)
            .push_bind(p.index as i64)
            .push_bind(line.sku.as_str())
            .push_bind(line.class.as_str())
            .push_bind(i64::from(line.quantity))
            .push_bind(unit)
            .push_bind(original)
            .push_bind(line.other_promotion)
            .push_bind(p.rate.to_string())
            .push_bind(benefit_name(p.benefit));
        for a in amounts {
            b.push_bind(a);
        }
        b.push_bind(p.redemption_points).push_bind(p.points_earned);
    });
    insert.build().execute(conn).await?;
    Ok(())
}

fn benefit_name(b: LineBenefit) -> &'static str {
    match b {
        LineBenefit::Tier => "tier",
        LineBenefit::Birthday => "birthday",
        LineBenefit::BirthdaySale => "birthday_sale",
        LineBenefit::None => "none",
        LineBenefit::GroupPurchase => "group_purchase",
        LineBenefit::OtherPromotion => "other_promotion",
        LineBenefit::NonCashTender => "non_cash_tender",
    }
}

/// The header facts a refund needs.
pub struct SaleHead {
    pub id: i64,
    pub till_id: String,
    pub business_day: NaiveDate,
    pub card_number: Option<String>,
    pub payable: Decimal,
    pub cash_paid: Decimal,
}

pub async fn head(
    conn: &mut SqliteConnection,
    store_id: &str,
    receipt_no: &str,
) -> Result<Option<SaleHead>, StoreError> {
    let row: Option<(i64, String, String, Option<String>, i64, i64)> =
        sqlx::query_as("SELECT id, till_id, business_day, card_number, payable_fen, cash_fen FROM sales WHERE store_id = ?1 AND receipt_no = ?2")
            .bind(store_id)
            .bind(receipt_no)
            .fetch_optional(conn)
            .await?;
    row.map(|(id, till_id, business_day, card_number, payable, cash)| {
        Ok(SaleHead {
            id,
            till_id,
            business_day: parse_day(&business_day, "sales.business_day")?,
            card_number,
            payable: money(payable),
            cash_paid: money(cash),
        })
    })
    .transpose()
}

/// A sold line as the refund screen shows it: what it was and how much of it is left.
pub struct LineOnFile {
    pub index: usize,
    pub sku: String,
    pub class: GoodsClass,
    pub quantity: u32,
    pub unit_price: Decimal,
    /// What the customer paid for the whole line.
    pub paid: Decimal,
    pub refunded_quantity: u32,
}

pub async fn lines_on_file(
    conn: &mut SqliteConnection,
    sale_id: i64,
) -> Result<Vec<LineOnFile>, StoreError> {
    let rows: Vec<(i64, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT line_index, sku, class, quantity, unit_price_fen, paid_fen, refunded_quantity FROM sale_lines WHERE sale_id = ?1 ORDER BY line_index",
    )
    .bind(sale_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(index, sku, class, quantity, unit, paid, refunded)| {
            Ok(LineOnFile {
                index: usize::try_from(index)
                    .map_err(|_| StoreError::Corrupt("sale_lines.line_index"))?,
                sku,
                class: GoodsClass::parse(&class).ok_or(StoreError::Corrupt("sale_lines.class"))?,
                quantity: u32::try_from(quantity)
                    .map_err(|_| StoreError::Corrupt("sale_lines.quantity"))?,
                unit_price: money(unit),
                paid: money(paid),
                refunded_quantity: u32::try_from(refunded)
                    .map_err(|_| StoreError::Corrupt("sale_lines.refunded_quantity"))?,
            })
        })
        .collect()
}

pub async fn sold_lines(
    conn: &mut SqliteConnection,
    sale_id: i64,
) -> Result<Vec<SoldLine>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT line_index, quantity, paid_fen, redemption_points, points_earned, refunded_quantity FROM sale_lines WHERE sale_id = ?1 ORDER BY line_index",
    )
    .bind(sale_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(index, quantity, paid, redemption_points, points_earned, refunded)| {
                Ok(SoldLine {
                    index: usize::try_from(index)
                        .map_err(|_| StoreError::Corrupt("sale_lines.line_index"))?,
                    quantity: u32::try_from(quantity)
                        .map_err(|_| StoreError::Corrupt("sale_lines.quantity"))?,
                    paid: money(paid),
                    redemption_points,
                    points_earned,
                    refunded_quantity: u32::try_from(refunded)
                        .map_err(|_| StoreError::Corrupt("sale_lines.refunded_quantity"))?,
                })
            },
        )
        .collect()
}

pub async fn add_refunded(
    conn: &mut SqliteConnection,
    sale_id: i64,
    line_index: usize,
    quantity: u32,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sale_lines SET refunded_quantity = refunded_quantity + ?3 WHERE sale_id = ?1 AND line_index = ?2")
        .bind(sale_id)
        .bind(line_index as i64)
        .bind(i64::from(quantity))
        .execute(conn)
        .await?;
    Ok(())
}

/// Net purchases (payable less refunds) and purchase count with a card from `from` to `to`
/// inclusive — the card year the annual review judges (R-EXP-1/3).
pub async fn card_spend(
    conn: &mut SqliteConnection,
    card_number: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Decimal, u32), StoreError> {
    let (paid, count): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(payable_fen), 0), COUNT(*) FROM sales WHERE card_number = ?1 AND business_day BETWEEN ?2 AND ?3",
    )
    .bind(card_number)
    .bind(day(from))
    .bind(day(to))
    .fetch_one(&mut *conn)
    .await?;
    let refunded: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(r.amount_fen), 0) FROM refunds r JOIN sales s ON s.id = r.sale_id
         WHERE s.card_number = ?1 AND s.business_day BETWEEN ?2 AND ?3",
    )
    .bind(card_number)
    .bind(day(from))
    .bind(day(to))
    .fetch_one(conn)
    .await?;
    Ok((
        money(paid - refunded),
        u32::try_from(count).unwrap_or(u32::MAX),
    ))
}

/// Item names (SKUs) of a sale's lines by line index, for the refund receipt.
pub async fn line_names(
    conn: &mut SqliteConnection,
    store_id: &str,
    receipt_no: &str,
) -> Result<Vec<(usize, String)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT l.line_index, l.sku FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.store_id = ?1 AND s.receipt_no = ?2 ORDER BY l.line_index",
    )
    .bind(store_id)
    .bind(receipt_no)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(i, sku)| usize::try_from(i).ok().map(|i| (i, sku)))
        .collect())
}
