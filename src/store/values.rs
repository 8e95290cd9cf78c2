//! Conversions between domain values and their SQLite columns, and the store's error type.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::domain::money;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the database: {0}")]
    Open(String),
    /// A stored value that does not parse: the database was edited by hand or is damaged.
    #[error("corrupt value in {0}")]
    Corrupt(&'static str),
    #[error("amount out of range: {0}")]
    Amount(&'static str),
    /// The audit anchor file cannot be read or written, or holds a line that is no anchor.
    #[error("audit anchor file {0}")]
    Anchors(String),
}

/// Decimal ¥ → INTEGER fen column.
pub fn fen(amount: Decimal, what: &'static str) -> Result<i64, StoreError> {
    money::to_fen(amount).ok_or(StoreError::Amount(what))
}

/// INTEGER fen column → Decimal ¥.
pub fn money(fen: i64) -> Decimal {
    money::from_fen(fen)
}

/// Store-local day → TEXT column.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// TEXT column → store-local day.
pub fn parse_day(s: &str, what: &'static str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(what))
}
