//! The reader service: the state of every configured reader (connected, card present, what
//! the last card read was) and a live stream of reader events for the UI and the tills.
//! Changes come from the PC/SC monitor thread; a card inserted is read and checked at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};
use utoipa::ToSchema;

use super::card_check::{check, CardCheck};
use super::card_io;
use crate::card::monitor::{self, ReaderChange};
use crate::card::pcsc_reader::ReaderConfig;
use crate::card::reader::ReaderError;
use crate::kiosk::Kiosk;

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

    fn update(
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

    fn publish(&self, event: ReaderEvent) {
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }

    /// Stops the monitor thread (at shutdown).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts the PC/SC monitor for the configured readers and the task that turns its changes
/// into reader state and events.
pub fn start(k: &Kiosk) -> std::io::Result<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    let names = k.config.readers.iter().map(|r| r.name.clone()).collect();
    monitor::spawn(names, tx, k.readers.stop.clone())?;
    tokio::spawn(follow(k.clone(), rx));
    Ok(())
}

async fn follow(k: Kiosk, mut changes: mpsc::UnboundedReceiver<ReaderChange>) {
    while let Some(change) = changes.recv().await {
        let reader_name = match &change {
            ReaderChange::Connected { reader, .. }
            | ReaderChange::Disconnected { reader }
            | ReaderChange::CardInserted { reader }
            | ReaderChange::CardRemoved { reader } => reader.clone(),
        };
        let Some(workstation) = k
            .config
            .readers
            .iter()
            .find(|r| r.name == reader_name)
            .map(|r| r.workstation.clone())
        else {
            continue;
        };
        let now = k.clock.now();
        let hub = &k.readers;
        let read_now = match change {
            ReaderChange::Connected { card_present, .. } => {
                hub.update(&workstation, now, |s| {
                    (s.connected, s.card_present) = (true, card_present)
                });
                hub.publish(ReaderEvent::ReaderConnected {
                    workstation: workstation.clone(),
                    reader: reader_name,
                });
                card_present
            }
            ReaderChange::Disconnected { .. } => {
                hub.update(&workstation, now, |s| {
                    (s.connected, s.card_present, s.last_check) = (false, false, None)
                });
                hub.publish(ReaderEvent::ReaderDisconnected {
                    workstation: workstation.clone(),
                    reader: reader_name,
                });
                false
            }
            ReaderChange::CardInserted { .. } => {
                hub.update(&workstation, now, |s| s.card_present = true);
                hub.publish(ReaderEvent::CardInserted {
                    workstation: workstation.clone(),
                });
                true
            }
            ReaderChange::CardRemoved { .. } => {
                hub.update(&workstation, now, |s| {
                    (s.card_present, s.last_check) = (false, None)
                });
                hub.publish(ReaderEvent::CardRemoved {
                    workstation: workstation.clone(),
                });
                false
            }
        };
        if read_now {
            // Read in the background: a slow card must not hold up the other readers.
            tokio::spawn(read_and_publish(k.clone(), workstation));
        }
    }
}

/// Reads the card at `workstation`, checks it against the ledger, and tells everyone.
pub async fn read_and_publish(k: Kiosk, workstation: String) -> Option<CardCheck> {
    let outcome = match card_io::read(&k, &workstation).await {
        Ok(read) => check(&k, &read).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(c) => {
            k.readers.update(&workstation, k.clock.now(), |s| {
                s.last_check = Some(c.clone())
            });
            k.readers.publish(ReaderEvent::CardRead {
                workstation,
                check: Box::new(c.clone()),
            });
            Some(c)
        }
        Err(crate::flows::FlowError::Reader(error)) => {
            k.readers.publish(ReaderEvent::CardReadFailed {
                workstation,
                message: error.to_string(),
                error,
            });
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "card check failed");
            None
        }
    }
}
