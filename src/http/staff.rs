//! Staff endpoints: signing in and out, who is signed in, and the supervisor's account
//! management (add, change role or deactivate, unlock, reset a PIN).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{bearer, Actor};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::domain::staff::{check_staff_number, check_workstation, Role};
use crate::flows::staff::{self, NewStaff, PinReset, SignInRequest, SignedIn, StaffChange};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;
use crate::store::staff::StaffAccount;

/// Sign in with staff number and PIN at a workstation. Five wrong PINs in a row lock the
/// account for 5 minutes (or until a supervisor unlocks it).
#[utoipa::path(post, path = "/api/sessions", security(()), tag = "staff", request_body = SignInRequest,
    responses((status = 201, body = SignedIn), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sign_in(State(k): State<Kiosk>, ApiJson(req): ApiJson<SignInRequest>) -> Response {
    // The audit row names the staff number and workstation typed only when they are shaped
    // like one: a phone or ID number typed into the wrong field stays out of the trail.
    let typed = req.staff_number.trim();
    let actor = Actor {
        staff_number: match check_staff_number(typed) {
            Ok(()) => typed.to_owned(),
            Err(_) => "(not a staff number)".into(),
        },
        role: None,
        workstation: match check_workstation(&req.workstation) {
            Ok(()) => req.workstation.clone(),
            Err(_) => "(not a workstation)".into(),
        },
    };
    let mut response = match staff::sign_in(&k, req).await {
        Ok(signed_in) => {
            let actor = Actor {
                role: Some(signed_in.role),
                ..actor.clone()
            };
            let mut r = (StatusCode::CREATED, Json(signed_in)).into_response();
            r.extensions_mut().insert(actor);
            return r;
        }
        Err(e) => ApiError::from(e).into_response(),
    };
    response.extensions_mut().insert(actor);
    response
}

/// The signed-in staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct Whoami {
    pub staff_number: String,
    pub name: String,
    pub role: Role,
    pub workstation: String,
    pub permissions: Vec<&'static str>,
}

/// Who is signed in with this token, and what they may do.
#[utoipa::path(get, path = "/api/session", security(("session" = [])), tag = "staff", responses((status = 200, body = Whoami), (status = 401, body = ErrorBody)))]
pub async fn whoami(session: Session) -> Json<Whoami> {
    Json(Whoami {
        permissions: staff::permission_names(session.role),
        staff_number: session.staff_number,
        name: session.name,
        role: session.role,
        workstation: session.workstation,
    })
}

/// Sign out: the token stops working at once.
#[utoipa::path(delete, path = "/api/session", security(("session" = [])), tag = "staff", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn sign_out(State(k): State<Kiosk>, headers: axum::http::HeaderMap) -> StatusCode {
    if let Some(token) = bearer(&headers) {
        k.sessions.close(token);
    }
    StatusCode::NO_CONTENT
}

/// Every staff account (never a PIN or its hash).
#[utoipa::path(get, path = "/api/staff", security(("session" = ["staff.manage"])), tag = "staff", responses((status = 200, body = [StaffAccount]), (status = 403, body = ErrorBody)))]
pub async fn list(State(k): State<Kiosk>) -> Result<Json<Vec<StaffAccount>>, ApiError> {
    Ok(Json(staff::list(&k).await?))
}

/// Add a store staff account with its first PIN.
#[utoipa::path(post, path = "/api/staff", security(("session" = ["staff.manage"])), tag = "staff", request_body = NewStaff,
    responses((status = 201, body = StaffAccount), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(new): ApiJson<NewStaff>,
) -> Result<(StatusCode, Json<StaffAccount>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add(&k, &session, new).await?),
    ))
}

/// Change a staff member's role or (de)activate the account; their sessions end.
#[utoipa::path(patch, path = "/api/staff/{staff_number}", security(("session" = ["staff.manage"])), tag = "staff", request_body = StaffChange, params(("staff_number" = String, Path)),
    responses((status = 200, body = StaffAccount), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(staff_number): ApiPath<String>,
    ApiJson(change): ApiJson<StaffChange>,
) -> Result<Json<StaffAccount>, ApiError> {
    Ok(Json(
        staff::change(&k, &session, &staff_number, change).await?,
    ))
}

/// Lift a wrong-PIN lock.
#[utoipa::path(post, path = "/api/staff/{staff_number}/unlock", security(("session" = ["staff.manage"])), tag = "staff", params(("staff_number" = String, Path)),
    responses((status = 200, body = StaffAccount), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(k): State<Kiosk>,
    ApiPath(staff_number): ApiPath<String>,
) -> Result<Json<StaffAccount>, ApiError> {
    Ok(Json(staff::unlock(&k, &staff_number).await?))
}

/// Set a new PIN for a staff member who forgot theirs; their sessions end.
#[utoipa::path(post, path = "/api/staff/{staff_number}/pin", security(("session" = ["staff.manage"])), tag = "staff", request_body = PinReset, params(("staff_number" = String, Path)),
    responses((status = 200, body = StaffAccount), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_pin(
    State(k): State<Kiosk>,
    ApiPath(staff_number): ApiPath<String>,
    ApiJson(reset): ApiJson<PinReset>,
) -> Result<Json<StaffAccount>, ApiError> {
    Ok(Json(staff::reset_pin(&k, &staff_number, reset).await?))
}
