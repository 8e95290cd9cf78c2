//! Staff operations, one file each: read what the rules need from the store, let the pure
//! rules engine decide, then apply the result in one SQLite transaction (with its ledger,
//! card-event and outbox rows).

pub mod adjustment;
pub mod audit;
pub mod card_check;
pub mod card_io;
pub mod card_rewrite;
pub mod checkout;
pub mod enrolment;
pub mod enrolment_check;
mod error;
pub mod issuing;
pub mod lookup;
pub mod members;
pub mod policy;
pub mod printing;
pub mod reactivation;
pub mod readers;
pub mod redemption;
pub mod refund;
pub mod replacement;
pub mod reports;
pub mod review;
pub mod services;
pub mod slips;
pub mod staff;
pub mod sync_apply;
pub mod unblock;
pub mod upgrade;

pub use error::{ErrorCode, FlowError, RULE_IDS};
