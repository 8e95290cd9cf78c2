//! Membership kiosk for department stores.
//!
//! Module map:
//! - [`domain`]: the membership rules engine — pure functions, the date is an argument.
pub mod action;
pub mod card;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod flows;
pub mod http;
pub mod jobs;
pub mod kiosk;
pub mod printer;
pub mod receipt;
pub mod secrets;
pub mod staff;
pub mod store;
