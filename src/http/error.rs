//! The one HTTP error: every refusal is JSON `{error, code, rule, field}` with a fitting
//! status and a stable machine `code`; storage faults are logged and answered with a plain
//! 500 that reveals nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::card::reader::ReaderError;
use crate::domain::staff::Permission;
use crate::flows::{ErrorCode, FlowError, RULE_IDS};

/// The body of every 4xx/5xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for the operator (English; a UI says it from `code`).
    pub error: String,
    /// Stable machine code: the rule id for a rule refusal (`R-PTS-5`), else a fixed
    /// snake_case code (`card_removed`, `idempotency_conflict`, …). Never renamed.
    #[schema(schema_with = code_schema)]
    pub code: String,
    /// The membership rule that refused, e.g. `R-PTS-4`.
    pub rule: Option<String>,
    /// The request field at fault, e.g. `lines[0].quantity` or `X-Supervisor-Pin`.
    pub field: Option<String>,
    /// The permission missing, on a 403, e.g. `refund.any_till`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

/// Every code an error body can carry, as a string enum (the UI's message catalogue keys).
fn code_schema() -> impl Into<RefOr<Schema>> {
    let codes = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(RULE_IDS)
        .map(|c| serde_json::Value::String(c.to_owned()));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: handlers return `Result<_, ApiError>`, and the `Err` side stays one pointer.
    pub body: Box<ErrorBody>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, error: impl Into<String>) -> ApiError {
        ApiError::coded(status, code.as_str(), error)
    }

    fn coded(status: StatusCode, code: &str, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                error: error.into(),
                code: code.to_owned(),
                rule: None,
                field: None,
                permission: None,
            }),
        }
    }

    /// Names the request field at fault.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }

    fn rule(mut self, rule: Option<&str>) -> ApiError {
        self.body.rule = rule.map(String::from);
        self
    }

    /// 422 refused by a membership rule: the code is the rule id.
    fn rule_refusal(rule: &str, error: impl Into<String>) -> ApiError {
        ApiError::coded(StatusCode::UNPROCESSABLE_ENTITY, rule, error).rule(Some(rule))
    }

    /// 403: the staff member's role (or the supervisor who was to approve) lacks `permission`.
    pub fn forbidden(permission: Permission, error: impl Into<String>) -> ApiError {
        ApiError::forbidden_as(ErrorCode::PermissionDenied, permission, error)
    }

    /// 403 with a more specific code than `permission_denied`.
    pub fn forbidden_as(
        code: ErrorCode,
        permission: Permission,
        error: impl Into<String>,
    ) -> ApiError {
        let mut e = ApiError::new(StatusCode::FORBIDDEN, code, error);
        e.body.permission = Some(permission.as_str().to_owned());
        e
    }

    /// 401: not signed in, signed out (`unauthenticated`), or the session expired.
    pub fn unauthenticated(code: ErrorCode, error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, error).field("Authorization")
    }

    /// 500 that reveals nothing (the cause is logged by the caller).
    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "internal error: nothing was changed",
        )
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

/// The status and code of a card reader's failure.
fn reader_refusal(r: &ReaderError) -> (StatusCode, ErrorCode) {
    match r {
        ReaderError::NoReader(_) => (StatusCode::BAD_REQUEST, ErrorCode::NoReader),
        ReaderError::ReaderUnavailable(_) | ReaderError::Service(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ReaderUnavailable,
        ),
        ReaderError::Unsupported(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CardUnsupported)
        }
        ReaderError::NoCard => (StatusCode::CONFLICT, ErrorCode::NoCard),
        ReaderError::Removed => (StatusCode::CONFLICT, ErrorCode::CardRemoved),
        ReaderError::Swapped => (StatusCode::CONFLICT, ErrorCode::CardSwapped),
        ReaderError::NotResponding => (StatusCode::CONFLICT, ErrorCode::CardNotResponding),
        ReaderError::VerifyFailed => (StatusCode::CONFLICT, ErrorCode::CardVerifyFailed),
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> ApiError {
        match e {
            FlowError::Rule(v) => {
                let e = ApiError::rule_refusal(v.rule, v.message);
                match v.field {
                    Some(f) => e.field(f),
                    None => e,
                }
            }
            FlowError::NotFound { what, field } => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("{what} not found"),
            )
            .field(field),
            FlowError::Conflict {
                code,
                message,
                rule,
                field,
            } => {
                let e = ApiError::new(StatusCode::CONFLICT, code, message).rule(rule);
                match field {
                    Some(f) => e.field(f),
                    None => e,
                }
            }
            FlowError::Invalid { message, field } => {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidField, message)
                    .field(field)
            }
            FlowError::CardUnusable(u) => {
                ApiError::rule_refusal(u.rule(), format!("card cannot be used: {}", u.explain()))
                    .field("card_number")
            }
            FlowError::Reader(r) => {
                let (status, code) = reader_refusal(&r);
                ApiError::new(status, code, r.to_string()).field("card")
            }
            FlowError::Forbidden {
                permission,
                message,
            } => ApiError::forbidden(permission, message),
            FlowError::SupervisorPinRequired {
                permission,
                message,
            } => ApiError::forbidden_as(ErrorCode::SupervisorPinRequired, permission, message)
                .field("X-Supervisor-Pin"),
            FlowError::SignIn { message } => {
                ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::SignInFailed, message)
                    .rule(Some("R-SVC-2"))
            }
            FlowError::Internal(cause) => {
                tracing::error!(%cause, "internal fault");
                ApiError::internal()
            }
            FlowError::Store(cause) => {
                tracing::error!(%cause, "storage fault");
                ApiError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_rule_ids_are_rule_shaped() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert!(
                s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{s}"
            );
            assert!(seen.insert(s), "{s} twice");
        }
        for r in RULE_IDS {
            assert!(r.starts_with("R-") && r.len() >= 7, "{r}");
            assert!(seen.insert(r), "{r} twice");
        }
    }
}
