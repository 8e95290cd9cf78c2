//! The membership rules engine: pure functions over plain types (no IO, no clock reads —
//! the store-local date is always an argument). Rule ids (`R-…`) refer to
//! `docs/rules.md`.

pub mod adjustment;
pub mod basket;
pub mod birthday;
pub mod card_number;
pub mod card_status;
pub mod card_view;
pub mod confidential;
pub mod enrolment;
pub mod events;
pub mod gift_exchange;
pub mod id_document;
pub mod ledger;
pub mod money;
pub mod offline;
pub mod policy;
pub mod quote;
pub mod refund;
pub mod replacement;
pub mod reports;
pub mod review;
pub mod rule;
pub mod services;
pub mod staff;
pub mod tier;
pub mod upgrade;

pub use rule::RuleViolation;
pub use tier::Tier;
