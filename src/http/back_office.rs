//! Back-office endpoints: the annual review, the policy in force, the gift catalogue, the
//! loss-report follow-up list and the health check.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::domain::gift_exchange::Gift;
use crate::domain::policy::Policy;
use crate::flows::replacement::FollowUpCall;
use crate::flows::review::{self, ReviewSummary};
use crate::flows::services;
use crate::flows::{policy, replacement};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;
use crate::store::audit::{self, AuditRow, VerifyReport};
use crate::store::StoreError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The day to review for; default today. Only today or an earlier day.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Run the annual review (R-EXP) for a day. Idempotent; also runs daily on its own.
#[utoipa::path(post, path = "/api/review", security(("session" = ["review.run"])), tag = "back office", request_body = ReviewRequest, responses((status = 200, body = ReviewSummary), (status = 400, body = ErrorBody)))]
pub async fn run_review(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<Json<ReviewSummary>, ApiError> {
    let mut action = k.action_by(&session);
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
#[utoipa::path(get, path = "/api/policy", security(("session" = [])), tag = "back office", responses((status = 200, body = Policy)))]
pub async fn policy(State(k): State<Kiosk>) -> Json<Policy> {
    Json(k.policy(k.today()).as_ref().clone())
}

/// The gift catalogue (R-PTS-6).
#[utoipa::path(get, path = "/api/gifts", security(("session" = [])), tag = "lounge", responses((status = 200, body = [Gift])))]
pub async fn gifts(State(k): State<Kiosk>) -> Result<Json<Vec<Gift>>, ApiError> {
    Ok(Json(services::gift_catalogue(&k).await?))
}

/// Loss reports past their 7-day deadline, for follow-up calls (R-REP-2): each with the
/// member's name and phone (in full: the desk calls them).
#[utoipa::path(get, path = "/api/loss-reports/overdue", security(("session" = ["card.report_loss"])), tag = "cards", responses((status = 200, body = [FollowUpCall])))]
pub async fn overdue_loss_reports(
    State(k): State<Kiosk>,
) -> Result<Json<Vec<FollowUpCall>>, ApiError> {
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
    /// Card reservations a killed kiosk left, voided by the sweep (their numbers are in the log).
    pub stale_reservations_voided: i64,
    /// The head-office sync.
    pub sync: SyncHealth,
}

/// The head-office sync as the status bar shows it (docs/sync.md §4).
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncHealth {
    /// `online`, `offline`, `conflict` (pushing stopped: an alarm is open) or `not_configured`.
    #[schema(example = "online")]
    pub state: &'static str,
    /// The last call head office answered (either direction).
    pub last_success: Option<DateTime<Utc>>,
    /// Outbox events head office has not acknowledged.
    pub backlog: i64,
    /// Age of the oldest unacknowledged event, seconds (0: none).
    pub lag_seconds: i64,
    pub last_error: Option<String>,
    /// Seconds since the last successful pull (the hotlist's age); None: never pulled.
    pub hotlist_age_seconds: Option<i64>,
    /// The change-feed cursor.
    pub cursor: i64,
}

#[utoipa::path(get, path = "/api/health", security(()), tag = "back office", responses((status = 200, body = Health)))]
pub async fn health(State(k): State<Kiosk>) -> Result<Json<Health>, ApiError> {
    let mut conn =
        k.db.reader
            .acquire()
            .await
            .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let pending = crate::store::outbox::pending(&mut conn)
        .await
        .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let stale = crate::store::cards::stale_reservations_voided(&mut conn)
        .await
        .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let row = crate::store::sync_state::load(&mut conn)
        .await
        .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let oldest = crate::store::outbox::oldest_unacknowledged(&mut conn)
        .await
        .map_err(|e| ApiError::from(crate::flows::FlowError::from(e)))?;
    let now = k.clock.now();
    // The sync task's own reading (loaded from sync_state at start, then kept by the task).
    let state = k.sync.snapshot().state();
    let sync = SyncHealth {
        state: state.as_str(),
        last_success: row.last_success(),
        backlog: pending,
        lag_seconds: oldest.map_or(0, |at| (now - at).num_seconds().max(0)),
        last_error: row.last_error.clone(),
        hotlist_age_seconds: row
            .last_pull_success
            .map(|at| (now - at).num_seconds().max(0)),
        cursor: row.pull_cursor,
    };
    let today = k.today();
    Ok(Json(Health {
        status: "ok",
        store_id: k.config.store_id.clone(),
        business_day: today,
        policy_version: k.policy(today).version,
        outbox_pending: pending,
        stale_reservations_voided: stale,
        sync,
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
#[utoipa::path(post, path = "/api/workstations/{workstation}/daily-summary", security(("session" = ["report.daily"])), extensions(("x-prints" = json!(true))), tag = "back office", request_body = SummaryRequest,
    params(("workstation" = String, Path)),
    responses((status = 200, body = DailySummary, description = "the summary printed, with the print outcome"), (status = 400, body = ErrorBody)))]
pub async fn daily_summary(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(workstation): ApiPath<String>,
    ApiJson(req): ApiJson<SummaryRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::domain::staff::check_workstation(&workstation)
        .map_err(|v| crate::flows::FlowError::invalid("workstation", v.message))?;
    let action = k.action_at(&session, &workstation);
    let day = req.date.unwrap_or(action.today);
    let doc = crate::flows::slips::daily_summary(&k, &action, day).await?;
    let print = crate::flows::slips::print(&k, &action, vec![doc]).await;
    let summary = DailySummary {
        workstation,
        business_day: day,
    };
    Ok(Json(crate::flows::slips::with_print(
        serde_json::to_value(summary).unwrap_or_default(),
        print,
    )))
}

/// Whose end-of-day summary was printed (the answer adds `print`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DailySummary {
    pub workstation: String,
    pub business_day: NaiveDate,
}

/// Publish a new policy version (head office): in force from its `effective_from`.
#[utoipa::path(post, path = "/api/policy", security(("session" = ["policy.manage"])), tag = "back office", request_body = Policy,
    responses((status = 201, body = Policy), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_policy(
    State(k): State<Kiosk>,
    session: Session,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<(axum::http::StatusCode, Json<Policy>), ApiError> {
    let action = k.action_by(&session);
    Ok((
        axum::http::StatusCode::CREATED,
        Json(policy::publish(&k, &action, policy).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Rows before this seq (paging back); default the newest.
    pub before: Option<i64>,
    /// At most this many rows (default 100, at most 500).
    pub limit: Option<u32>,
    /// Walk the whole chain and the anchor file (default: only rows added since the last
    /// check).
    pub full: Option<bool>,
}

/// A page of the audit trail, newest first, with the result of checking the chain: the whole
/// of it on the first check since start or with `full=true`, else the rows added since.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<AuditRow>,
    #[schema(value_type = Object)]
    pub chain: VerifyReport,
}

/// The audit trail (supervisors, head office).
#[utoipa::path(get, path = "/api/audit", security(("session" = ["audit.view"])), tag = "back office", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub async fn audit_trail(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let chain = crate::flows::audit::check(&k, q.full.unwrap_or(false)).await?;
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = audit::recent(&mut conn, q.before, limit).await?;
    Ok(Json(AuditPage { rows, chain }))
}
