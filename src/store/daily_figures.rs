//! One workstation's day in figures, for the end-of-day membership summary: sales and
//! refunds at the till, card operations at the counters, services handed out.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::SqliteConnection;

use super::{day, money, StoreError};
use crate::domain::tier::PerTier;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyFigures {
    pub sales: u32,
    pub sales_with_card: u32,
    pub card_sales_amount: Decimal,
    pub member_savings: Decimal,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub refunds: u32,
    pub refund_total: Decimal,
    /// Card events by kind (`issued` by enrolment, `upgraded`, `reactivated`, …).
    pub card_events: Vec<(String, u32)>,
    pub new_members: PerTier<u32>,
    pub replacement_fees: Decimal,
    /// Service grants by kind (`parking`, `birthday_gift`, `gift_exchange`, `welcome_gift`).
    pub grants: Vec<(String, u32)>,
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub async fn for_day(
    conn: &mut SqliteConnection,
    workstation: &str,
    on: NaiveDate,
) -> Result<DailyFigures, StoreError> {
    let d = day(on);
    let (sales, with_card, card_amount, savings, earned, redeemed): (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(card_number),
                COALESCE(SUM(CASE WHEN card_number IS NOT NULL THEN payable_fen END), 0),
                COALESCE(SUM(discount_fen), 0), COALESCE(SUM(points_earned), 0), COALESCE(SUM(redeem_points), 0)
         FROM sales WHERE till_id = ?1 AND business_day = ?2",
    )
    .bind(workstation)
    .bind(&d)
    .fetch_one(&mut *conn)
    .await?;
    let (refunds, refund_total): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM refunds WHERE till_id = ?1 AND business_day = ?2")
        .bind(workstation)
        .bind(&d)
        .fetch_one(&mut *conn)
        .await?;
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT CASE WHEN kind = 'issued' AND json_extract(detail, '$.qualifying_spend') IS NOT NULL THEN 'enrolled' ELSE kind END AS k, COUNT(*)
         FROM card_events WHERE workstation = ?1 AND business_day = ?2 GROUP BY k ORDER BY k",
    )
    .bind(workstation)
    .bind(&d)
    .fetch_all(&mut *conn)
    .await?;
    let tiers: Vec<(String, i64)> = sqlx::query_as(
        "SELECT json_extract(detail, '$.tier'), COUNT(*) FROM card_events
         WHERE workstation = ?1 AND business_day = ?2 AND kind = 'issued' AND json_extract(detail, '$.qualifying_spend') IS NOT NULL
         GROUP BY 1",
    )
    .bind(workstation)
    .bind(&d)
    .fetch_all(&mut *conn)
    .await?;
    let fees: Vec<(String,)> = sqlx::query_as(
        "SELECT detail FROM card_events WHERE workstation = ?1 AND business_day = ?2 AND kind = 'replacement_fee' AND json_extract(detail, '$.waived') = 0",
    )
    .bind(workstation)
    .bind(&d)
    .fetch_all(&mut *conn)
    .await?;
    let grants: Vec<(String, i64)> = sqlx::query_as("SELECT kind, COUNT(*) FROM service_grants WHERE workstation = ?1 AND business_day = ?2 GROUP BY kind ORDER BY kind")
        .bind(workstation)
        .bind(&d)
        .fetch_all(&mut *conn)
        .await?;
    let mut new_members = PerTier {
        vip: 0,
        gold: 0,
        platinum: 0,
    };
    for (tier, n) in tiers {
        match tier.as_str() {
            "vip" => new_members.vip = count(n),
            "gold" => new_members.gold = count(n),
            "platinum" => new_members.platinum = count(n),
            _ => {}
        }
    }
    // Fees are in the event detail as a decimal string; an unreadable one counts as 0.
    let replacement_fees = fees
        .iter()
        .filter_map(|(detail,)| {
            serde_json::from_str::<serde_json::Value>(detail)
                .ok()?
                .get("fee")?
                .as_str()?
                .parse::<Decimal>()
                .ok()
        })
        .sum();
    Ok(DailyFigures {
        sales: count(sales),
        sales_with_card: count(with_card),
        card_sales_amount: money(card_amount),
        member_savings: money(savings),
        points_earned: earned,
        points_redeemed: redeemed,
        refunds: count(refunds),
        refund_total: money(refund_total),
        card_events: events.into_iter().map(|(k, n)| (k, count(n))).collect(),
        new_members,
        replacement_fees,
        grants: grants.into_iter().map(|(k, n)| (k, count(n))).collect(),
    })
}
