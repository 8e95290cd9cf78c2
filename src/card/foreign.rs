//! Records of other stores' cards verified at one of this kiosk's readers while they were not
//! on file (docs/sync.md §9a): the proof a till's sale on such a card number leans on, since
//! the till sends only the number. Kept in memory for a short while: after a restart, or
//! later than [`VALID_FOR`], the card is read again.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::record::Slot;

/// How long after a read a sale may lean on it (a member pays right after the card was read).
pub const VALID_FOR: Duration = Duration::minutes(30);

/// A record whose MAC verified, and when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRead {
    pub slot: Slot,
    pub read_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct ForeignReads {
    reads: Mutex<HashMap<String, VerifiedRead>>,
}

impl ForeignReads {
    /// Remembers a verified record by its card number (the latest read wins) and forgets
    /// reads too old to count.
    pub fn remember(&self, slot: Slot, now: DateTime<Utc>) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.retain(|_, r| now - r.read_at <= VALID_FOR);
            reads.insert(
                slot.identity.card_number.clone(),
                VerifiedRead { slot, read_at: now },
            );
        }
    }

    /// The verified record of `card_number` read within [`VALID_FOR`] of `now`.
    pub fn recent(&self, card_number: &str, now: DateTime<Utc>) -> Option<VerifiedRead> {
        let reads = self.reads.lock().ok()?;
        reads
            .get(card_number)
            .filter(|r| now - r.read_at <= VALID_FOR)
            .cloned()
    }
}
