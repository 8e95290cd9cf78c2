//! Membership kiosk for department stores.
//!
//! Module map:
//! - [`domain`]: the membership rules engine — pure functions, the date is an argument.
pub mod action;
pub mod domain;
pub mod store;
