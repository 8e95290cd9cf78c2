//! The reader hub: the state of every configured reader (connected, card present, what the
//! last card read was) and the live stream of reader events for the UI and the tills.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use super::pcsc_reader::ReaderConfig;
use super::reader::ReaderError;
use crate::domain::card_view::CardCheck;

/// One reader as the counters see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReaderStatus {
    pub workstation: String,
    pub reader: String,
    pub connected: bool,
    pub card_present: bool,
    /// The last card read here (cleared when the card is removed).
    pub last_check: Option<CardCheck>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A live reader event.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReaderEvent {
    ReaderConnected {
        workstation: String,
        reader: String,
    },
    ReaderDisconnected {
        workstation: String,
        reader: String,
    },
    CardInserted {
        workstation: String,
    },
    CardRemoved {
        workstation: String,
    },
    CardRead {
        workstation: String,
        check: Box<CardCheck>,
    },
    CardReadFailed {
        workstation: String,
        error: ReaderError,
        message: String,
    },
    /// A card issue or rewrite has started writing the card (the screens show it live).
    CardWriting {
        workstation: String,
    },
    /// The card is written and read back as written; the issue is being completed.
    CardWritten {
        workstation: String,
    },
}

pub struct ReaderHub {
    status: RwLock<BTreeMap<String, ReaderStatus>>,
    events: broadcast::Sender<ReaderEvent>,
    stop: Arc<AtomicBool>,
}

impl ReaderHub {
    pub fn new(readers: &[ReaderConfig]) -> ReaderHub {
        let status = readers
            .iter()
            .map(|r| {
                let s = ReaderStatus {
                    workstation: r.workstation.clone(),
                    reader: r.name.clone(),
                    connected: false,
                    card_present: false,
                    last_check: None,
                    updated_at: None,
                };
                (r.workstation.clone(), s)
            })
            .collect();
        ReaderHub {
            status: RwLock::new(status),
            events: broadcast::channel(256).0,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ReaderEvent> {
        self.events.subscribe()
    }

    pub fn statuses(&self) -> Vec<ReaderStatus> {
        self.status
            .read()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Changes one reader's state (stamped `now`).
    pub fn update(
        &self,
        workstation: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut ReaderStatus),
    ) {
        if let Ok(mut all) = self.status.write() {
            if let Some(s) = all.get_mut(workstation) {
                change(s);
                s.updated_at = Some(now);
            }
        }
    }

    /// Tells every listener.
    pub fn publish(&self, event: ReaderEvent) {
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }

    /// The flag the monitor thread watches.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Stops the monitor thread (at shutdown).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
