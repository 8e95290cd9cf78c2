//! Card reader endpoints: each reader's state, the live stream of reader events (SSE), a
//! read on demand, and the rewrite of a card whose record differs from the ledger.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use super::error::{ApiError, ErrorBody};
use super::extract::ApiPath;
use crate::card::hub::ReaderStatus;
use crate::flows::card_check::CardCheck;
use crate::flows::readers::read_and_publish;
use crate::flows::{card_io, card_rewrite, ErrorCode, FlowError};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;

/// Every configured reader: connected, card present, the last card read.
#[utoipa::path(get, path = "/api/readers", security(("session" = [])), tag = "card readers", responses((status = 200, body = [ReaderStatus])))]
pub async fn list(State(k): State<Kiosk>) -> Json<Vec<ReaderStatus>> {
    Json(k.readers.statuses())
}

/// Live reader events as Server-Sent Events: `reader_connected`, `reader_disconnected`,
/// `card_inserted`, `card_removed`, `card_read` (with the check), `card_read_failed`.
#[utoipa::path(get, path = "/api/readers/events", security(("session" = [])), tag = "card readers", responses((status = 200, description = "text/event-stream of ReaderEvent")))]
pub async fn events(State(k): State<Kiosk>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(k.readers.subscribe()).filter_map(|event| {
        // A client too slow to keep up skips what it missed; it can GET /api/readers.
        let event = event.ok()?;
        let name = serde_json::to_value(&event)
            .ok()?
            .get("event")?
            .as_str()?
            .to_owned();
        Event::default().event(name).json_data(&event).ok().map(Ok)
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Read the card at a workstation now and check it against the ledger.
#[utoipa::path(post, path = "/api/readers/{workstation}/read", security(("session" = ["card.lookup"])), extensions(("x-lookup-limit" = json!(true))), tag = "card readers", params(("workstation" = String, Path)),
    responses((status = 200, body = CardCheck), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(workstation): ApiPath<String>,
) -> Result<Json<CardCheck>, ApiError> {
    own_reader(&session, &workstation)?;
    // Surface the reader's own error (no card, not responding) rather than an empty answer.
    card_io::read(&k, &workstation).await?;
    read_and_publish(k, workstation)
        .await
        .map(Json)
        .ok_or_else(|| FlowError::from(crate::card::reader::ReaderError::Removed).into())
}

/// Rewrite the card at a workstation with the ledger's record (tier and term after renewal,
/// downgrade or reactivation).
#[utoipa::path(post, path = "/api/readers/{workstation}/rewrite", security(("session" = ["card.rewrite"])), tag = "card readers", params(("workstation" = String, Path)),
    responses((status = 200, body = CardCheck), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rewrite(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(workstation): ApiPath<String>,
) -> Result<Json<CardCheck>, ApiError> {
    own_reader(&session, &workstation)?;
    let action = k.action_at(&session, &workstation);
    Ok(Json(card_rewrite::rewrite(&k, &action).await?))
}

/// Staff use the reader of the workstation they signed in at: a card in another counter's
/// reader belongs to the member standing there.
pub(super) fn own_reader(session: &Session, workstation: &str) -> Result<(), ApiError> {
    if session.workstation == workstation {
        Ok(())
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            ErrorCode::WrongWorkstation,
            format!(
                "signed in at {}: use that workstation's reader",
                session.workstation
            ),
        )
        .field("workstation"))
    }
}
