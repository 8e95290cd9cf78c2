//! Print queue and printer endpoints: the jobs of a workstation, one job with its preview (also
//! as plain text for the browser), retry and reprint, and each printer's state now.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::flows::printing::{self, PrintOutcome, PrinterStatus};
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;
use crate::store::print_jobs::{JobState, PrintJob};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Only this workstation's jobs.
    pub workstation: Option<String>,
    /// Only jobs in this state (`pending`, `printed`, `failed`).
    pub state: Option<JobState>,
}

/// One job and its text preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintJobDetail {
    #[serde(flatten)]
    pub job: PrintJob,
    pub preview: String,
}

/// Print jobs, newest first (at most 200): e.g. `?workstation=checkout-1&state=failed`.
#[utoipa::path(get, path = "/api/print-jobs", security(("session" = ["print.manage"])), tag = "printing", params(JobQuery),
    responses((status = 200, body = [PrintJob]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(k): State<Kiosk>,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<Vec<PrintJob>>, ApiError> {
    Ok(Json(
        printing::list(&k, q.workstation.as_deref(), q.state).await?,
    ))
}

/// One print job with its preview.
#[utoipa::path(get, path = "/api/print-jobs/{job_id}", security(("session" = ["print.manage"])), tag = "printing", params(("job_id" = i64, Path)),
    responses((status = 200, body = PrintJobDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get(
    State(k): State<Kiosk>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PrintJobDetail>, ApiError> {
    let job = printing::find(&k, id).await?;
    let preview = printing::preview(&k, id).await?;
    Ok(Json(PrintJobDetail { job, preview }))
}

/// The job as it looks on paper, as plain text (open it in the browser).
#[utoipa::path(get, path = "/api/print-jobs/{job_id}/preview", security(("session" = ["print.manage"])), tag = "printing", params(("job_id" = i64, Path)),
    responses((status = 200, content_type = "text/plain; charset=utf-8", body = String), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn preview(
    State(k): State<Kiosk>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let text = printing::preview(&k, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Print a failed job again (after loading paper, closing the cover, …). A printer fault is
/// still a 200 with `state: failed`: the job stays in the queue.
#[utoipa::path(post, path = "/api/print-jobs/{job_id}/retry", security(("session" = ["print.manage"])), tag = "printing", params(("job_id" = i64, Path)),
    responses((status = 200, body = PrintOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PrintOutcome>, ApiError> {
    tracing::info!(staff = %session.staff_number, job_id = id, "print job retried");
    Ok(Json(printing::retry(&k, id).await?))
}

/// Print a COPY of a printed job: a new job marked 副本 COPY.
#[utoipa::path(post, path = "/api/print-jobs/{job_id}/reprint", security(("session" = ["print.manage"])), tag = "printing", params(("job_id" = i64, Path)),
    responses((status = 201, body = PrintOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reprint(
    State(k): State<Kiosk>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<PrintOutcome>), ApiError> {
    tracing::info!(staff = %session.staff_number, job_id = id, "print job reprinted");
    Ok((StatusCode::CREATED, Json(printing::reprint(&k, id).await?)))
}

/// Each workstation's printer and its state now (`*`: the spool of the others).
#[utoipa::path(get, path = "/api/printers", security(("session" = [])), tag = "printing", responses((status = 200, body = [PrinterStatus])))]
pub async fn printers(State(k): State<Kiosk>) -> Json<Vec<PrinterStatus>> {
    Json(printing::statuses(&k).await)
}
