//! The in-memory card reader: the test double and the kiosk's stand-in when no PC/SC reader
//! is configured. Cards are `VirtualCard`s (the same card OS the vpcd tests use) reached
//! without middleware, so the real APDUs and the real record format are exercised.
//! With a blank stock, a workstation without a card takes a fresh blank card for each
//! write and hands it out afterwards (kept by number, to be inserted again later).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::apdu::{Command, Response};
use super::iso_card::{self, Counted, Link, Quirks};
use super::keys::Keyring;
use super::reader::{CardRead, CardReader, CardSeen, ReaderError, Written};
use super::record::CardIdentity;
use super::virtual_card::VirtualCard;

pub struct MemoryCardReader {
    keys: Arc<Keyring>,
    blank_stock: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    inserted: HashMap<String, VirtualCard>,
    handed_out: HashMap<String, VirtualCard>,
    fail_next: Option<ReaderError>,
    writes: u64,
}

struct InMemory<'a>(&'a VirtualCard);

impl Link for InMemory<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError> {
        Response::parse(&self.0.respond(&command.to_bytes())).ok_or(ReaderError::Removed)
    }
}

impl MemoryCardReader {
    /// A reader at every workstation with a stack of blank cards beside it.
    pub fn with_blank_stock(keys: Arc<Keyring>) -> MemoryCardReader {
        MemoryCardReader {
            keys,
            blank_stock: true,
            state: Mutex::new(State::default()),
        }
    }

    /// Readers that see only the cards put in them.
    pub fn empty(keys: Arc<Keyring>) -> MemoryCardReader {
        MemoryCardReader {
            keys,
            blank_stock: false,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, ReaderError> {
        self.state
            .lock()
            .map_err(|_| ReaderError::Service("card reader state poisoned".into()))
    }

    pub fn insert(&self, workstation: &str, card: VirtualCard) {
        if let Ok(mut s) = self.state() {
            s.inserted.insert(workstation.to_owned(), card);
        }
    }

    pub fn remove(&self, workstation: &str) -> Option<VirtualCard> {
        self.state()
            .ok()
            .and_then(|mut s| s.inserted.remove(workstation))
    }

    /// A card handed out after being written from the blank stock, by card number.
    pub fn handed_out(&self, card_number: &str) -> Option<VirtualCard> {
        self.state()
            .ok()
            .and_then(|s| s.handed_out.get(card_number).cloned())
    }

    /// The next operation fails with `error` (e.g. `Removed`: the card pulled mid-write).
    pub fn fail_next(&self, error: ReaderError) {
        if let Ok(mut s) = self.state() {
            s.fail_next = Some(error);
        }
    }

    /// Completed writes so far.
    pub fn writes(&self) -> u64 {
        self.state().map(|s| s.writes).unwrap_or(0)
    }

    /// The card to talk to at `workstation`, or why there is none.
    fn card(&self, workstation: &str) -> Result<(VirtualCard, bool), ReaderError> {
        let mut s = self.state()?;
        if let Some(error) = s.fail_next.take() {
            return Err(error);
        }
        match s.inserted.get(workstation) {
            Some(card) => Ok((card.clone(), false)),
            None if self.blank_stock => Ok((VirtualCard::blank(), true)),
            None => Err(ReaderError::NoCard),
        }
    }
}

impl CardReader for MemoryCardReader {
    fn read(&self, workstation: &str) -> Result<CardRead, ReaderError> {
        let (card, _) = self.card(workstation)?;
        let mut link = InMemory(&card);
        let mut counted = Counted {
            link: &mut link,
            apdus: 0,
        };
        let content = iso_card::read(&mut counted, &self.keys)?;
        Ok(CardRead {
            seen: CardSeen::Iso(content),
            atr: Vec::new(),
            apdus: counted.apdus,
        })
    }

    fn write(
        &self,
        workstation: &str,
        identity: &CardIdentity,
        expected: &CardSeen,
    ) -> Result<Written, ReaderError> {
        let (card, from_stock) = self.card(workstation)?;
        let CardSeen::Iso(content) = expected else {
            return Err(ReaderError::Swapped);
        };
        let mut link = InMemory(&card);
        let mut counted = Counted {
            link: &mut link,
            apdus: 0,
        };
        let seq = iso_card::write(
            &mut counted,
            &self.keys,
            identity,
            content,
            Quirks::default(),
        )?;
        let apdus = counted.apdus;
        let mut s = self.state()?;
        s.writes += 1;
        if from_stock {
            s.handed_out.insert(identity.card_number.clone(), card);
        }
        Ok(Written {
            seq,
            key_id: self.keys.current_id(),
            apdus,
        })
    }
}
