//! Rewriting a card whose record differs from the ledger (renewal, downgrade, reactivation:
//! the database tier and term win, card-format.md). Same number, the other slot, seq + 1.

use serde_json::json;

use super::card_check::{check, identity_of, CardCheck};
use super::card_io;
use super::issuing::{record_written, WrittenCard};
use super::FlowError;
use crate::action::Action;
use crate::card::reader::CardSeen;
use crate::card::record::CardContent;
use crate::domain::card_status::CardState;
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind};

pub async fn rewrite(k: &Kiosk, action: &Action) -> Result<CardCheck, FlowError> {
    let read = card_io::read(k, &action.workstation).await?;
    let CardSeen::Iso(CardContent::Record { current, .. }) = &read.seen else {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::CardNotWritable,
            "no member card record on this card to rewrite",
            None,
            Some("card"),
        ));
    };
    let card = {
        let mut conn = k.db.reader.acquire().await?;
        store::cards::find(&mut conn, &current.identity.card_number)
            .await?
            .ok_or(FlowError::NotFound {
                what: "card",
                field: "card",
            })?
    };
    if !matches!(card.state, CardState::Active | CardState::Inactive) {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::CardStateConflict,
            format!("a {} card is never rewritten", card.state.as_str()),
            Some("R-REP-6"),
            Some("card"),
        ));
    }
    let written = card_io::write(
        k,
        &action.workstation,
        identity_of(&card),
        read.seen.clone(),
    )
    .await?;
    let mut tx = k.db.writer.begin().await?;
    record_written(
        &mut tx,
        action,
        &card.number,
        &WrittenCard {
            uid: None,
            seq: written.seq,
            key_id: written.key_id,
        },
    )
    .await?;
    store::card_events::record(
        &mut tx,
        action,
        &card.number,
        CardEventKind::Rewritten,
        &json!({ "tier": card.tier, "expiry": card.expiry, "seq": written.seq }),
    )
    .await?;
    tx.commit().await?;
    check(k, &card_io::read(k, &action.workstation).await?).await
}
