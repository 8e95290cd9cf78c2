//! The card-writing seam used by issuing, upgrade and replacement (phase two of a two-phase
//! issue). Real readers block, so callers run `write` on a blocking thread.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::Tier;

/// The identity record a card carries (never a balance): what the database says the card is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardRecord {
    pub card_number: String,
    pub generation: u32,
    pub tier: Tier,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub issuing_store: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardWriteError {
    #[error("no card in the reader at {0}")]
    NoCard(String),
    #[error("card removed during the write: insert it again")]
    Removed,
    #[error("the card written did not read back as written")]
    VerifyFailed,
    #[error("card reader fault: {0}")]
    Reader(String),
}

/// Writes a card record at a workstation's reader and reads it back before returning `Ok`.
pub trait CardWriter: Send + Sync {
    fn write(&self, workstation: &str, record: &CardRecord) -> Result<(), CardWriteError>;
}
