//! The one HTTP error: every refusal is JSON `{error, rule, field}` with a fitting status;
//! storage faults are logged and answered with a plain 500 that reveals nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::card::reader::ReaderError;
use crate::domain::staff::Permission;
use crate::flows::FlowError;

/// The body of every 4xx/5xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for the operator.
    pub error: String,
    /// The membership rule that refused, e.g. `R-PTS-4`.
    pub rule: Option<String>,
    /// The request field at fault, e.g. `lines[0].quantity` or `X-Supervisor-Pin`.
    pub field: Option<String>,
    /// The permission missing, on a 403, e.g. `refund.any_till`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        error: impl Into<String>,
        rule: Option<&str>,
        field: Option<&str>,
    ) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                rule: rule.map(String::from),
                field: field.map(String::from),
                permission: None,
            },
        }
    }

    /// 403: the staff member's role (or the supervisor who was to approve) lacks `permission`.
    pub fn forbidden(permission: Permission, error: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::FORBIDDEN, error, None, None);
        e.body.permission = Some(permission.as_str().to_owned());
        e
    }

    /// 401: not signed in, signed out, or the session expired.
    pub fn unauthenticated(error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, error, None, Some("Authorization"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// A storage fault met outside a flow (a read-only listing): the same 500 as inside one.
impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        FlowError::from(e).into()
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> ApiError {
        match e {
            FlowError::Rule(v) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                v.message,
                Some(v.rule),
                v.field.as_deref(),
            ),
            FlowError::NotFound { what, field } => ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{what} not found"),
                None,
                Some(field),
            ),
            FlowError::Conflict {
                message,
                rule,
                field,
            } => ApiError::new(StatusCode::CONFLICT, message, rule, field),
            FlowError::Invalid { message, field } => {
                ApiError::new(StatusCode::BAD_REQUEST, message, None, Some(&field))
            }
            FlowError::CardUnusable(u) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("card cannot be used: {}", u.explain()),
                Some(u.rule()),
                Some("card_number"),
            ),
            FlowError::Reader(r) => {
                let status = match r {
                    ReaderError::NoReader(_) => StatusCode::BAD_REQUEST,
                    ReaderError::ReaderUnavailable(_) | ReaderError::Service(_) => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    ReaderError::Unsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    ReaderError::NoCard
                    | ReaderError::Removed
                    | ReaderError::Swapped
                    | ReaderError::NotResponding
                    | ReaderError::VerifyFailed => StatusCode::CONFLICT,
                };
                ApiError::new(status, r.to_string(), None, Some("card"))
            }
            FlowError::Forbidden {
                permission,
                message,
            } => ApiError::forbidden(permission, message),
            FlowError::SignIn { message } => {
                ApiError::new(StatusCode::UNAUTHORIZED, message, Some("R-SVC-2"), None)
            }
            FlowError::Internal(cause) => {
                tracing::error!(%cause, "internal fault");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: nothing was changed",
                    None,
                    None,
                )
            }
            FlowError::Store(cause) => {
                tracing::error!(%cause, "storage fault");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: nothing was changed",
                    None,
                    None,
                )
            }
        }
    }
}
