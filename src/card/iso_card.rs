//! The ISO 7816-4 card profile: which APDUs read, personalise and write the kiosk record,
//! over any `Link` (a PC/SC transaction, or the in-memory card of the tests). A read is two
//! APDUs (SELECT, READ BINARY of both slots); a write is select, read, UPDATE BINARY of the
//! other slot, read-back — never the slot in use, so a card pulled mid-write keeps its old
//! record (card-format.md, anti-tearing).

use super::apdu::{self, Command, Response, SW_EOF_WARNING, SW_FILE_NOT_FOUND, SW_OK};
use super::keys::Keyring;
use super::reader::ReaderError;
use super::record::{
    encode_slot, next_write, read_content, CardContent, CardIdentity, RECORD_LEN, SLOT_LEN,
};

/// One APDU exchange with the card.
pub trait Link {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError>;
}

/// Counts the APDUs that go over a link.
pub struct Counted<'a, L: Link + ?Sized> {
    pub link: &'a mut L,
    pub apdus: u32,
}

impl<L: Link + ?Sized> Link for Counted<'_, L> {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError> {
        self.apdus += 1;
        self.link.transmit(command)
    }
}

/// Card-OS quirks a reader's cards need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Send UPDATE BINARY as case 4 (trailing Le): vicc crashes on case 3.
    pub update_binary_with_le: bool,
}

fn refused(what: &str, sw: u16) -> ReaderError {
    ReaderError::Unsupported(format!("{what} refused by the card (SW {sw:04X})"))
}

/// Selects the kiosk application; `false` if the card has none (a blank card).
fn select_app(link: &mut dyn Link) -> Result<bool, ReaderError> {
    match link.transmit(&apdu::select_kiosk_app())?.sw {
        SW_OK => Ok(true),
        SW_FILE_NOT_FOUND => Ok(false),
        sw => Err(refused("SELECT", sw)),
    }
}

fn read_ef(link: &mut dyn Link) -> Result<Vec<u8>, ReaderError> {
    let r = link.transmit(&apdu::read_record(0, RECORD_LEN as u8))?;
    match r.sw {
        SW_OK | SW_EOF_WARNING => Ok(r.data),
        sw => Err(refused("READ BINARY", sw)),
    }
}

/// Reads and verifies the card's record.
pub fn read(link: &mut dyn Link, keys: &Keyring) -> Result<CardContent, ReaderError> {
    if !select_app(link)? {
        return Ok(CardContent::Blank);
    }
    Ok(read_content(&read_ef(link)?, keys))
}

/// Writes `identity` into the slot not in use and reads it back. The card must still hold
/// `expected`, else `Swapped`. A blank card is personalised first (CREATE FILE).
pub fn write(
    link: &mut dyn Link,
    keys: &Keyring,
    identity: &CardIdentity,
    expected: &CardContent,
    quirks: Quirks,
) -> Result<u32, ReaderError> {
    let content = if select_app(link)? {
        read_content(&read_ef(link)?, keys)
    } else {
        personalise(link)?;
        CardContent::Blank
    };
    if &content != expected {
        return Err(ReaderError::Swapped);
    }
    let (slot, seq) = next_write(&content);
    let bytes =
        encode_slot(identity, seq, keys).map_err(|e| ReaderError::Unsupported(e.to_string()))?;
    let offset = (slot * SLOT_LEN) as u8;
    match link
        .transmit(&apdu::update_record(
            offset,
            &bytes,
            quirks.update_binary_with_le,
        ))?
        .sw
    {
        SW_OK | SW_EOF_WARNING => {}
        sw => return Err(refused("UPDATE BINARY", sw)),
    }
    let back = link.transmit(&apdu::read_record(offset, SLOT_LEN as u8))?;
    if !matches!(back.sw, SW_OK | SW_EOF_WARNING) || back.data.get(..SLOT_LEN) != Some(&bytes[..]) {
        return Err(ReaderError::VerifyFailed);
    }
    Ok(seq)
}

/// Creates the kiosk DF and its record EF on a blank card.
fn personalise(link: &mut dyn Link) -> Result<(), ReaderError> {
    for (what, command) in [
        ("CREATE FILE (DF)", apdu::create_kiosk_df()),
        (
            "CREATE FILE (EF)",
            apdu::create_record_ef(RECORD_LEN as u16),
        ),
    ] {
        let sw = link.transmit(&command)?.sw;
        if sw != SW_OK {
            return Err(refused(what, sw));
        }
    }
    Ok(())
}

/// Profile 2: the UID of a contactless card.
pub fn read_uid(link: &mut dyn Link) -> Result<Vec<u8>, ReaderError> {
    let r = link.transmit(&apdu::get_uid())?;
    match r.sw {
        SW_OK if !r.data.is_empty() => Ok(r.data),
        sw => Err(refused("GET UID", sw)),
    }
}
