//! Card endpoints for the checkout, the lounge and the replacement desk.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{approved, SupervisorHeaders};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::domain::staff::Permission;
use crate::flows::adjustment::{self, AdjustmentRequest, AdjustmentResult};
use crate::flows::lookup::{self, CardView};
use crate::flows::reactivation::{self, ReactivationRequest};
use crate::flows::replacement::{
    self, LossReportRequest, LossReportResult, ReplacementRequest, ReplacementResult,
};
use crate::flows::services::{self, GiftExchangeRequest, GiftExchangeResult, GrantResult};
use crate::flows::slips;
use crate::flows::upgrade::{self, UpgradeResult};
use crate::flows::{staff, unblock};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;

/// Look up a card: member, tier, status (with the reason when not usable), balance,
/// points redeemable today, birthday flag.
#[utoipa::path(get, path = "/api/cards/{card_number}", security(("session" = ["card.lookup"])), extensions(("x-lookup-limit" = json!(true))), tag = "cards", params(("card_number" = String, Path)),
    responses((status = 200, body = CardView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(k): State<Kiosk>,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<CardView>, ApiError> {
    Ok(Json(lookup::lookup(&k, &number).await?))
}

/// Upgrade to the next tier (R-UPG): a new card replaces this one; the balance moves.
#[utoipa::path(post, path = "/api/cards/{card_number}/upgrade", security(("session" = ["card.upgrade"])), extensions(("x-prints" = json!(true))), tag = "cards", params(("card_number" = String, Path)),
    responses((status = 200, body = UpgradeResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn upgrade(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action_by(&session);
    let result = upgrade::upgrade(&k, &action, &number).await?;
    Ok(Json(
        slips::printed(&k, &action, &result, |c, a, r| {
            vec![slips::upgrade(c, a, r)]
        })
        .await,
    ))
}

/// Report a card lost (R-REP-2): blocked at once.
#[utoipa::path(post, path = "/api/cards/{card_number}/loss-report", security(("session" = ["card.report_loss"])), extensions(("x-prints" = json!(true))), tag = "cards", request_body = LossReportRequest,
    params(("card_number" = String, Path)),
    responses((status = 200, body = LossReportResult), (status = 422, body = ErrorBody)))]
pub async fn report_loss(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
    ApiJson(req): ApiJson<LossReportRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action_by(&session);
    let result = replacement::report_loss(&k, &action, &number, req).await?;
    Ok(Json(
        slips::printed(&k, &action, &result, |c, a, r| {
            vec![slips::loss_report(c, a, r)]
        })
        .await,
    ))
}

/// Replace a lost or damaged card (R-REP): fee, new number, balance moved, valid tomorrow.
#[utoipa::path(post, path = "/api/cards/{card_number}/replacement", security(("session" = ["card.replace"])), extensions(("x-prints" = json!(true)), ("x-supervisor-pin" = json!(true))), tag = "cards", request_body = ReplacementRequest,
    params(("card_number" = String, Path)),
    responses((status = 200, body = ReplacementResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn replace(
    State(k): State<Kiosk>,
    session: Session,
    SupervisorHeaders(supervisor): SupervisorHeaders,
    ApiPath(number): ApiPath<String>,
    ApiJson(req): ApiJson<ReplacementRequest>,
) -> Result<Response, ApiError> {
    // Checked before the replacement's transaction: a PIN check writes its own.
    let approved_by = if req.waive_fee {
        Some(staff::approve(&k, supervisor.as_ref(), Permission::FeeWaive).await?)
    } else {
        None
    };
    let action = k.action_by(&session);
    let result = replacement::replace(&k, &action, &number, req).await?;
    let answer = slips::printed(&k, &action, &result, |c, a, r| {
        vec![slips::replacement(c, a, r)]
    })
    .await;
    Ok(approved(Json(answer).into_response(), approved_by))
}

/// Withdraw a loss report made by mistake, the same day, with a supervisor's PIN
/// (`X-Supervisor`, `X-Supervisor-Pin`): the card is unblocked (R-REP-6's exception).
#[utoipa::path(post, path = "/api/cards/{card_number}/loss-report/cancellation", security(("session" = ["card.report_loss"])), extensions(("x-supervisor-pin" = json!(true))), tag = "cards",
    params(("card_number" = String, Path)),
    responses((status = 200, body = CardView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw_loss_report(
    State(k): State<Kiosk>,
    session: Session,
    SupervisorHeaders(supervisor): SupervisorHeaders,
    ApiPath(number): ApiPath<String>,
) -> Result<Response, ApiError> {
    let approver = staff::approve(&k, supervisor.as_ref(), Permission::CardUnblock).await?;
    let action = k.action_by(&session);
    let view = unblock::withdraw_loss_report(&k, &action, &approver, &number).await?;
    Ok(approved(Json(view).into_response(), Some(approver)))
}

/// Add or take points by hand with a reason code, with a supervisor's PIN
/// (`X-Supervisor`, `X-Supervisor-Pin`).
#[utoipa::path(post, path = "/api/cards/{card_number}/points-adjustments", security(("session" = ["card.lookup"])), extensions(("x-supervisor-pin" = json!(true))), tag = "cards", request_body = AdjustmentRequest,
    params(("card_number" = String, Path)),
    responses((status = 201, body = AdjustmentResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn adjust_points(
    State(k): State<Kiosk>,
    session: Session,
    SupervisorHeaders(supervisor): SupervisorHeaders,
    ApiPath(number): ApiPath<String>,
    ApiJson(req): ApiJson<AdjustmentRequest>,
) -> Result<Response, ApiError> {
    let approver = staff::approve(&k, supervisor.as_ref(), Permission::PointsAdjust).await?;
    let action = k.action_by(&session);
    let result = adjustment::adjust_points(&k, &action, &approver, &number, req).await?;
    Ok(approved(
        (StatusCode::CREATED, Json(result)).into_response(),
        Some(approver),
    ))
}

/// Reactivate an inactive VIP card with today's cash receipts (R-EXP-2).
#[utoipa::path(post, path = "/api/cards/{card_number}/reactivation", security(("session" = ["card.reactivate"])), tag = "cards", request_body = ReactivationRequest,
    params(("card_number" = String, Path)),
    responses((status = 200, body = CardView), (status = 422, body = ErrorBody)))]
pub async fn reactivate(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
    ApiJson(req): ApiJson<ReactivationRequest>,
) -> Result<Json<CardView>, ApiError> {
    let action = k.action_by(&session);
    Ok(Json(
        reactivation::reactivate(&k, &action, &number, req).await?,
    ))
}

/// Hand out today's parking tickets (R-SRV-1).
#[utoipa::path(post, path = "/api/cards/{card_number}/parking", security(("session" = ["parking.issue"])), extensions(("x-prints" = json!(true))), tag = "lounge", params(("card_number" = String, Path)),
    responses((status = 200, body = GrantResult), (status = 422, body = ErrorBody)))]
pub async fn parking(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action_by(&session);
    let result = services::parking(&k, &action, &number).await?;
    Ok(Json(
        slips::printed(&k, &action, &result, |c, a, r| {
            vec![slips::parking(c, a, r)]
        })
        .await,
    ))
}

/// Give the yearly birthday gift (R-SRV-2).
#[utoipa::path(post, path = "/api/cards/{card_number}/birthday-gift", security(("session" = ["gift.issue"])), extensions(("x-prints" = json!(true))), tag = "lounge", params(("card_number" = String, Path)),
    responses((status = 200, body = GrantResult), (status = 422, body = ErrorBody)))]
pub async fn birthday_gift(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action_by(&session);
    let result = services::birthday_gift(&k, &action, &number).await?;
    Ok(Json(
        slips::printed(&k, &action, &result, |c, a, r| {
            vec![slips::birthday_gift(c, a, r)]
        })
        .await,
    ))
}

/// Exchange points for a catalogue gift (R-PTS-6).
#[utoipa::path(post, path = "/api/cards/{card_number}/gift-exchanges", security(("session" = ["gift.issue"])), extensions(("x-prints" = json!(true))), tag = "lounge", request_body = GiftExchangeRequest,
    params(("card_number" = String, Path)),
    responses((status = 200, body = GiftExchangeResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn exchange_gift(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(number): ApiPath<String>,
    ApiJson(req): ApiJson<GiftExchangeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action_by(&session);
    let result = services::exchange_gift(&k, &action, &number, req).await?;
    Ok(Json(
        slips::printed(&k, &action, &result, |c, a, r| {
            vec![slips::gift_exchange(c, a, r)]
        })
        .await,
    ))
}
