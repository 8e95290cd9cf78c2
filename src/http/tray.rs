//! The demo card tray endpoints (demo / training mode only): see which virtual card is in
//! which reader, insert a blank or a saved card, take it out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::readers::own_reader;
use crate::card::tray::{CardTray, TrayError, TrayView};
use crate::flows::ErrorCode;
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsertRequest {
    /// `blank`, or the card number of a card taken out earlier.
    pub card: String,
}

fn tray(k: &Kiosk) -> Result<&CardTray, ApiError> {
    k.tray.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::TrayDemoOnly,
            "the card tray exists in demo mode only",
        )
    })
}

fn refused(e: TrayError) -> ApiError {
    let (status, code) = match e {
        TrayError::NoSlot(_) => (StatusCode::NOT_FOUND, ErrorCode::TraySlotNotFound),
        TrayError::NoSuchCard(_) => (StatusCode::NOT_FOUND, ErrorCode::TrayCardNotFound),
        TrayError::Occupied(_) => (StatusCode::CONFLICT, ErrorCode::TrayOccupied),
        TrayError::Insert(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::TrayInsertFailed),
    };
    ApiError::new(status, code, e.to_string()).field("card")
}

#[utoipa::path(get, path = "/api/demo/tray", security(("session" = [])), tag = "demo", responses((status = 200, body = TrayView), (status = 404, body = ErrorBody)))]
pub async fn view(State(k): State<Kiosk>) -> Result<Json<TrayView>, ApiError> {
    Ok(Json(tray(&k)?.view()))
}

#[utoipa::path(post, path = "/api/demo/tray/{workstation}/insert", security(("session" = ["card.lookup"])), tag = "demo", request_body = InsertRequest, params(("workstation" = String, Path)),
    responses((status = 200, body = TrayView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn insert(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(workstation): ApiPath<String>,
    ApiJson(req): ApiJson<InsertRequest>,
) -> Result<Json<TrayView>, ApiError> {
    // Like the reader itself: the card goes where the member stands.
    own_reader(&session, &workstation)?;
    let tray = tray(&k)?;
    tray.insert(&workstation, &req.card).map_err(refused)?;
    Ok(Json(tray.view()))
}

#[utoipa::path(post, path = "/api/demo/tray/{workstation}/remove", security(("session" = ["card.lookup"])), tag = "demo", params(("workstation" = String, Path)),
    responses((status = 200, body = TrayView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn remove(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(workstation): ApiPath<String>,
) -> Result<Json<TrayView>, ApiError> {
    // Like the reader itself: the card goes where the member stands.
    own_reader(&session, &workstation)?;
    let tray = tray(&k)?;
    tray.remove(&workstation).map_err(refused)?;
    Ok(Json(tray.view()))
}
