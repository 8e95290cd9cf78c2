//! Member endpoints for the lounge: enrolment, the member record, contact changes, and the
//! birthday greeting list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::domain::staff::Permission;
use crate::flows::duplicates::{self, DuplicateFlag, Resolution};
use crate::flows::enrolment::{
    self, EnrolmentRequest, EnrolmentResult, QualifyingSpend, ReceiptCheck,
};
use crate::flows::members::{
    self, ContactUpdate, MemberSearch, MemberSearchResult, MemberView, Reveal,
};
use crate::flows::services::{self, Greeting};
use crate::flows::slips;
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;

/// Enrol a member and issue the first card (R-ENR).
#[utoipa::path(post, path = "/api/members", security(("session" = ["member.enrol"])), extensions(("x-prints" = json!(true))), tag = "members", request_body = EnrolmentRequest, responses((status = 201, body = EnrolmentResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn enrol(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(req): ApiJson<EnrolmentRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let action = k.action_by(&session);
    let receipts = req.receipts.clone();
    let result = enrolment::enrol(&k, &action, req).await?;
    let answer = slips::printed(&k, &action, &result, |c, a, r| {
        slips::enrolment(c, a, r, &receipts)
    })
    .await;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// What the receipts presented so far qualify for (R-ENR-4): cash, tier, what the next tier
/// needs. Read-only: the receipts are claimed only by the enrolment itself.
#[utoipa::path(post, path = "/api/members/qualifying-spend", security(("session" = ["member.enrol"])), tag = "members", request_body = ReceiptCheck,
    responses((status = 200, body = QualifyingSpend), (status = 422, body = ErrorBody)))]
pub async fn qualifying_spend(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(check): ApiJson<ReceiptCheck>,
) -> Result<Json<QualifyingSpend>, ApiError> {
    let action = k.action_by(&session);
    Ok(Json(
        enrolment::qualifying_spend(&k, &action, &check).await?,
    ))
}

/// A member with their cards; ID number, phone and address masked unless the role may see
/// them in full (`member.read_full`).
#[utoipa::path(get, path = "/api/members/{member_id}", security(("session" = ["member.read"])), extensions(("x-lookup-limit" = json!(true))), tag = "members", params(("member_id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MemberView>, ApiError> {
    Ok(Json(
        members::member_view(&k, &id, reveal_for(&session)).await?,
    ))
}

/// Change a member's contact data (R-SVC-3).
#[utoipa::path(patch, path = "/api/members/{member_id}/contact", security(("session" = ["member.update"])), tag = "members", request_body = ContactUpdate,
    params(("member_id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_contact(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<ContactUpdate>,
) -> Result<Json<MemberView>, ApiError> {
    let action = k.action_by(&session);
    Ok(Json(
        members::update_contact(&k, &action, &id, update, reveal_for(&session)).await?,
    ))
}

/// Find a member by ID document or by phone (exactly one), through the lookup index. A POST
/// so the ID number or phone never appears in a URL (R-SVC-1). Personal data masked.
#[utoipa::path(post, path = "/api/members/search", security(("session" = ["member.read"])), extensions(("x-lookup-limit" = json!(true))), tag = "members", request_body = MemberSearch,
    responses((status = 200, body = MemberSearchResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(query): ApiJson<MemberSearch>,
) -> Result<Json<MemberSearchResult>, ApiError> {
    Ok(Json(
        members::search(&k, query, reveal_for(&session)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// Store-local day (default today).
    pub date: Option<NaiveDate>,
}

/// Members to greet on their birthday (R-SRV-3).
#[utoipa::path(get, path = "/api/birthdays", security(("session" = ["member.read"])), tag = "lounge", params(DayQuery), responses((status = 200, body = [Greeting])))]
pub async fn birthdays(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<Vec<Greeting>>, ApiError> {
    Ok(Json(
        services::greeting_list(&k, q.date.unwrap_or_else(|| k.today())).await?,
    ))
}

/// Members enrolled twice in the chain (found at sync), each flag with both members and
/// cards, for the lounge to settle; personal data masked unless the role may read it.
#[utoipa::path(get, path = "/api/duplicate-members", security(("session" = ["member.update"])), tag = "lounge", responses((status = 200, body = [DuplicateFlag])))]
pub async fn duplicate_members(
    State(k): State<Kiosk>,
    session: Session,
) -> Result<Json<Vec<DuplicateFlag>>, ApiError> {
    Ok(Json(duplicates::open(&k, reveal_for(&session)).await?))
}

/// Settle a duplicate-member flag (`not_duplicate` or `handled`, with a note): audited; the
/// members are never merged by it.
#[utoipa::path(post, path = "/api/duplicate-members/{flag_id}/resolution", security(("session" = ["member.update"])), tag = "lounge", request_body = Resolution,
    params(("flag_id" = i64, Path)),
    responses((status = 200, body = DuplicateFlag), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve_duplicate(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(resolution): ApiJson<Resolution>,
) -> Result<Json<DuplicateFlag>, ApiError> {
    let action = k.action_by(&session);
    Ok(Json(
        duplicates::resolve(&k, &action, id, resolution, reveal_for(&session)).await?,
    ))
}

/// Personal data in full only for roles that need it (R-SVC-1: `member.read_full`).
fn reveal_for(session: &Session) -> Reveal {
    if session.role.may(Permission::MemberReadFull) {
        Reveal::Full
    } else {
        Reveal::Masked
    }
}
