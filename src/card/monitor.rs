//! Watches the configured PC/SC readers on a thread of its own (with its own PC/SC context:
//! pcsc-lite serialises calls per context) and reports readers coming and going and cards
//! inserted and removed. Survives reader unplug/replug and a pcscd restart: on a service
//! error it re-establishes the context and starts again from "unknown".

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use pcsc::{Context, Error as PcscError, ReaderState, Scope, State, PNP_NOTIFICATION};
use tokio::sync::mpsc::UnboundedSender;

/// What the monitor saw at a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderChange {
    /// The reader is there (plugged in, or pcscd is back) and whether a card is in it.
    Connected {
        reader: String,
        card_present: bool,
    },
    /// The reader is gone (unplugged, or pcscd stopped).
    Disconnected {
        reader: String,
    },
    CardInserted {
        reader: String,
    },
    CardRemoved {
        reader: String,
    },
}

/// How long one wait for a change lasts; also how quickly `stop` is noticed.
const POLL: Duration = Duration::from_millis(500);
/// Pause before re-establishing a context after pcscd went away.
const RETRY: Duration = Duration::from_millis(500);

/// Starts watching `readers` (PC/SC names); changes go to `changes` until `stop` is set.
pub fn spawn(
    readers: Vec<String>,
    changes: UnboundedSender<ReaderChange>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("card-reader-monitor".into())
        .spawn(move || {
            // Last known state per reader: None = not connected, Some((card present, event count)).
            let mut known: HashMap<String, Option<(bool, u32)>> =
                readers.iter().map(|r| (r.clone(), None)).collect();
            while !stop.load(Ordering::Relaxed) {
                match Context::establish(Scope::User) {
                    Ok(context) => watch(&context, &readers, &mut known, &changes, &stop),
                    Err(e) => tracing::debug!(error = %e, "pcscd not reachable"),
                }
                // The service went away: every reader is gone until it is back.
                for (reader, state) in known.iter_mut() {
                    if state.take().is_some() {
                        let _ = changes.send(ReaderChange::Disconnected {
                            reader: reader.clone(),
                        });
                    }
                }
                if !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(RETRY);
                }
            }
        })
}

/// Waits for changes until the context fails (pcscd stopped) or `stop` is set.
fn watch(
    context: &Context,
    readers: &[String],
    known: &mut HashMap<String, Option<(bool, u32)>>,
    changes: &UnboundedSender<ReaderChange>,
    stop: &AtomicBool,
) {
    let mut states: Vec<ReaderState> =
        std::iter::once(ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE))
            .chain(
                readers
                    .iter()
                    .filter_map(|r| CString::new(r.as_str()).ok())
                    .map(|name| ReaderState::new(name, State::UNAWARE)),
            )
            .collect();
    while !stop.load(Ordering::Relaxed) {
        match context.get_status_change(POLL, &mut states) {
            Ok(()) => {}
            Err(PcscError::Timeout) => continue,
            Err(PcscError::UnknownReader) => {
                // A reader vanished between two calls: look again from scratch.
                states
                    .iter_mut()
                    .for_each(|s| *s = ReaderState::new(s.name().to_owned(), State::UNAWARE));
                continue;
            }
            Err(e) => {
                tracing::info!(error = %e, "card reader service lost; reconnecting");
                return;
            }
        }
        let mut replugged = false;
        for state in states.iter_mut() {
            let event = state.event_state();
            if state.name() == PNP_NOTIFICATION() {
                replugged |= event.contains(State::CHANGED);
                state.sync_current_state();
                continue;
            }
            let reader = state.name().to_string_lossy().into_owned();
            let now = if event.intersects(State::UNKNOWN | State::IGNORE | State::UNAVAILABLE) {
                None
            } else {
                Some((event.contains(State::PRESENT), state.event_count()))
            };
            report(&reader, known.get(&reader).copied().flatten(), now, changes);
            known.insert(reader, now);
            state.sync_current_state();
        }
        if replugged {
            // A reader was plugged in or out: re-read every configured reader's state.
            states
                .iter_mut()
                .skip(1)
                .for_each(|s| *s = ReaderState::new(s.name().to_owned(), State::UNAWARE));
        }
    }
}

fn report(
    reader: &str,
    was: Option<(bool, u32)>,
    now: Option<(bool, u32)>,
    changes: &UnboundedSender<ReaderChange>,
) {
    let reader = reader.to_owned();
    let mut out = Vec::new();
    match (was, now) {
        (None, Some((card_present, _))) => out.push(ReaderChange::Connected {
            reader,
            card_present,
        }),
        (Some(_), None) => out.push(ReaderChange::Disconnected { reader }),
        (Some((false, _)), Some((true, _))) => out.push(ReaderChange::CardInserted { reader }),
        (Some((true, _)), Some((false, _))) => out.push(ReaderChange::CardRemoved { reader }),
        // Still present but the reader counted events: the card was swapped between two polls.
        (Some((true, before)), Some((true, after))) if before != after => {
            out.push(ReaderChange::CardRemoved {
                reader: reader.clone(),
            });
            out.push(ReaderChange::CardInserted { reader });
        }
        _ => {}
    }
    for change in out {
        let _ = changes.send(change);
    }
}
