//! Checkout endpoints for tills and the cashier UI: quote, commit, refund.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use axum::response::{IntoResponse, Response};

use super::audit::AuditedInTransaction;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Staff};
use crate::domain::quote::Quote;
use crate::flows::checkout::{self, QuoteRequest, SaleReceipt, SaleRequest};
use crate::flows::refund::{self, RefundReceipt, RefundRequest};
use crate::kiosk::Kiosk;

/// Price a basket (no change is made).
#[utoipa::path(post, path = "/api/quotes", tag = "checkout", request_body = QuoteRequest,
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(k): State<Kiosk>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(checkout::quote_basket(&k, req).await?))
}

/// Commit a sale. Idempotent on `receipt_no`: the same body again returns the first result;
/// a different body under the same number is a 409. Totals are computed here, never trusted.
#[utoipa::path(post, path = "/api/sales", tag = "checkout", request_body = SaleRequest,
    params(("X-Staff-Id" = String, Header, description = "cashier")),
    responses((status = 201, body = SaleReceipt), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn commit(
    State(k): State<Kiosk>,
    staff: Staff,
    ApiJson(req): ApiJson<SaleRequest>,
) -> Result<Response, ApiError> {
    let (answer, audited) = checkout::commit_sale(&k, &staff.staff_id, req).await?;
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if audited {
        response.extensions_mut().insert(AuditedInTransaction);
    }
    Ok(response)
}

/// Refund lines of a sale (by receipt number). Idempotent on `refund_no`.
#[utoipa::path(post, path = "/api/sales/{receipt_no}/refunds", tag = "checkout", request_body = RefundRequest,
    params(("receipt_no" = String, Path), ("X-Staff-Id" = String, Header)),
    responses((status = 201, body = RefundReceipt), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(k): State<Kiosk>,
    staff: Staff,
    Path(receipt_no): Path<String>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(refund::refund(&k, &staff.staff_id, &receipt_no, req).await?),
    ))
}
