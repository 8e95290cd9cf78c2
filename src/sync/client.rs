//! The head-office client seam: what a store asks head office. One real driver (HTTPS with
//! the chain's CA, `sync::http_client`) and an in-memory double for unit tests.

use std::future::Future;
use std::pin::Pin;

use super::protocol::{
    ChainKeys, ChangesAnswer, Conflict, EnrolmentCheck, EnrolmentCheckAnswer, PushAnswer,
    PushRequest, RedemptionAnswer, RedemptionRequest,
};

/// Why a call to head office did not give an answer the store can use.
#[derive(Debug, thiserror::Error)]
pub enum HeadOfficeError {
    /// No connection, a timeout, a cut answer: the store is offline for this call. The
    /// request may or may not have reached head office (every call is idempotent).
    #[error("head office unreachable: {0}")]
    Unreachable(String),
    /// Head office already holds this (store, seq) with another hash: never overwritten.
    #[error("event {} conflicts with head office's copy", .0.seq)]
    Conflict(Conflict),
    /// Head office refused the store's credential or store id.
    #[error("head office refused the store: {0}")]
    Refused(String),
    /// Any other answer head office should not give (a bug on one side).
    #[error("head office answered {status}: {code}")]
    Unexpected { status: u16, code: String },
}

/// A call's future, boxed so the kiosk can hold any driver as `Arc<dyn HeadOffice>`.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, HeadOfficeError>> + Send + 'a>>;

/// What a store asks head office. Every call is idempotent, so a retry after a lost answer
/// is always safe.
pub trait HeadOffice: Send + Sync + 'static {
    fn push<'a>(&'a self, request: &'a PushRequest) -> Call<'a, PushAnswer>;
    fn changes(&self, after: i64, limit: u32) -> Call<'_, ChangesAnswer>;
    fn redeem<'a>(&'a self, request: &'a RedemptionRequest) -> Call<'a, RedemptionAnswer>;
    fn check_enrolment<'a>(&'a self, request: &'a EnrolmentCheck)
        -> Call<'a, EnrolmentCheckAnswer>;
    fn keys(&self) -> Call<'_, ChainKeys>;
}
