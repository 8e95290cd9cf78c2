//! Card issuing shared by enrolment, upgrade and replacement: the number is reserved in one
//! transaction, the card is written (and read back) at the workstation's reader, then the
//! caller activates in a second transaction. Anything short of activation voids the
//! reservation (the number stays consumed, never reused) and leaves everything else as it
//! was; the sweep voids what a killed kiosk left reserved. Also the card exchange (upgrade,
//! replacement): the old card handed over for the new one.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::card_check::identity_of;
use super::card_io;
use super::lookup::CardView;
use super::{ErrorCode, FlowError};
use crate::action::Action;
use crate::card::reader::CardSeen;
use crate::card::record::CardContent;
use crate::domain::card_number::CardNumber;
use crate::domain::card_status::CardState;
use crate::domain::ledger::plan_transfer;
use crate::kiosk::Kiosk;
use crate::store::{
    self,
    card_events::CardEventKind,
    cards::{Card, NewCard},
    ledger::Refs,
    members::Member,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

/// What phase two put on the card, for the activation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenCard {
    /// The contactless card's UID (hex) to bind to the number; `None` for an ISO card.
    pub uid: Option<String>,
    pub seq: u32,
    pub key_id: u8,
}

/// Issues a card: reserves the store's next number for `card` inside `tx` (the caller's
/// checks and records go with it), writes the card at the action's workstation, then runs
/// `activate` in a second transaction, after the written record is stored. It always ends
/// in one of two states: `activate` committed, or the reservation voided — on a write
/// failure, a refusal from `activate`, a database fault, or the request being dropped
/// (the drop guard). Only a killed process leaves a reservation, and the sweep
/// ([`void_stale_reservations`]) voids it once it outlives the card time limit.
pub async fn issue<T>(
    k: &Kiosk,
    action: &Action,
    mut tx: Transaction<'_, Sqlite>,
    card: NewCard<'_>,
    purpose: &str,
    activate: impl AsyncFnOnce(&mut SqliteConnection, &Card) -> Result<T, FlowError>,
) -> Result<T, FlowError> {
    let reserved = reserve(&mut tx, k, action, card, purpose).await?;
    tx.commit().await?;
    let guard = Reservation::new(k, action, &reserved.number);
    let written = match write_card(k, action, &reserved).await {
        Ok(written) => written,
        Err(error) => return Err(guard.void(CardEventKind::WriteFailed, error).await),
    };
    let mut tx = k.db.writer.begin().await?;
    let still_reserved = store::cards::find(&mut tx, &reserved.number)
        .await?
        .is_some_and(|c| c.state == CardState::Reserved);
    if !still_reserved {
        // The write outlived the card time limit and the sweep voided the number.
        return Err(FlowError::conflict(
            ErrorCode::CardIssueTimedOut,
            "the card took too long to write and its number was voided: start again",
            None,
            Some("card"),
        ));
    }
    record_written(&mut tx, action, &reserved.number, &written).await?;
    match activate(&mut tx, &reserved).await {
        Ok(value) => {
            tx.commit().await?;
            guard.done();
            Ok(value)
        }
        Err(refusal) => {
            // Free the single writer connection before voiding.
            drop(tx);
            Err(guard.void(CardEventKind::Voided, refusal).await)
        }
    }
}

/// Phase one: mints the store's next card number for `card` as a reservation and records
/// why (`purpose`).
async fn reserve(
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
    store::card_events::record(conn, action, &number, CardEventKind::Reserved, &detail).await?;
    store::cards::find(conn, &number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })
}

/// A reservation between phase one and the end of the issue. Dropped before [`done`] or
/// [`void`] (the request was cancelled, or a `?` left early), it voids the number on the
/// runtime it was made on; a runtime gone (the process stopping) leaves that to the sweep.
///
/// [`done`]: Reservation::done
/// [`void`]: Reservation::void
struct Reservation {
    pending: Option<(Kiosk, Action, String)>,
    runtime: tokio::runtime::Handle,
}

impl Reservation {
    fn new(k: &Kiosk, action: &Action, number: &str) -> Reservation {
        Reservation {
            pending: Some((k.clone(), action.clone(), number.to_owned())),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The card is active: nothing left to undo.
    fn done(mut self) {
        self.pending = None;
    }

    /// Voids the reservation (event `event`, the operator's reason) and hands back `error`
    /// for the operator, or the database fault that stopped the voiding.
    async fn void(mut self, event: CardEventKind, error: FlowError) -> FlowError {
        let Some((k, action, number)) = self.pending.take() else {
            return error;
        };
        match void(&k, &action, &number, event, &error.to_string()).await {
            Ok(_) => {
                tracing::warn!(card = %masked(&number), %error, "card not issued; reservation voided");
                error
            }
            Err(fault) => fault,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some((k, action, number)) = self.pending.take() {
            self.runtime.spawn(async move {
                if let Err(error) = void(&k, &action, &number, CardEventKind::Voided, "issue interrupted").await {
                    tracing::error!(card = %masked(&number), %error, "interrupted issue not voided; the sweep will");
                }
            });
        }
    }
}

/// Phase two: reads the card at the action's workstation, makes sure it may take the new
/// record, writes and verifies it; the operator gets the reader's reason on failure, e.g.
/// "card removed: insert it again" — running the operation again starts it cleanly.
async fn write_card(k: &Kiosk, action: &Action, card: &Card) -> Result<WrittenCard, FlowError> {
    let read = card_io::read(k, &action.workstation).await?;
    vet(k, &read.seen).await?;
    let written =
        card_io::write(k, &action.workstation, identity_of(card), read.seen.clone()).await?;
    let uid = match &read.seen {
        CardSeen::Contactless { uid } => Some(hex::encode_upper(uid)),
        CardSeen::Iso(_) => None,
    };
    Ok(WrittenCard {
        uid,
        seq: written.seq,
        key_id: written.key_id,
    })
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

/// Voids a reservation still open (its number stays consumed, never reused), recording
/// `event` with `reason`; false if it had been activated or voided meanwhile.
async fn void(
    k: &Kiosk,
    action: &Action,
    card_number: &str,
    event: CardEventKind,
    reason: &str,
) -> Result<bool, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    if !store::cards::void_reservation(&mut tx, action, card_number).await? {
        return Ok(false);
    }
    let detail = if event == CardEventKind::WriteFailed {
        json!({ "error": reason })
    } else {
        json!({ "reason": reason })
    };
    store::card_events::record(&mut tx, action, card_number, event, &detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Reservations voided by one sweep: how many, and their numbers masked (for the log and the
/// health check).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaleReservations {
    pub voided: usize,
    pub cards: Vec<String>,
}

/// Voids every reservation older than the card time limit (`card_issue_limit_seconds`):
/// an issue a killed or hung kiosk left between phases. Until then the number counts as
/// the person's card (R-ENR-3), so they could never enrol again. Recorded as `voided` with
/// reason `stale_reservation`, as the service's own staff id `system`.
pub async fn void_stale_reservations(k: &Kiosk) -> Result<StaleReservations, FlowError> {
    let action = k.action("system", "scheduler");
    let limit = chrono::Duration::seconds(
        i64::try_from(k.config.card_issue_limit_seconds).unwrap_or(i64::MAX),
    );
    let before = action.now.checked_sub_signed(limit).unwrap_or(action.now);
    let stale = {
        let mut conn = k.db.reader.acquire().await?;
        store::cards::reserved_before(&mut conn, before).await?
    };
    let mut swept = StaleReservations::default();
    for number in stale {
        if void(
            k,
            &action,
            &number,
            CardEventKind::Voided,
            "stale_reservation",
        )
        .await?
        {
            swept.voided += 1;
            swept.cards.push(masked(&number));
        }
    }
    if swept.voided > 0 {
        tracing::warn!(voided = swept.voided, cards = ?swept.cards, "stale card reservations voided");
    }
    Ok(swept)
}

/// What a card exchange (upgrade, replacement) did: the old number, the new card, the
/// balance moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExchangeResult {
    pub old_card_number: String,
    pub new_card: CardView,
    pub points_moved: i64,
}

/// Activates `new` in place of `old` (which must still be as it was read): marks the old card
/// `old_state` and linked to the new one, moves the balance and debt (R-UPG-4, R-REP-5), and
/// records both cards' events. Returns the points moved.
pub async fn exchange_cards(
    conn: &mut sqlx::SqliteConnection,
    action: &Action,
    old: &Card,
    new: &Card,
    old_state: CardState,
    new_state: CardState,
    event: CardEventKind,
) -> Result<i64, FlowError> {
    let current = store::cards::find(conn, &old.number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    if current.state != old.state || current.replaced_by.is_some() {
        return Err(FlowError::conflict(
            ErrorCode::CardChanged,
            "the card changed while the new card was written; start again",
            None,
            Some("card_number"),
        ));
    }
    store::cards::link_replacement(conn, action, &old.number, &new.number, old_state).await?;
    store::cards::set_state(conn, action, &new.number, new_state).await?;
    let (out, into) = plan_transfer(
        &store::ledger::entries(conn, &old.number).await?,
        action.today,
    );
    let balance = -out.points;
    store::ledger::append(
        conn,
        action,
        &old.number,
        &[out],
        Refs {
            related_card: Some(&new.number),
            ..Refs::default()
        },
    )
    .await?;
    store::ledger::append(
        conn,
        action,
        &new.number,
        &into,
        Refs {
            related_card: Some(&old.number),
            ..Refs::default()
        },
    )
    .await?;
    if old.points_debt > 0 {
        store::cards::set_debt(conn, &new.number, old.points_debt).await?;
        store::cards::set_debt(conn, &old.number, 0).await?;
    }
    let detail = json!({ "old": old.number, "new": new.number, "old_tier": old.tier, "new_tier": new.tier, "points_moved": balance, "debt_moved": old.points_debt });
    store::card_events::record(conn, action, &old.number, event, &detail).await?;
    store::card_events::record(conn, action, &new.number, CardEventKind::Issued, &detail).await?;
    Ok(balance)
}

/// The view of a card as it now stands in the transaction.
pub async fn reloaded_view(
    conn: &mut sqlx::SqliteConnection,
    number: &str,
    member: &Member,
    today: NaiveDate,
) -> Result<CardView, FlowError> {
    let card = store::cards::find(conn, number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    super::lookup::view(conn, &card, member, today).await
}

/// A card number fit for logs: all but the last four digits hidden.
pub fn masked(number: &str) -> String {
    CardNumber::parse(number)
        .map(|c| c.masked())
        .unwrap_or_else(|_| "(invalid)".into())
}
