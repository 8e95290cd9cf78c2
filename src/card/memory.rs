//! In-memory card writer: the test double and the demo's stand-in until a reader is set up.
//! It keeps the last record written per workstation and can be told to fail the next write.

use std::collections::HashMap;
use std::sync::Mutex;

use super::writer::{CardRecord, CardWriteError, CardWriter};

#[derive(Default)]
pub struct MemoryCardWriter {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    written: HashMap<String, CardRecord>,
    fail_next: Option<CardWriteError>,
    writes: u64,
}

impl MemoryCardWriter {
    pub fn new() -> MemoryCardWriter {
        MemoryCardWriter::default()
    }

    /// The next write fails with `error` (e.g. the card pulled mid-write).
    pub fn fail_next(&self, error: CardWriteError) {
        if let Ok(mut s) = self.state.lock() {
            s.fail_next = Some(error);
        }
    }

    /// The record last written at `workstation`.
    pub fn card_at(&self, workstation: &str) -> Option<CardRecord> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.written.get(workstation).cloned())
    }

    /// Successful writes so far.
    pub fn writes(&self) -> u64 {
        self.state.lock().map(|s| s.writes).unwrap_or(0)
    }
}

impl CardWriter for MemoryCardWriter {
    fn write(&self, workstation: &str, record: &CardRecord) -> Result<(), CardWriteError> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| CardWriteError::Reader("card writer state poisoned".into()))?;
        if let Some(error) = s.fail_next.take() {
            return Err(error);
        }
        s.written.insert(workstation.to_owned(), record.clone());
        s.writes += 1;
        Ok(())
    }
}
