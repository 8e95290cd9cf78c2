//! Head office: the chain's server side on PostgreSQL (`member-kiosk head-office …`, design in
//! `docs/sync.md` §2–§7). Stateless beyond the database: any number of processes serve and
//! ingest at once.
//!
//! Module map:
//! - [`config`]: what a head-office process is given (database, listener, TLS, key file).
//! - [`db`]: the pool, the migrations, retry of transactions PostgreSQL aborted.
//! - [`credentials`]: store registration and bearer credentials (only SHA-256 kept).
//! - [`tls`]: the chain CA and server certificate (`init-tls`), the rustls server config.
//! - [`ingest`]: `POST /sync/v1/push` — insert once, high-water mark, conflicts.
//! - [`projections`]: members, cards, balances, spend, debts from newly inserted events.
//! - [`feed`]: the change feed stores pull, written in commit order.
//! - [`redemptions`], [`enrolment`], [`keys`]: online redemption holds, chain-wide R-ENR-3,
//!   issuer-key provisioning and rotation.
//! - [`staff`]: head-office staff (`hq_admin`), PIN sign-in, sessions in PostgreSQL.
//! - [`reports`], [`review`]: what head office shows its staff; the annual review.
//! - [`http`]: the routes, the access guard and the TLS server.
//! - [`error`]: the one error enum and its JSON answer.

pub mod config;
pub mod credentials;
pub mod db;
pub mod enrolment;
pub mod error;
pub mod feed;
pub mod http;
pub mod ingest;
pub mod keys;
pub mod projections;
pub mod redemptions;
pub mod reports;
pub mod review;
pub mod staff;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::PgPool;

use crate::secrets::DataSecrets;

/// What every handler of a head-office process shares: the database and the chain's key file.
#[derive(Clone)]
pub struct HeadOffice {
    pub pool: PgPool,
    /// The chain's key file (issuer keys + data secret); re-read on every keys request so a
    /// rotation by another process or the CLI is served at once.
    pub key_file: PathBuf,
    pub secrets: Arc<DataSecrets>,
}
