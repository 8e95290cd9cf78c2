//! The one head-office error: every refusal is JSON `{error, code}` with a fitting status;
//! database faults are logged and answered with a plain 500 that reveals nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::sync::protocol::Conflict;

#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error("missing or unknown credential")]
    BadCredential,
    #[error("the credential belongs to another store")]
    WrongStore,
    #[error("not signed in, or the session ended")]
    NotSignedIn,
    #[error("wrong staff number or PIN")]
    BadPin,
    #[error("this account may not do that")]
    Forbidden,
    #[error("event {seq}: hash does not match kind, version and payload")]
    BadHash { seq: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error("event {} is already stored with another hash", .0.seq)]
    Conflict(Conflict),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl HqError {
    pub fn status(&self) -> StatusCode {
        match self {
            HqError::BadCredential | HqError::NotSignedIn | HqError::BadPin => {
                StatusCode::UNAUTHORIZED
            }
            HqError::WrongStore | HqError::Forbidden => StatusCode::FORBIDDEN,
            HqError::BadHash { .. } | HqError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HqError::Conflict(_) => StatusCode::CONFLICT,
            HqError::NotFound(_) => StatusCode::NOT_FOUND,
            HqError::Db(_) | HqError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            HqError::BadCredential => "bad_credential",
            HqError::WrongStore => "wrong_store",
            HqError::NotSignedIn => "not_signed_in",
            HqError::BadPin => "bad_pin",
            HqError::Forbidden => "forbidden",
            HqError::BadHash { .. } => "bad_hash",
            HqError::Invalid(_) => "invalid_request",
            HqError::Conflict(_) => "event_conflict",
            HqError::NotFound(_) => "not_found",
            HqError::Db(_) | HqError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            HqError::Db(_) | HqError::Internal(_) => {
                tracing::error!(error = %self, "head office failed a request");
                json!({ "error": "internal error", "code": self.code() })
            }
            // The `Conflict` fields beside `{error, code}`: the store reads either shape.
            HqError::Conflict(c) => json!({
                "error": self.to_string(),
                "code": self.code(),
                "seq": c.seq,
                "stored_hash": c.stored_hash,
                "sent_hash": c.sent_hash,
            }),
            _ => json!({ "error": self.to_string(), "code": self.code() }),
        };
        (status, Json(body)).into_response()
    }
}
