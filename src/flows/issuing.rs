//! Two-phase card issuing shared by enrolment, upgrade and replacement: the number is
//! reserved in one transaction, the card is written (and read back) at the workstation's reader,
//! then the caller activates in a second transaction. A failed write voids the reservation
//! (the number stays consumed, never reused) and leaves everything else as it was.

use serde_json::json;

use super::card_check::identity_of;
use super::card_io;
use super::FlowError;
use crate::action::Action;
use crate::card::reader::CardSeen;
use crate::card::record::CardContent;
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

/// What phase two put on the card, for the activation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenCard {
    /// The contactless card's UID (hex) to bind to the number; `None` for an ISO card.
    pub uid: Option<String>,
    pub seq: u32,
    pub key_id: u8,
}

/// Phase two: reads the card at the action's workstation, makes sure it may take the new
/// record, writes and verifies it. On any failure the reservation is voided (the number
/// stays consumed, never reused) and the operator gets the reader's reason, e.g. "card
/// removed: insert it again" — running the operation again starts it cleanly.
pub async fn write_card(k: &Kiosk, action: &Action, card: &Card) -> Result<WrittenCard, FlowError> {
    let outcome = async {
        let read = card_io::read(k, &action.workstation).await?;
        vet(k, &read.seen).await?;
        let written =
            card_io::write(k, &action.workstation, identity_of(card), read.seen.clone()).await?;
        let uid = match &read.seen {
            CardSeen::Contactless { uid } => Some(hex::encode_upper(uid)),
            CardSeen::Iso(_) => None,
        };
        Ok::<_, FlowError>(WrittenCard {
            uid,
            seq: written.seq,
            key_id: written.key_id,
        })
    }
    .await;
    if let Err(error) = &outcome {
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
    }
    outcome
}

/// Phase three's part: what is now on the card (its write sequence and key, or the
/// contactless UID bound to the number).
pub async fn record_written(
    conn: &mut SqliteConnection,
    action: &Action,
    card_number: &str,
    written: &WrittenCard,
) -> Result<(), FlowError> {
    store::cards::set_record(conn, card_number, written.seq, written.key_id).await?;
    if let Some(uid) = &written.uid {
        store::card_tokens::bind(conn, uid, card_number, action.now).await?;
    }
    Ok(())
}

/// The card in the reader may take a new record if it is blank, damaged, or carries a
/// number that never became a live card (an interrupted issue). A member card that is (or
/// was) in use, a card this issuer did not write, or a contactless card bound to a live
/// card is refused: it is not ours to overwrite, and a lost card stays invalid (R-REP-6).
async fn vet(k: &Kiosk, seen: &CardSeen) -> Result<(), FlowError> {
    let refuse = |message: String| {
        Err(FlowError::conflict(
            crate::flows::ErrorCode::CardNotWritable,
            message,
            None,
            Some("card"),
        ))
    };
    let mut conn = k.db.reader.acquire().await?;
    let number = match seen {
        CardSeen::Iso(CardContent::Blank | CardContent::Corrupted(_)) => return Ok(()),
        CardSeen::Iso(CardContent::Forged(_)) => {
            return refuse(
                "this card was not issued by this store's issuer: insert a blank card".into(),
            )
        }
        CardSeen::Iso(CardContent::Record { current, .. }) => current.identity.card_number.clone(),
        CardSeen::Contactless { uid } => {
            match store::card_tokens::card_for(&mut conn, &hex::encode_upper(uid)).await? {
                Some(number) => number,
                None => return Ok(()),
            }
        }
    };
    match store::cards::find(&mut conn, &number)
        .await?
        .map(|c| c.state)
    {
        Some(CardState::Void | CardState::Reserved) => Ok(()),
        Some(state) => refuse(format!(
            "this is member card {} ({}): insert a blank card",
            masked(&number),
            state.as_str()
        )),
        None => refuse(format!(
            "this is member card {} of another store: insert a blank card",
            masked(&number)
        )),
    }
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
