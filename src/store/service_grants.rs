//! Gifts, vouchers and tickets handed out at the lounge (R-ENR-6, R-SRV-1/2, R-PTS-6).
//! Partial unique indexes make "once per day / year" hold even under a race.

use serde_json::Value;
use sqlx::SqliteConnection;

use super::{day, StoreError};
use crate::action::Action;
use crate::domain::events::{Event, ServiceGranted};

/// Kinds of grant, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    WelcomeGift,
    Parking,
    BirthdayGift,
    GiftExchange,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::WelcomeGift => "welcome_gift",
            GrantKind::Parking => "parking",
            GrantKind::BirthdayGift => "birthday_gift",
            GrantKind::GiftExchange => "gift_exchange",
        }
    }
}

pub async fn record(
    conn: &mut SqliteConnection,
    action: &Action,
    kind: GrantKind,
    card_number: &str,
    member_id: &str,
    quantity: i64,
    detail: &Value,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO service_grants (kind, card_number, member_id, business_day, quantity, detail, staff_id, created_at, workstation)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(card_number)
    .bind(member_id)
    .bind(day(action.today))
    .bind(quantity)
    .bind(detail.to_string())
    .bind(&action.staff_id)
    .bind(action.now.to_rfc3339())
    .bind(&action.workstation)
    .fetch_one(&mut *conn)
    .await?;
    let grant = ServiceGranted {
        grant_id: id,
        kind: kind.as_str().to_owned(),
        card_number: card_number.to_owned(),
        member_id: member_id.to_owned(),
        business_day: action.today,
        quantity,
        detail: detail.clone(),
        staff_id: action.staff_id.clone(),
        workstation: action.workstation.clone(),
    };
    // A gift exchanged for points is its own kind: head office counts it against the points.
    let event = match kind {
        GrantKind::GiftExchange => Event::GiftExchanged(grant),
        _ => Event::ServiceGranted(grant),
    };
    super::outbox::record(
        conn,
        &action.store_id,
        &format!("{}:{id}", action.store_id),
        &event,
        action.now,
    )
    .await?;
    Ok(id)
}

/// Parking already given to this card today (R-SRV-1).
pub async fn parking_given(
    conn: &mut SqliteConnection,
    card_number: &str,
    today: chrono::NaiveDate,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_grants WHERE kind = 'parking' AND card_number = ?1 AND business_day = ?2")
        .bind(card_number)
        .bind(day(today))
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Birthday gift already given to this member in `year` (R-SRV-2), at any card.
pub async fn birthday_gift_given(
    conn: &mut SqliteConnection,
    member_id: &str,
    year: i32,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_grants WHERE kind = 'birthday_gift' AND member_id = ?1 AND substr(business_day, 1, 4) = ?2")
        .bind(member_id)
        .bind(format!("{year:04}"))
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}
