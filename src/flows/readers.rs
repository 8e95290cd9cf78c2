//! The reader service: follows the PC/SC monitor thread's changes into the reader hub
//! (`card::hub`), and reads and checks a card against the ledger as soon as it is inserted.

use tokio::sync::mpsc;

use super::card_check::{check, CardCheck};
use super::card_io;
use crate::card::hub::ReaderEvent;
use crate::card::monitor::{self, ReaderChange};
use crate::kiosk::Kiosk;

/// Starts the PC/SC monitor for the configured readers and the task that turns its changes
/// into reader state and events.
pub fn start(k: &Kiosk) -> std::io::Result<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    let names = k.config.readers.iter().map(|r| r.name.clone()).collect();
    monitor::spawn(names, tx, k.readers.stop_flag())?;
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
