//! Two-phase card issuing shared by enrolment, upgrade and replacement: the number is
//! reserved in one transaction, the card is written (and read back) by the `CardWriter`,
//! then the caller activates in a second transaction. A failed write voids the reservation
//! (the number stays consumed, never reused) and leaves everything else as it was.

use std::sync::Arc;

use serde_json::json;

use super::FlowError;
use crate::action::Action;
use crate::card::{CardRecord, CardWriteError, CardWriter};
use crate::domain::card_number::CardNumber;
use crate::domain::card_status::CardState;
use crate::kiosk::Kiosk;
use crate::store::{
    self,
    cards::{Card, NewCard},
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

/// Phase one: mints the store's next card number for `card` as a reservation, records why
/// (`purpose`), and returns it. The caller commits the transaction `conn` belongs to.
pub async fn reserve(
    conn: &mut SqliteConnection,
    k: &Kiosk,
    action: &Action,
    card: NewCard<'_>,
    purpose: &str,
) -> Result<Card, FlowError> {
    let detail = json!({ "tier": card.tier, "purpose": purpose, "replaces": card.replaces });
    let number = store::cards::reserve(
        conn,
        action,
        &k.config.issuer_prefix,
        &k.config.store_id,
        card,
    )
    .await?;
    store::card_events::record(conn, action, &number, "reserved", &detail).await?;
    store::cards::find(conn, &number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })
}

/// Phase three refused after the card was written: rolls `tx` back (freeing the single
/// writer connection), voids the reservation, and hands back `refusal` for the operator.
pub async fn abandon(
    k: &Kiosk,
    action: &Action,
    tx: Transaction<'_, Sqlite>,
    card_number: &str,
    refusal: FlowError,
) -> FlowError {
    drop(tx);
    match void(k, action, card_number, &refusal.to_string()).await {
        Ok(()) => refusal,
        Err(e) => e,
    }
}

/// Writes `card` (a reservation) at the action's workstation; on failure voids it and
/// returns the write error for the operator ("card removed, insert it again").
pub async fn write_card(k: &Kiosk, action: &Action, card: &Card) -> Result<(), FlowError> {
    let record = CardRecord {
        card_number: card.number.clone(),
        generation: u32::try_from(card.generation).unwrap_or(u32::MAX),
        tier: card.tier,
        valid_from: card.valid_from,
        expiry: card.expiry,
        issuing_store: card.issued_store.clone(),
    };
    let writer: Arc<dyn CardWriter> = k.card_writer.clone();
    let workstation = action.workstation.clone();
    // Card readers block; keep them off the async executor.
    let outcome = tokio::task::spawn_blocking(move || writer.write(&workstation, &record))
        .await
        .unwrap_or_else(|e| {
            Err(CardWriteError::Reader(format!(
                "card writer task failed: {e}"
            )))
        });
    if let Err(error) = outcome {
        let mut tx = k.db.writer.begin().await?;
        store::cards::set_state(&mut tx, action, &card.number, CardState::Void).await?;
        store::card_events::record(
            &mut tx,
            action,
            &card.number,
            "write_failed",
            &json!({ "error": error.to_string() }),
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(card = %masked(&card.number), %error, "card write failed; reservation voided");
        return Err(error.into());
    }
    Ok(())
}

/// Voids a reservation: its number stays consumed, never reused.
async fn void(k: &Kiosk, action: &Action, card_number: &str, why: &str) -> Result<(), FlowError> {
    let mut tx = k.db.writer.begin().await?;
    store::cards::set_state(&mut tx, action, card_number, CardState::Void).await?;
    store::card_events::record(
        &mut tx,
        action,
        card_number,
        "voided",
        &json!({ "reason": why }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A card number fit for logs: all but the last four digits hidden.
pub fn masked(number: &str) -> String {
    CardNumber::parse(number)
        .map(|c| c.masked())
        .unwrap_or_else(|_| "(invalid)".into())
}
