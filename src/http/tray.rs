//! The demo card tray endpoints (demo / training mode only): see which virtual card is in
//! which reader, insert a blank or a saved card, take it out.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::readers::own_reader;
use crate::card::tray::{CardTray, TrayError, TrayView};
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
            "the card tray exists in demo mode only",
            None,
            None,
        )
    })
}

fn refused(e: TrayError) -> ApiError {
    let status = match e {
        TrayError::NoSlot(_) | TrayError::NoSuchCard(_) => StatusCode::NOT_FOUND,
        TrayError::Occupied(_) => StatusCode::CONFLICT,
        TrayError::Insert(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    ApiError::new(status, e.to_string(), None, Some("card"))
}

#[utoipa::path(get, path = "/api/demo/tray", tag = "demo", responses((status = 200, body = TrayView), (status = 404, body = ErrorBody)))]
pub async fn view(State(k): State<Kiosk>) -> Result<Json<TrayView>, ApiError> {
    Ok(Json(tray(&k)?.view()))
}

#[utoipa::path(post, path = "/api/demo/tray/{workstation}/insert", tag = "demo", request_body = InsertRequest, params(("workstation" = String, Path)),
    responses((status = 200, body = TrayView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn insert(
    State(k): State<Kiosk>,
    session: Session,
    Path(workstation): Path<String>,
    ApiJson(req): ApiJson<InsertRequest>,
) -> Result<Json<TrayView>, ApiError> {
    // Like the reader itself: the card goes where the member stands.
    own_reader(&session, &workstation)?;
    let tray = tray(&k)?;
    tray.insert(&workstation, &req.card).map_err(refused)?;
    Ok(Json(tray.view()))
}

#[utoipa::path(post, path = "/api/demo/tray/{workstation}/remove", tag = "demo", params(("workstation" = String, Path)),
    responses((status = 200, body = TrayView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(k): State<Kiosk>,
    session: Session,
    Path(workstation): Path<String>,
) -> Result<Json<TrayView>, ApiError> {
    // Like the reader itself: the card goes where the member stands.
    own_reader(&session, &workstation)?;
    let tray = tray(&k)?;
    tray.remove(&workstation).map_err(refused)?;
    Ok(Json(tray.view()))
}
