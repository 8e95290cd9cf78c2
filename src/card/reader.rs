//! The card-reader seam: read and verify the card at a workstation, and write a record to it.
//! One real driver (PC/SC) and one double (in memory); flows don't know which they have.
//! Both block (hardware does): callers run them on a blocking thread.

use serde::Serialize;
use utoipa::ToSchema;

use super::record::{CardContent, CardIdentity};

/// What is on a card, as far as the card itself says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSeen {
    /// Profile 1: an ISO 7816-4 card with the kiosk's two-slot record (or none yet).
    Iso(CardContent),
    /// Profile 2: a contactless card known only by its UID; the database binds it to a number.
    Contactless { uid: Vec<u8> },
}

/// A read of the card in a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRead {
    pub seen: CardSeen,
    pub atr: Vec<u8>,
    /// APDUs exchanged (the benchmark reports it; the target is ≤ 3 for a read).
    pub apdus: u32,
}

/// A completed, verified write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Write sequence of the slot now current (0 for a contactless card: nothing is written).
    pub seq: u32,
    pub key_id: u8,
    pub apdus: u32,
}

/// Why a card operation did not complete. Every variant leaves the card valid in its old
/// state (anti-tearing) and the database unchanged; the message is for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, ToSchema)]
#[serde(tag = "reader_error", content = "detail", rename_all = "snake_case")]
pub enum ReaderError {
    #[error("no card reader is configured for workstation {0}")]
    NoReader(String),
    #[error("card reader {0} is not connected")]
    ReaderUnavailable(String),
    #[error("no card in the reader: insert the card")]
    NoCard,
    #[error("card removed: insert it again")]
    Removed,
    #[error("a different card was inserted: insert the card you started with")]
    Swapped,
    #[error("card not responding: remove it and insert it again")]
    NotResponding,
    #[error("card not supported: {0}")]
    Unsupported(String),
    #[error("the card did not read back as written: insert it again")]
    VerifyFailed,
    #[error("card reader service unavailable: {0}")]
    Service(String),
}

pub trait CardReader: Send + Sync {
    /// Reads and verifies the card at `workstation` in one transaction.
    fn read(&self, workstation: &str) -> Result<CardRead, ReaderError>;

    /// Writes `identity` to the card at `workstation` and reads it back. The card must still
    /// show `expected` (what the caller read and vetted), else `Swapped`: a different card
    /// was put in meanwhile. A contactless card is only checked, never written.
    fn write(
        &self,
        workstation: &str,
        identity: &CardIdentity,
        expected: &CardSeen,
    ) -> Result<Written, ReaderError>;
}
