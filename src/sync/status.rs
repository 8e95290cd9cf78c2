//! The sync's standing as the rest of the kiosk reads it without a database round trip: the
//! last successful contact, the hotlist's age, whether the store is online. The sync task
//! updates it; checkout (the offline bounds) and health read it.

use std::sync::RwLock;

use chrono::{DateTime, Utc};

use super::plan::{self, State};
use crate::store::sync_state::SyncRow;

/// One reading of the sync's standing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSnapshot {
    pub configured: bool,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// Last successful pull of the change feed (the hotlist as of then).
    pub hotlist_at: Option<DateTime<Utc>>,
    /// First failed contact after the last success.
    pub offline_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub conflict: bool,
    /// The last call head office was asked got an answer.
    pub online: bool,
}

impl SyncSnapshot {
    pub fn state(&self) -> State {
        match (self.configured, self.conflict, self.online) {
            (false, _, _) => State::NotConfigured,
            (true, true, _) => State::Conflict,
            (true, false, true) => State::Online,
            (true, false, false) => State::Offline,
        }
    }

    /// Head office answered the last call (a conflict still means it answers).
    pub fn online(&self) -> bool {
        self.configured && self.online
    }

    /// From the stored state (at start).
    pub fn from_row(configured: bool, row: &SyncRow) -> SyncSnapshot {
        SyncSnapshot {
            configured,
            last_success: row.last_success(),
            last_failure: row.last_error_at,
            hotlist_at: row.last_pull_success,
            offline_since: row.offline_since,
            last_error: row.last_error.clone(),
            conflict: row.conflict_seq.is_some(),
            online: plan::state(configured, false, row.last_success(), row.last_error_at)
                == State::Online,
        }
    }
}

/// The shared handle.
#[derive(Debug, Default)]
pub struct SyncStatus(RwLock<SyncSnapshot>);

impl SyncStatus {
    pub fn new(snapshot: SyncSnapshot) -> SyncStatus {
        SyncStatus(RwLock::new(snapshot))
    }

    pub fn snapshot(&self) -> SyncSnapshot {
        match self.0.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn update(&self, change: impl FnOnce(&mut SyncSnapshot)) {
        match self.0.write() {
            Ok(mut s) => change(&mut s),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// A call head office answered.
    pub fn succeeded(&self, at: DateTime<Utc>, pulled: bool) {
        self.update(|s| {
            s.last_success = Some(at);
            s.online = true;
            s.offline_since = None;
            if pulled {
                s.hotlist_at = Some(at);
            }
        });
    }

    /// A call head office did not answer (or refused).
    pub fn failed(&self, at: DateTime<Utc>, error: String) {
        self.update(|s| {
            s.last_failure = Some(at);
            s.online = false;
            s.offline_since.get_or_insert(at);
            s.last_error = Some(error);
        });
    }
}
