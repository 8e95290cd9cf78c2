//! Head office's PostgreSQL: the pool, its own migrations (`migrations/head-office/`, apart
//! from the store's SQLite ones), and the retry of a transaction PostgreSQL aborted to break
//! a deadlock or a serialization conflict between two head-office processes.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::config::HqConfig;

/// Head office's migrations, embedded (sqlx skips the subfolder in the store's `migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/head-office");

/// Connects (and, with `migrate`, brings the schema up to date: sqlx takes an advisory lock,
/// so two processes starting together migrate once).
pub async fn connect(config: &HqConfig, migrate: bool) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = config.database_url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    if migrate {
        MIGRATOR.run(&pool).await?;
    }
    Ok(pool)
}

/// Whether PostgreSQL aborted the transaction to resolve a conflict with another one
/// (deadlock 40P01, serialization 40001): running it again is safe and should succeed.
pub fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40P01") | Some("40001")))
}
