//! The demo / training card tray: virtual cards an operator "inserts" into and "removes"
//! from the vpcd readers through the API, so the whole card lifecycle can be tried with no
//! hardware. Cards taken out are kept as files (by card number once issued), to be put
//! back in later. Only present when the config has `[[demo_tray]]` slots.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::keys::Keyring;
use super::record::{read_content, CardContent};
use super::virtual_card::{InsertedCard, VirtualCard};

/// A tray slot: a workstation and the vpcd port its reader's card side listens on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraySlot {
    pub workstation: String,
    /// e.g. `127.0.0.1:35963` for "Virtual PCD 00 00".
    pub vpcd: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrayView {
    /// Workstation → the card in its reader (`blank` or a card number), if any.
    pub inserted: Vec<(String, Option<String>)>,
    /// Cards on the table, ready to insert: `blank` is always there.
    pub cards: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrayError {
    #[error("no demo card tray at workstation {0}")]
    NoSlot(String),
    #[error("a card is already in the reader at {0}: remove it first")]
    Occupied(String),
    #[error("no card {0} on the table")]
    NoSuchCard(String),
    #[error("the virtual reader did not take the card: {0} (is pcscd with vpcd running?)")]
    Insert(String),
}

pub struct CardTray {
    slots: Vec<TraySlot>,
    dir: PathBuf,
    keys: Arc<Keyring>,
    inserted: Mutex<HashMap<String, (String, VirtualCard, InsertedCard)>>,
}

impl CardTray {
    pub fn new(slots: Vec<TraySlot>, dir: PathBuf, keys: Arc<Keyring>) -> CardTray {
        CardTray {
            slots,
            dir,
            keys,
            inserted: Mutex::new(HashMap::new()),
        }
    }

    pub fn view(&self) -> TrayView {
        let inserted = self
            .inserted
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(ws, (label, ..))| (ws.clone(), label.clone()))
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default();
        let mut cards = vec!["blank".to_string()];
        if let Ok(dir) = std::fs::read_dir(&self.dir) {
            let mut saved: Vec<String> = dir
                .filter_map(|e| {
                    e.ok()?
                        .file_name()
                        .to_str()?
                        .strip_suffix(".card")
                        .map(String::from)
                })
                .collect();
            saved.sort();
            cards.extend(saved);
        }
        TrayView {
            inserted: self
                .slots
                .iter()
                .map(|s| (s.workstation.clone(), inserted.get(&s.workstation).cloned()))
                .collect(),
            cards,
        }
    }

    /// Puts `card` (`blank` or a saved card's label) in the reader at `workstation`.
    pub fn insert(&self, workstation: &str, card: &str) -> Result<(), TrayError> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.workstation == workstation)
            .ok_or_else(|| TrayError::NoSlot(workstation.into()))?;
        let mut inserted = self
            .inserted
            .lock()
            .map_err(|_| TrayError::Insert("tray state poisoned".into()))?;
        if inserted.contains_key(workstation) {
            return Err(TrayError::Occupied(workstation.into()));
        }
        let virtual_card = if card == "blank" {
            VirtualCard::blank()
        } else {
            let bytes =
                std::fs::read(self.file(card)).map_err(|_| TrayError::NoSuchCard(card.into()))?;
            VirtualCard::load(&bytes).ok_or_else(|| TrayError::NoSuchCard(card.into()))?
        };
        let handle = virtual_card
            .insert(&slot.vpcd)
            .map_err(|e| TrayError::Insert(e.to_string()))?;
        inserted.insert(
            workstation.to_owned(),
            (card.to_owned(), virtual_card, handle),
        );
        Ok(())
    }

    /// Takes the card out of the reader at `workstation` and lays it on the table, named by
    /// its card number if it now carries one. Returns that name.
    pub fn remove(&self, workstation: &str) -> Result<String, TrayError> {
        let (_, card, handle) = self
            .inserted
            .lock()
            .map_err(|_| TrayError::Insert("tray state poisoned".into()))?
            .remove(workstation)
            .ok_or_else(|| TrayError::NoSuchCard(format!("in the reader at {workstation}")))?;
        handle.remove();
        let label = match card
            .ef_bytes(super::apdu::RECORD_EF_SFI)
            .map(|ef| read_content(&ef, &self.keys))
        {
            Some(CardContent::Record { current, .. }) => current.identity.card_number,
            _ => "blank".into(),
        };
        if label != "blank" {
            // Best effort: a demo card that can't be saved is simply not offered again.
            let _ = std::fs::create_dir_all(&self.dir)
                .and_then(|()| std::fs::write(self.file(&label), card.save()));
        }
        Ok(label)
    }

    fn file(&self, label: &str) -> PathBuf {
        // Labels are card numbers (digits): nothing else reaches the file system.
        let safe: String = label.chars().filter(char::is_ascii_digit).collect();
        self.dir.join(format!("{safe}.card"))
    }
}
