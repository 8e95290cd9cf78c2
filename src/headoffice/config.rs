//! What a head-office process is given: the PostgreSQL URL, the chain's key file and, to
//! serve, a listener and its TLS certificate. Command-line options with `KIOSK_HQ_*`
//! environment fallbacks (set in `main.rs`).

use std::path::PathBuf;

/// Connection settings shared by every head-office command.
#[derive(Debug, Clone)]
pub struct HqConfig {
    pub database_url: String,
    /// The chain's key file: issuer keys and the data secret (created on first use).
    pub key_file: PathBuf,
    pub max_connections: u32,
}

/// `head-office serve` on top of [`HqConfig`].
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: String,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// Run the daily annual review in this process (every process may: one wins per day).
    pub review_job: bool,
}
