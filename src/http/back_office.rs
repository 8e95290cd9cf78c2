//! Back-office endpoints: the annual review, the policy in force, the gift catalogue, the
//! loss-report follow-up list and the health check.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Staff};
use crate::domain::gift_exchange::Gift;
use crate::domain::policy::Policy;
use crate::flows::replacement;
use crate::flows::review::{self, ReviewSummary};
use crate::flows::services;
use crate::kiosk::Kiosk;
use crate::store::loss_reports::LossReportRow;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The day to review for; default today. Only today or an earlier day.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Run the annual review (R-EXP) for a day. Idempotent; also runs daily on its own.
#[utoipa::path(post, path = "/api/review", tag = "back office", request_body = ReviewRequest, params(("X-Staff-Id" = String, Header)),
    responses((status = 200, body = ReviewSummary), (status = 400, body = ErrorBody)))]
pub async fn run_review(
    State(k): State<Kiosk>,
    staff: Staff,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<Json<ReviewSummary>, ApiError> {
    let mut action = k.action(&staff.staff_id, &staff.workstation);
    if let Some(date) = req.date {
        if date > action.today {
            return Err(
                crate::flows::FlowError::invalid("date", "cannot review a future day").into(),
            );
        }
        action.today = date;
    }
    Ok(Json(review::run_review(&k, &action).await?))
}

/// The policy in force today.
#[utoipa::path(get, path = "/api/policy", tag = "back office", responses((status = 200, body = Policy)))]
pub async fn policy(State(k): State<Kiosk>) -> Json<Policy> {
    Json(k.policy(k.today()).as_ref().clone())
}

/// The gift catalogue (R-PTS-6).
#[utoipa::path(get, path = "/api/gifts", tag = "lounge", responses((status = 200, body = [Gift])))]
pub async fn gifts(State(k): State<Kiosk>) -> Result<Json<Vec<Gift>>, ApiError> {
    Ok(Json(services::gift_catalogue(&k).await?))
}

/// Loss reports past their 7-day deadline, for follow-up calls (R-REP-2).
#[utoipa::path(get, path = "/api/loss-reports/overdue", tag = "cards", responses((status = 200, body = [LossReportRow])))]
pub async fn overdue_loss_reports(
    State(k): State<Kiosk>,
) -> Result<Json<Vec<LossReportRow>>, ApiError> {
    Ok(Json(replacement::overdue_loss_reports(&k).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub store_id: String,
    pub business_day: NaiveDate,
    pub policy_version: u32,
    /// Changes waiting for head-office sync.
    pub outbox_pending: i64,
}

#[utoipa::path(get, path = "/api/health", tag = "back office", responses((status = 200, body = Health)))]
pub async fn health(State(k): State<Kiosk>) -> Result<Json<Health>, ApiError> {
    let mut conn =
        k.db.reader
            .acquire()
            .await
            .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let pending = crate::store::outbox::pending(&mut conn)
        .await
        .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let today = k.today();
    Ok(Json(Health {
        status: "ok",
        store_id: k.config.store_id.clone(),
        business_day: today,
        policy_version: k.policy(today).version,
        outbox_pending: pending,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryRequest {
    /// The business day; default today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Print the end-of-day membership summary of a workstation (till, lounge or desk).
#[utoipa::path(post, path = "/api/workstations/{workstation}/daily-summary", tag = "back office", request_body = SummaryRequest,
    params(("workstation" = String, Path), ("X-Staff-Id" = String, Header)),
    responses((status = 200, description = "the print outcome, with the preview"), (status = 400, body = ErrorBody)))]
pub async fn daily_summary(
    State(k): State<Kiosk>,
    staff: Staff,
    axum::extract::Path(workstation): axum::extract::Path<String>,
    ApiJson(req): ApiJson<SummaryRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let action = k.action(&staff.staff_id, &workstation);
    let day = req.date.unwrap_or(action.today);
    let doc = crate::flows::slips::daily_summary(&k, &action, day).await?;
    let print = crate::flows::slips::print(&k, &action, vec![doc]).await;
    Ok(Json(
        serde_json::json!({ "workstation": workstation, "business_day": day, "print": print }),
    ))
}
