//! Membership kiosk for department stores: member cards, tier discounts and points, the
//! store ledger, the counters' API. Layers point one way (see `docs/architecture.md`):
//! `http → flows → kiosk/store/card/printer/receipt/staff → domain`.
//!
//! Module map:
//! - [`domain`]: the membership rules engine — pure functions, the date is an argument.
//! - [`store`]: SQLite repositories, the group-commit writer, the audit chain, sealed
//!   personal data.
//! - [`flows`]: one staff operation per file: read, let the domain decide, write in one
//!   transaction.
//! - [`http`]: the axum API (routes, access guard, audit middleware, JSON errors, OpenAPI).
//! - [`kiosk`]: the application core every flow is given (config, database, clock, policy,
//!   reader, printers, sessions, secrets).
//! - [`card`]: card record format and keys, APDUs, the reader seam (PC/SC and in-memory), the
//!   reader hub, the virtual card and the demo tray.
//! - [`receipt`] and [`printer`]: the printed documents, and the printer drivers.
//! - [`staff`]: PIN hashing and sessions.
//! - [`secrets`]: keys derived from the key file's data secret.
//! - [`headoffice`]: head office on PostgreSQL (ingest, projections, change feed, keys).
//! - [`config`], [`clock`], [`action`]: configuration, the clock seam, who acts where and when.
//! - [`demo`]: the deterministic demo store.
pub mod action;
pub mod card;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod flows;
pub mod headoffice;
pub mod http;
pub mod jobs;
pub mod kiosk;
pub mod printer;
pub mod receipt;
pub mod secrets;
pub mod staff;
pub mod store;
pub mod sync;
