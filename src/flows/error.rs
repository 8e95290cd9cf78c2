//! The flows' error: a rule refusal, a missing or conflicting record, a card that can't be
//! used or written, or a storage fault. The HTTP edge maps each to a status and JSON body.

use crate::card::reader::ReaderError;
use crate::domain::card_status::Unusable;
use crate::domain::staff::Permission;
use crate::domain::RuleViolation;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        field: &'static str,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        rule: Option<&'static str>,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    Invalid { message: String, field: String },
    #[error("card cannot be used: {}", .0.explain())]
    CardUnusable(Unusable),
    /// The card reader could not complete (no card, card pulled, different card, …).
    #[error(transparent)]
    Reader(#[from] ReaderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The staff member may not do this (403, naming the permission).
    #[error("{message}")]
    Forbidden {
        permission: Permission,
        message: String,
    },
    /// Signing in failed: wrong staff number or PIN, or the account is locked (401).
    #[error("{message}")]
    SignIn { message: String },
    /// A fault that is not the request's (no randomness, a worker thread lost): 500.
    #[error("internal fault: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for FlowError {
    fn from(e: sqlx::Error) -> Self {
        FlowError::Store(StoreError::Database(e))
    }
}

impl FlowError {
    /// The acting staff member's role lacks `permission`.
    pub fn forbidden(permission: Permission) -> FlowError {
        FlowError::Forbidden {
            permission,
            message: format!("not allowed: needs permission {}", permission.as_str()),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> FlowError {
        FlowError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(
        message: impl Into<String>,
        rule: Option<&'static str>,
        field: Option<&'static str>,
    ) -> FlowError {
        FlowError::Conflict {
            message: message.into(),
            rule,
            field,
        }
    }
}
