//! The store ledger in SQLite: opening the database with the durability settings we rely on,
//! migrations, and one repository file per table group. Money is stored as INTEGER fen and
//! converted here only.

pub mod audit;
pub mod card_events;
pub mod card_tokens;
pub mod cards;
pub mod counters;
pub mod daily_figures;
pub mod gifts;
pub mod group_commit;
pub mod ledger;
pub mod loss_reports;
pub mod members;
pub mod outbox;
pub mod policy;
pub mod print_jobs;
pub mod receipts;
pub mod refunds;
pub mod replica;
pub mod reports;
pub mod sales;
pub mod sealed;
pub mod service_grants;
pub mod staff;
pub mod sync_state;
mod values;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use values::{day, fen, money, parse_day, StoreError};

/// The two pools over one SQLite file: a single writer connection (SQLite allows one writer;
/// queuing here beats SQLITE_BUSY) and a few readers, which WAL lets run beside the writer.
#[derive(Clone, Debug)]
pub struct Db {
    pub writer: SqlitePool,
    pub reader: SqlitePool,
}

impl Db {
    /// Opens (creating if missing) the database at `path`, runs migrations, and checks the
    /// pragmas took effect: WAL, synchronous=FULL, foreign keys on.
    pub async fn open(path: &Path, readers: u32) -> Result<Db, StoreError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Open(format!("{}: {e}", dir.display())))?;
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            // A local file: no need to ping a connection before each use (a round trip).
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            // A local file: no need to ping a connection before each use (a round trip).
            .test_before_acquire(false)
            .max_connections(readers.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        let db = Db { writer, reader };
        db.assert_durability().await?;
        Ok(db)
    }

    async fn assert_durability(&self) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await?;
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?;
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?;
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?;
        // synchronous: 2 = FULL.
        if journal.to_lowercase() != "wal" || synchronous != 2 || foreign_keys != 1 {
            return Err(StoreError::Open(format!(
                "pragmas not in force: journal_mode={journal} synchronous={synchronous} foreign_keys={foreign_keys}"
            )));
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
