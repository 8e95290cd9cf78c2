//! Report endpoints for the back office's charts and tables: members by tier, and card
//! activity, points and print faults by store-local day over `from`..=`to` (at most 92 days).

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use crate::flows::reports::{
    self, CardActivityReport, MembersReport, PointsReport, PrintFaultsReport,
};
use crate::kiosk::Kiosk;

/// The store-local days a report covers, both included.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// First day (default: 30 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day (default today; not after today; at most 92 days after `from`).
    pub to: Option<NaiveDate>,
}

/// Members by tier today: their cards in use, lapsed (inactive) and blocked after a loss.
#[utoipa::path(get, path = "/api/reports/members", security(("session" = ["report.daily"])), tag = "reports",
    responses((status = 200, body = MembersReport), (status = 403, body = ErrorBody)))]
pub async fn members(State(k): State<Kiosk>) -> Result<Json<MembersReport>, ApiError> {
    Ok(Json(reports::members(&k).await?))
}

/// Enrolments, upgrades, downgrades and all card events, by day.
#[utoipa::path(get, path = "/api/reports/card-activity", security(("session" = ["report.daily"])), tag = "reports", params(DaysQuery),
    responses((status = 200, body = CardActivityReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn card_activity(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<CardActivityReport>, ApiError> {
    let range = reports::range(&k, q.from, q.to)?;
    Ok(Json(reports::card_activity(&k, range).await?))
}

/// Points issued and redeemed, and the points outstanding with their value (the store's
/// liability), by day.
#[utoipa::path(get, path = "/api/reports/points", security(("session" = ["report.daily"])), tag = "reports", params(DaysQuery),
    responses((status = 200, body = PointsReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn points(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<PointsReport>, ApiError> {
    let range = reports::range(&k, q.from, q.to)?;
    Ok(Json(reports::points(&k, range).await?))
}

/// Print jobs by the day they were queued (printed after a retry, failed now), and the
/// faults still open by workstation.
#[utoipa::path(get, path = "/api/reports/print-faults", security(("session" = ["report.daily"])), tag = "reports", params(DaysQuery),
    responses((status = 200, body = PrintFaultsReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn print_faults(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<PrintFaultsReport>, ApiError> {
    let range = reports::range(&k, q.from, q.to)?;
    Ok(Json(reports::print_faults(&k, range).await?))
}
