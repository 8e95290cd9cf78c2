//! Checkout endpoints for tills and the cashier UI: quote, commit, refund.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::audit::AuditedInTransaction;
use super::auth::{approved, SupervisorHeaders};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::domain::quote::Quote;
use crate::domain::staff::Permission;
use crate::flows::checkout::{self, QuoteRequest, SaleReceipt, SaleRequest};
use crate::flows::refund::{self, RefundAuthority, RefundReceipt, RefundRequest, SaleOnFile};
use crate::flows::{staff, ErrorCode};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;

/// Price a basket (no change is made).
#[utoipa::path(post, path = "/api/quotes", security(("session" = ["sale.checkout"])), tag = "checkout", request_body = QuoteRequest,
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(k): State<Kiosk>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(checkout::quote_basket(&k, req).await?))
}

/// Commit a sale. Idempotent on `receipt_no`: the same body again returns the first result;
/// a different body under the same number is a 409. Totals are computed here, never trusted.
#[utoipa::path(post, path = "/api/sales", security(("session" = ["sale.checkout"])), extensions(("x-prints" = json!(true))), tag = "checkout", request_body = SaleRequest,
    responses((status = 201, body = SaleReceipt), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn commit(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(req): ApiJson<SaleRequest>,
) -> Result<Response, ApiError> {
    if !session.role.may(Permission::RefundAnyTill) && req.till_id != session.workstation {
        return Err(ApiError::forbidden_as(
            ErrorCode::WrongWorkstation,
            Permission::SaleCheckout,
            format!(
                "signed in at {}: sales are rung on that till only",
                session.workstation
            ),
        ));
    }
    let (answer, audited) = checkout::commit_sale(&k, &k.action_by(&session), req).await?;
    // The answer is JSON text already (the stored answer's bytes): sent as it is.
    let mut response = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        answer,
    )
        .into_response();
    if audited {
        response.extensions_mut().insert(AuditedInTransaction);
    }
    Ok(response)
}

/// A committed sale by receipt number: its lines and what is left to refund of each, and the
/// receipt's print jobs. A cashier reads their own till's sales only.
#[utoipa::path(get, path = "/api/sales/{receipt_no}", security(("session" = ["refund.own_till"])), tag = "checkout",
    params(("receipt_no" = String, Path)),
    responses((status = 200, body = SaleOnFile), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sale(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(receipt_no): ApiPath<String>,
) -> Result<Json<SaleOnFile>, ApiError> {
    Ok(Json(refund::sale_on_file(&k, &session, &receipt_no).await?))
}

/// Refund lines of a sale (by receipt number). Idempotent on `refund_no`.
#[utoipa::path(post, path = "/api/sales/{receipt_no}/refunds", security(("session" = ["refund.own_till"])), extensions(("x-prints" = json!(true)), ("x-supervisor-pin" = json!(true))), tag = "checkout", request_body = RefundRequest,
    params(("receipt_no" = String, Path)),
    responses((status = 201, body = RefundReceipt), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(k): State<Kiosk>,
    session: Session,
    SupervisorHeaders(supervisor): SupervisorHeaders,
    ApiPath(receipt_no): ApiPath<String>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> Result<Response, ApiError> {
    // Checked before the refund's transaction: a PIN check writes its own (wrong-PIN count).
    let approved_by = match &supervisor {
        Some(_) => {
            Some(staff::approve(&k, supervisor.as_ref(), Permission::RefundOverLimit).await?)
        }
        None => None,
    };
    let by = RefundAuthority {
        session: &session,
        approved_by: approved_by.as_deref(),
    };
    let answer = refund::refund(&k, &by, &receipt_no, req).await?;
    Ok(approved(
        (StatusCode::CREATED, Json(answer)).into_response(),
        approved_by,
    ))
}
