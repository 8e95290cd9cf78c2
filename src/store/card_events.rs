//! Card events: the append-only history of each card (issued, upgraded, blocked, renewed, …),
//! and for every change head office must know, the `card.<cause>` event carrying the card's
//! full row after the change, in the same transaction.

use serde_json::Value;
use sqlx::SqliteConnection;

use super::{day, StoreError};
use crate::action::Action;
use crate::domain::events::{CardCause, CardChanged, Event};

/// What happened to a card, as its history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEventKind {
    /// A number reserved for an issue in progress (local: the card is not live yet).
    Reserved,
    /// The card could not be written; the reservation was voided (local).
    WriteFailed,
    /// A reservation voided: refused, interrupted or stale (local).
    Voided,
    Issued,
    Upgraded,
    LossReported,
    LossReportWithdrawn,
    Replaced,
    Reactivated,
    Renewed,
    Downgraded,
    Inactivated,
    Rewritten,
    PointsAdjusted,
    ReplacementFee,
}

impl CardEventKind {
    /// As stored in `card_events.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            CardEventKind::Reserved => "reserved",
            CardEventKind::WriteFailed => "write_failed",
            CardEventKind::Voided => "voided",
            CardEventKind::Issued => "issued",
            CardEventKind::Upgraded => "upgraded",
            CardEventKind::LossReported => "loss_reported",
            CardEventKind::LossReportWithdrawn => "loss_report_withdrawn",
            CardEventKind::Replaced => "replaced",
            CardEventKind::Reactivated => "reactivated",
            CardEventKind::Renewed => "renewed",
            CardEventKind::Downgraded => "downgraded",
            CardEventKind::Inactivated => "inactivated",
            CardEventKind::Rewritten => "rewritten",
            CardEventKind::PointsAdjusted => "points_adjusted",
            CardEventKind::ReplacementFee => "replacement_fee",
        }
    }

    /// The event-contract cause this kind is sent as; None for the kinds that stay in the
    /// store (a reservation and its voiding never make a card live anywhere).
    pub fn cause(self) -> Option<CardCause> {
        match self {
            CardEventKind::Reserved | CardEventKind::WriteFailed | CardEventKind::Voided => None,
            CardEventKind::Issued => Some(CardCause::Issued),
            CardEventKind::Upgraded => Some(CardCause::Upgraded),
            CardEventKind::LossReported => Some(CardCause::LossReported),
            CardEventKind::LossReportWithdrawn => Some(CardCause::LossReportWithdrawn),
            CardEventKind::Replaced => Some(CardCause::Replaced),
            CardEventKind::Reactivated => Some(CardCause::Reactivated),
            CardEventKind::Renewed => Some(CardCause::Renewed),
            CardEventKind::Downgraded => Some(CardCause::Downgraded),
            CardEventKind::Inactivated => Some(CardCause::Inactivated),
            CardEventKind::Rewritten => Some(CardCause::Rewritten),
            CardEventKind::PointsAdjusted => Some(CardCause::PointsAdjusted),
            CardEventKind::ReplacementFee => Some(CardCause::ReplacementFee),
        }
    }
}

/// Records `kind` in the card's history and, for a kind head office must know, its
/// `card.<cause>` event with the card's row as it is now: call it after the change.
pub async fn record(
    conn: &mut SqliteConnection,
    action: &Action,
    card_number: &str,
    kind: CardEventKind,
    detail: &Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO card_events (store_id, card_number, kind, detail, staff_id, workstation, business_day, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&action.store_id)
    .bind(card_number)
    .bind(kind.as_str())
    .bind(detail.to_string())
    .bind(&action.staff_id)
    .bind(&action.workstation)
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    let Some(cause) = kind.cause() else {
        return Ok(());
    };
    let card = super::cards::snapshot(conn, card_number).await?;
    let event = Event::Card(
        cause,
        CardChanged {
            card,
            staff_id: action.staff_id.clone(),
            workstation: action.workstation.clone(),
            business_day: action.today,
            at: action.now,
            detail: detail.clone(),
        },
    );
    super::outbox::record(conn, &action.store_id, card_number, &event, action.now).await
}

/// A card's events, oldest first, as (kind, business day).
pub async fn kinds_for(
    conn: &mut SqliteConnection,
    card_number: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, business_day FROM card_events WHERE card_number = ?1 ORDER BY id",
    )
    .bind(card_number)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_a_local_kind_and_local_kinds_stay_local() {
        let all = [
            CardEventKind::Reserved,
            CardEventKind::WriteFailed,
            CardEventKind::Voided,
            CardEventKind::Issued,
            CardEventKind::Upgraded,
            CardEventKind::LossReported,
            CardEventKind::LossReportWithdrawn,
            CardEventKind::Replaced,
            CardEventKind::Reactivated,
            CardEventKind::Renewed,
            CardEventKind::Downgraded,
            CardEventKind::Inactivated,
            CardEventKind::Rewritten,
            CardEventKind::PointsAdjusted,
            CardEventKind::ReplacementFee,
        ];
        for cause in CardCause::ALL {
            let kinds: Vec<_> = all.iter().filter(|k| k.cause() == Some(cause)).collect();
            assert_eq!(kinds.len(), 1, "{cause:?}");
            // The stored kind is the event kind without its `card.` prefix.
            assert_eq!(format!("card.{}", kinds[0].as_str()), cause.kind());
        }
        assert_eq!(all.iter().filter(|k| k.cause().is_none()).count(), 3);
    }
}
