//! The flows' error: a rule refusal, a missing or conflicting record, a card that can't be
//! used or written, or a storage fault, and the stable machine code each is answered with.
//! The HTTP edge maps each to a status and JSON body.

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
        code: ErrorCode,
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
    /// The action needs a supervisor's PIN on top of the session, and none was sent (403).
    #[error("{message}")]
    SupervisorPinRequired {
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
        code: ErrorCode,
        message: impl Into<String>,
        rule: Option<&'static str>,
        field: Option<&'static str>,
    ) -> FlowError {
        FlowError::Conflict {
            code,
            message: message.into(),
            rule,
            field,
        }
    }
}

/// Declares [`ErrorCode`] from one list: each variant with its code.
macro_rules! error_codes {
    ($($name:ident = $code:literal,)*) => {
        /// The stable machine code of every refusal the API answers, for a UI to say in the
        /// operator's language without matching English text. A rule refusal's code is its
        /// rule id instead (one of [`RULE_IDS`]). Published in the OpenAPI document: never
        /// rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($name,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // Signing in and access.
    Unauthenticated = "unauthenticated",
    SessionExpired = "session_expired",
    SignInFailed = "sign_in_failed",
    PermissionDenied = "permission_denied",
    SupervisorPinRequired = "supervisor_pin_required",
    WrongWorkstation = "wrong_workstation",
    NoAccessRule = "no_access_rule",
    RateLimited = "rate_limited",
    // The request itself.
    NoSuchEndpoint = "no_such_endpoint",
    MethodNotAllowed = "method_not_allowed",
    UriTooLong = "uri_too_long",
    BodyTooLarge = "body_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    MalformedJson = "malformed_json",
    InvalidBody = "invalid_body",
    InvalidQuery = "invalid_query",
    InvalidPath = "invalid_path",
    InvalidField = "invalid_field",
    // Records.
    NotFound = "not_found",
    IdempotencyConflict = "idempotency_conflict",
    CardNotWritable = "card_not_writable",
    CardStateConflict = "card_state_conflict",
    CardChanged = "card_changed",
    CardIssueTimedOut = "card_issue_timed_out",
    PolicyVersionConflict = "policy_version_conflict",
    StaffNumberTaken = "staff_number_taken",
    SupervisorExists = "supervisor_exists",
    OwnAccount = "own_account",
    DatabaseNotEmpty = "database_not_empty",
    // Printing.
    PrintJobBusy = "print_job_busy",
    PrintJobNotPrinted = "print_job_not_printed",
    PrintJobAlreadyPrinted = "print_job_already_printed",
    PrintJobUnreadable = "print_job_unreadable",
    // Card readers and the demo tray.
    NoReader = "no_reader",
    ReaderUnavailable = "reader_unavailable",
    CardUnsupported = "card_unsupported",
    NoCard = "no_card",
    CardRemoved = "card_removed",
    CardSwapped = "card_swapped",
    CardNotResponding = "card_not_responding",
    CardVerifyFailed = "card_verify_failed",
    TrayDemoOnly = "tray_demo_only",
    TraySlotNotFound = "tray_slot_not_found",
    TrayCardNotFound = "tray_card_not_found",
    TrayOccupied = "tray_occupied",
    TrayInsertFailed = "tray_insert_failed",
    // Ours.
    InternalError = "internal_error",
}

/// Every membership rule id (spec: membership-rules.md): the code of a refusal by that rule.
pub const RULE_IDS: [&str; 45] = [
    "R-DSC-1", "R-DSC-2", "R-DSC-3", "R-DSC-4", "R-DSC-5", "R-DSC-6", "R-ENR-1", "R-ENR-2",
    "R-ENR-3", "R-ENR-4", "R-ENR-5", "R-ENR-6", "R-ENR-7", "R-EXP-1", "R-EXP-2", "R-EXP-3",
    "R-EXP-4", "R-PAY-1", "R-PTS-1", "R-PTS-2", "R-PTS-3", "R-PTS-4", "R-PTS-5", "R-PTS-6",
    "R-PTS-7", "R-PTS-8", "R-PTS-9", "R-REP-1", "R-REP-2", "R-REP-3", "R-REP-4", "R-REP-5",
    "R-REP-6", "R-SRV-1", "R-SRV-2", "R-SRV-3", "R-SRV-4", "R-SVC-1", "R-SVC-2", "R-SVC-3",
    "R-SVC-4", "R-UPG-1", "R-UPG-2", "R-UPG-3", "R-UPG-4",
];
