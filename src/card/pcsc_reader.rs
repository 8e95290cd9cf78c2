//! The real card reader: pcsc-lite through the `pcsc` crate. A connection to each reader's
//! card is kept open while the card stays in (a read is then one PC/SC transaction around
//! two APDUs), and replaced when pcsc-lite says it went stale (card re-inserted, pcscd
//! restarted). Calls block: run them on a blocking thread, with a timeout around them.

use std::ffi::CString;
use std::sync::Arc;

use std::collections::HashMap;
use std::sync::Mutex;

use pcsc::{Card, Context, Disposition, Error as PcscError, Protocols, Scope, ShareMode};
use serde::Deserialize;

use super::apdu::{Command, Response};
use super::iso_card::{self, Counted, Link, Quirks};
use super::keys::Keyring;
use super::reader::{CardRead, CardReader, CardSeen, ReaderError, Written};
use super::record::CardIdentity;

/// Which card profile a reader serves (card-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Contact ISO 7816-4 card carrying the kiosk record.
    Iso7816,
    /// Contactless card known by its UID only.
    Contactless,
}

/// One configured reader: its PC/SC name and the workstation it serves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    /// PC/SC reader name, e.g. `Virtual PCD 00 00` or `ACS ACR39U ICC Reader 00 00`.
    pub name: String,
    /// `lounge`, `desk`, `checkout-1`, …
    pub workstation: String,
    #[serde(default = "default_profile")]
    pub profile: Profile,
    /// Send UPDATE BINARY with a trailing Le (needed by vicc).
    #[serde(default)]
    pub update_binary_with_le: bool,
}

fn default_profile() -> Profile {
    Profile::Iso7816
}

pub struct PcscReader {
    readers: Vec<ReaderConfig>,
    keys: Arc<Keyring>,
    /// One open connection per workstation, reused while the card stays in; each behind its
    /// own lock, so a slow card holds up only its own reader.
    connections: HashMap<String, Mutex<Option<Connection>>>,
}

/// A PC/SC context and the card handle in one reader.
struct Connection {
    // Field order matters: the card handle is released before its context.
    card: Card,
    _context: Context,
    /// Read once at connect: asking pcscd again on every operation costs a round trip.
    atr: Vec<u8>,
}

impl PcscReader {
    pub fn new(readers: Vec<ReaderConfig>, keys: Arc<Keyring>) -> PcscReader {
        let connections = readers
            .iter()
            .map(|r| (r.workstation.clone(), Mutex::new(None)))
            .collect();
        PcscReader {
            readers,
            keys,
            connections,
        }
    }

    fn connect(config: &ReaderConfig) -> Result<Connection, ReaderError> {
        let name = CString::new(config.name.clone())
            .map_err(|_| ReaderError::NoReader(config.workstation.clone()))?;
        let context =
            Context::establish(Scope::User).map_err(|e| ReaderError::Service(e.to_string()))?;
        let card = context
            .connect(&name, ShareMode::Shared, Protocols::ANY)
            .map_err(|e| match e {
                PcscError::NoSmartcard | PcscError::RemovedCard => ReaderError::NoCard,
                e => on_connect(e, &config.name),
            })?;
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        Ok(Connection {
            card,
            _context: context,
            atr,
        })
    }

    /// Runs `op` on the workstation's card inside a PC/SC transaction, connecting first if
    /// needed. A stale connection (card pulled and put back, pcscd restarted) is replaced
    /// once — whether pcsc-lite says so at the transaction or at the first APDU; after any
    /// APDU went through, a failure is final. A failed connection is dropped so the next
    /// operation starts fresh.
    fn with_card<T>(
        &self,
        workstation: &str,
        mut op: impl FnMut(&ReaderConfig, &mut dyn Link) -> Result<T, ReaderError>,
    ) -> Result<(T, Vec<u8>), ReaderError> {
        let config = self
            .readers
            .iter()
            .find(|r| r.workstation == workstation)
            .ok_or_else(|| ReaderError::NoReader(workstation.to_owned()))?;
        let slot = self
            .connections
            .get(workstation)
            .ok_or_else(|| ReaderError::NoReader(workstation.to_owned()))?;
        let mut slot = slot
            .lock()
            .map_err(|_| ReaderError::Service("reader connection state poisoned".into()))?;
        let mut fresh = false;
        loop {
            if slot.is_none() {
                *slot = Some(Self::connect(config)?);
                fresh = true;
            }
            let Some(connection) = slot.as_mut() else {
                return Err(ReaderError::NoCard);
            };
            let atr = connection.atr.clone();
            let (result, exchanged) = match connection.card.transaction2() {
                Ok(transaction) => {
                    let mut link = PcscLink {
                        transaction: &transaction,
                        name: &config.name,
                        exchanged: false,
                    };
                    let out = op(config, &mut link);
                    let exchanged = link.exchanged;
                    let ended = transaction
                        .end(Disposition::LeaveCard)
                        .map_err(|(_, e)| on_exchange(e, &config.name));
                    (
                        out.and_then(|value| ended.map(|()| (value, atr))),
                        exchanged,
                    )
                }
                Err((_, e)) => (Err(on_exchange(e, &config.name)), false),
            };
            match result {
                Err(ReaderError::Removed | ReaderError::Service(_)) if !fresh && !exchanged => {
                    tracing::debug!(reader = %config.name, "stale card connection; reconnecting");
                    *slot = None;
                }
                Err(
                    e @ (ReaderError::Removed
                    | ReaderError::Service(_)
                    | ReaderError::ReaderUnavailable(_)),
                ) => {
                    *slot = None;
                    return Err(e);
                }
                other => return other,
            }
        }
    }

    fn profile(&self, workstation: &str) -> Option<Profile> {
        self.readers
            .iter()
            .find(|r| r.workstation == workstation)
            .map(|r| r.profile)
    }
}

struct PcscLink<'a> {
    transaction: &'a pcsc::Transaction<'a>,
    name: &'a str,
    /// An APDU went through on this connection in this operation.
    exchanged: bool,
}

impl Link for PcscLink<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError> {
        let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
        let answer = self
            .transaction
            .transmit(&command.to_bytes(), &mut buffer)
            .map_err(|e| on_exchange(e, self.name))?;
        // A card pulled during transmit may answer Ok with nothing (card-format.md).
        let response = Response::parse(answer).ok_or(ReaderError::Removed)?;
        self.exchanged = true;
        Ok(response)
    }
}

fn on_connect(e: PcscError, reader: &str) -> ReaderError {
    match e {
        PcscError::UnknownReader | PcscError::ReaderUnavailable | PcscError::NoReadersAvailable => {
            ReaderError::ReaderUnavailable(reader.to_owned())
        }
        e => on_exchange(e, reader),
    }
}

fn on_exchange(e: PcscError, reader: &str) -> ReaderError {
    match e {
        PcscError::RemovedCard
        | PcscError::ResetCard
        | PcscError::NotTransacted
        | PcscError::NoSmartcard => ReaderError::Removed,
        PcscError::Timeout | PcscError::UnresponsiveCard | PcscError::UnpoweredCard => {
            ReaderError::NotResponding
        }
        PcscError::UnknownReader | PcscError::ReaderUnavailable => {
            ReaderError::ReaderUnavailable(reader.to_owned())
        }
        PcscError::NoService | PcscError::ServiceStopped | PcscError::NoReadersAvailable => {
            ReaderError::Service(e.to_string())
        }
        e => ReaderError::Service(e.to_string()),
    }
}

impl CardReader for PcscReader {
    fn read(&self, workstation: &str) -> Result<CardRead, ReaderError> {
        let profile = self
            .profile(workstation)
            .ok_or_else(|| ReaderError::NoReader(workstation.to_owned()))?;
        let ((seen, apdus), atr) = self.with_card(workstation, |_, link| {
            let mut counted = Counted { link, apdus: 0 };
            let seen = match profile {
                Profile::Iso7816 => CardSeen::Iso(iso_card::read(&mut counted, &self.keys)?),
                Profile::Contactless => CardSeen::Contactless {
                    uid: iso_card::read_uid(&mut counted)?,
                },
            };
            Ok((seen, counted.apdus))
        })?;
        Ok(CardRead { seen, atr, apdus })
    }

    fn write(
        &self,
        workstation: &str,
        identity: &CardIdentity,
        expected: &CardSeen,
    ) -> Result<Written, ReaderError> {
        let (written, _) = self.with_card(workstation, |config, link| {
            let mut counted = Counted { link, apdus: 0 };
            let seq = match expected {
                CardSeen::Iso(content) => {
                    let quirks = Quirks {
                        update_binary_with_le: config.update_binary_with_le,
                    };
                    iso_card::write(&mut counted, &self.keys, identity, content, quirks)?
                }
                CardSeen::Contactless { uid } => {
                    if &iso_card::read_uid(&mut counted)? != uid {
                        return Err(ReaderError::Swapped);
                    }
                    0
                }
            };
            Ok(Written {
                seq,
                key_id: self.keys.current_id(),
                apdus: counted.apdus,
            })
        })?;
        Ok(written)
    }
}
