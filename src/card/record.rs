//! The member-card record (card-format.md, "The record (profile 1)"): two 64-byte slots in
//! one 128-byte EF, each a complete MACed record, so a write that is torn by a pulled card
//! leaves the other slot — the previous record — intact.
//!
//! Slot layout (offsets in bytes, integers big-endian):
//!
//! | offset | len | field |
//! |-------:|----:|-------|
//! | 0  | 2  | magic `b"MK"` |
//! | 2  | 1  | format version ([`FORMAT_VERSION`]) |
//! | 3  | 1  | key id of the issuer key that signed the slot |
//! | 4  | 4  | write sequence counter (`u32`, first write is 1) |
//! | 8  | 10 | card number, BCD, right-padded with `0xF` nibbles (1 to 19 digits) |
//! | 18 | 2  | generation (`u16`) |
//! | 20 | 1  | tier: 1 vip, 2 gold, 3 platinum |
//! | 21 | 4  | valid from, `YYYYMMDD` as a `u32` |
//! | 25 | 4  | expiry, `YYYYMMDD` as a `u32` |
//! | 29 | 2  | issuing store, BCD, 4 digits |
//! | 31 | 13 | zero padding |
//! | 44 | 4  | CRC-32 (IEEE) over bytes 0..44 |
//! | 48 | 16 | MAC: HMAC-SHA256(per-card key, bytes 0..48), first 16 bytes |
//!
//! The per-card key comes from [`Keyring::card_key`]. A slot of all `0x00` or all `0xFF`
//! is empty (a fresh EF). Decoding checks, in order: empty; length, magic and version
//! (`BadFormat`); CRC (`BadCrc`: torn or worn); key id (`UnknownKey`); MAC, compared in
//! constant time (`BadMac`: forged or another issuer's); then the fields (`BadFormat`).
//! The CRC before the MAC tells a torn write (corrupted) from a forgery.
//!
//! The record only identifies the card: the database is the truth, and balances are never
//! on the card.

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::keys::Keyring;
use crate::domain::Tier;

pub const SLOT_LEN: usize = 64;
/// The EF size: slot 0 at offset 0, slot 1 at offset 64.
pub const RECORD_LEN: usize = 2 * SLOT_LEN;
pub const FORMAT_VERSION: u8 = 1;

const MAGIC: [u8; 2] = *b"MK";
const NUMBER_BCD_LEN: usize = 10;
/// 20 nibbles, at least one of them padding, so a number always ends in `0xF`.
const MAX_NUMBER_DIGITS: usize = 2 * NUMBER_BCD_LEN - 1;
const STORE_DIGITS: usize = 4;
/// Bytes 0..CRC_AT are covered by the CRC; 0..MAC_AT by the MAC.
const FIELDS_END: usize = 31;
const CRC_AT: usize = 44;
const MAC_AT: usize = 48;
const MAC_LEN: usize = SLOT_LEN - MAC_AT;

/// What a card says it is (identity only; never a balance).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardIdentity {
    pub card_number: String,
    pub generation: u32,
    pub tier: Tier,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub issuing_store: String,
}

/// One valid slot: the record and who signed it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub seq: u32,
    pub key_id: u8,
    pub identity: CardIdentity,
}

/// Why a slot is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// The CRC does not match: a torn write or a worn cell.
    BadCrc,
    /// The MAC does not match: forged, or written by another issuer.
    BadMac,
    /// Signed with a key id this kiosk does not have.
    UnknownKey,
    /// Not a record of this format: wrong length, magic or version, or a field that does not
    /// parse.
    BadFormat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotState {
    Empty,
    Valid(Slot),
    Damaged(Damage),
}

/// The card's content as read: the two slots and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardContent {
    /// No record at all (both slots empty): a blank card.
    Blank,
    /// The valid slot with the highest seq. `other` says what the other slot holds (a torn
    /// write shows as Damaged there).
    Record {
        slot: usize,
        current: Slot,
        other: SlotState,
    },
    /// No valid slot, and at least one slot fails its MAC or uses an unknown key: forged (or
    /// written by another issuer).
    Forged(Damage),
    /// No valid slot and damage that is not a MAC failure (CRC / format): corrupted.
    Corrupted(Damage),
}

/// Why an identity cannot be written. Names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("card_number must be 1 to {MAX_NUMBER_DIGITS} digits to fit the card record")]
    CardNumber,
    #[error("issuing_store must be {STORE_DIGITS} digits to fit the card record")]
    IssuingStore,
    #[error("generation {0} does not fit the card record (at most 65535)")]
    Generation(u32),
    #[error("{field} must be a date in the years 0 to 9999 to fit the card record")]
    Date { field: &'static str },
    /// Seq 0 is never written (the first write is 1); `next_write` yields it only when the
    /// counter has run out.
    #[error("the card's write counter is exhausted (seq 0 is never written)")]
    SeqExhausted,
    #[error("the issuer keyring has no current key")]
    NoCurrentKey,
}

/// Encodes one slot, MACed with `keys.current()`.
pub fn encode_slot(
    identity: &CardIdentity,
    seq: u32,
    keys: &Keyring,
) -> Result<[u8; SLOT_LEN], RecordError> {
    if seq == 0 {
        return Err(RecordError::SeqExhausted);
    }
    let number = encode_bcd::<NUMBER_BCD_LEN>(&identity.card_number, 1..=MAX_NUMBER_DIGITS)
        .ok_or(RecordError::CardNumber)?;
    let store = encode_bcd::<2>(&identity.issuing_store, STORE_DIGITS..=STORE_DIGITS)
        .ok_or(RecordError::IssuingStore)?;
    let generation = u16::try_from(identity.generation)
        .map_err(|_| RecordError::Generation(identity.generation))?;
    let valid_from = encode_date(identity.valid_from).ok_or(RecordError::Date {
        field: "valid_from",
    })?;
    let expiry = encode_date(identity.expiry).ok_or(RecordError::Date { field: "expiry" })?;

    let key_id = keys.current_id();
    let mut out = [0u8; SLOT_LEN];
    out[0..2].copy_from_slice(&MAGIC);
    out[2] = FORMAT_VERSION;
    out[3] = key_id;
    out[4..8].copy_from_slice(&seq.to_be_bytes());
    out[8..18].copy_from_slice(&number);
    out[18..20].copy_from_slice(&generation.to_be_bytes());
    out[20] = identity.tier.rank();
    out[21..25].copy_from_slice(&valid_from.to_be_bytes());
    out[25..29].copy_from_slice(&expiry.to_be_bytes());
    out[29..31].copy_from_slice(&store);
    // 31..44 stay zero.
    let crc = crc32fast::hash(&out[..CRC_AT]);
    out[CRC_AT..MAC_AT].copy_from_slice(&crc.to_be_bytes());
    let key = keys
        .card_key(key_id, &identity.card_number)
        .ok_or(RecordError::NoCurrentKey)?;
    let mac = mac_of(&key, &out[..MAC_AT]).ok_or(RecordError::NoCurrentKey)?;
    out[MAC_AT..].copy_from_slice(&mac.finalize().into_bytes()[..MAC_LEN]);
    Ok(out)
}

/// Decodes and verifies one slot. `bytes.len()` must be `SLOT_LEN`, else `Damaged(BadFormat)`.
pub fn decode_slot(bytes: &[u8], keys: &Keyring) -> SlotState {
    match decode_checked(bytes, keys) {
        Ok(Some(slot)) => SlotState::Valid(slot),
        Ok(None) => SlotState::Empty,
        Err(damage) => SlotState::Damaged(damage),
    }
}

/// Reads the whole EF (`RECORD_LEN` bytes; a longer read is cut, a shorter one is
/// `Corrupted(BadFormat)`) and gives the verdict: the valid slot with the highest seq wins.
pub fn read_content(bytes: &[u8], keys: &Keyring) -> CardContent {
    let (Some(first), Some(second)) = (bytes.get(..SLOT_LEN), bytes.get(SLOT_LEN..RECORD_LEN))
    else {
        return CardContent::Corrupted(Damage::BadFormat);
    };
    let [first, second] = [decode_slot(first, keys), decode_slot(second, keys)];
    // On equal seqs (never written by the kiosk) slot 0 wins, so the verdict is stable.
    match (first, second) {
        (SlotState::Valid(a), SlotState::Valid(b)) if b.seq > a.seq => CardContent::Record {
            slot: 1,
            current: b,
            other: SlotState::Valid(a),
        },
        (SlotState::Valid(current), other) => CardContent::Record {
            slot: 0,
            current,
            other,
        },
        (other, SlotState::Valid(current)) => CardContent::Record {
            slot: 1,
            current,
            other,
        },
        (first, second) => verdict_without_record([first, second]),
    }
}

/// Blank, forged or corrupted, for two slots neither of which is valid.
fn verdict_without_record(slots: [SlotState; 2]) -> CardContent {
    let mut corrupted = None;
    for slot in slots {
        match slot {
            // A MAC that fails on a CRC-good slot was composed on purpose: that outweighs any
            // corruption in the other slot.
            SlotState::Damaged(d @ (Damage::BadMac | Damage::UnknownKey)) => {
                return CardContent::Forged(d)
            }
            SlotState::Damaged(d @ (Damage::BadCrc | Damage::BadFormat)) => {
                corrupted = corrupted.or(Some(d))
            }
            SlotState::Empty | SlotState::Valid(_) => {}
        }
    }
    corrupted.map_or(CardContent::Blank, CardContent::Corrupted)
}

/// Where and with which seq the next write goes (anti-tearing: never the current slot):
/// Blank/Forged/Corrupted → (0, 1); Record{slot, current, ..} → (1 - slot, current.seq + 1).
/// At `current.seq == u32::MAX` the seq wraps to 0, which [`encode_slot`] refuses.
pub fn next_write(content: &CardContent) -> (usize, u32) {
    match content {
        CardContent::Record { slot, current, .. } => {
            (if *slot == 0 { 1 } else { 0 }, current.seq.wrapping_add(1))
        }
        CardContent::Blank | CardContent::Forged(_) | CardContent::Corrupted(_) => (0, 1),
    }
}

/// `Ok(None)` for an empty slot.
fn decode_checked(bytes: &[u8], keys: &Keyring) -> Result<Option<Slot>, Damage> {
    let bytes: &[u8; SLOT_LEN] = bytes.try_into().map_err(|_| Damage::BadFormat)?;
    if bytes.iter().all(|&b| b == 0x00) || bytes.iter().all(|&b| b == 0xFF) {
        return Ok(None);
    }
    if bytes[0..2] != MAGIC || bytes[2] != FORMAT_VERSION {
        return Err(Damage::BadFormat);
    }
    let stored_crc = u32::from_be_bytes(array(&bytes[CRC_AT..MAC_AT]));
    if crc32fast::hash(&bytes[..CRC_AT]) != stored_crc {
        return Err(Damage::BadCrc);
    }
    let key_id = bytes[3];
    // The key is derived from the number field as hex, which is the card number itself
    // for valid BCD; a slot with bad BCD then fails the MAC (nobody with the key wrote it)
    // or, if it was signed, the field parse below.
    let number_hex = hex::encode(&bytes[8..18]);
    let key = keys
        .card_key(key_id, number_hex.trim_end_matches('f'))
        .ok_or(Damage::UnknownKey)?;
    let mac = mac_of(&key, &bytes[..MAC_AT]).ok_or(Damage::BadMac)?;
    mac.verify_truncated_left(&bytes[MAC_AT..])
        .map_err(|_| Damage::BadMac)?;

    let card_number = decode_bcd(&bytes[8..18], 1..=MAX_NUMBER_DIGITS).ok_or(Damage::BadFormat)?;
    let tier = match bytes[20] {
        1 => Tier::Vip,
        2 => Tier::Gold,
        3 => Tier::Platinum,
        _ => return Err(Damage::BadFormat),
    };
    let valid_from =
        decode_date(u32::from_be_bytes(array(&bytes[21..25]))).ok_or(Damage::BadFormat)?;
    let expiry = decode_date(u32::from_be_bytes(array(&bytes[25..29]))).ok_or(Damage::BadFormat)?;
    let issuing_store =
        decode_bcd(&bytes[29..31], STORE_DIGITS..=STORE_DIGITS).ok_or(Damage::BadFormat)?;
    if bytes[FIELDS_END..CRC_AT].iter().any(|&b| b != 0) {
        return Err(Damage::BadFormat);
    }
    Ok(Some(Slot {
        seq: u32::from_be_bytes(array(&bytes[4..8])),
        key_id,
        identity: CardIdentity {
            card_number,
            generation: u32::from(u16::from_be_bytes(array(&bytes[18..20]))),
            tier,
            valid_from,
            expiry,
            issuing_store,
        },
    }))
}

fn mac_of(key: &[u8; 32], data: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac)
}

/// A fixed-size copy of a sub-slice whose length the caller's constant range guarantees.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

/// Packs digits two per byte, high nibble first, padding with `0xF`.
fn encode_bcd<const N: usize>(
    digits: &str,
    len: std::ops::RangeInclusive<usize>,
) -> Option<[u8; N]> {
    if !len.contains(&digits.len())
        || digits.len() > 2 * N
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut nibbles = digits
        .bytes()
        .map(|b| b - b'0')
        .chain(std::iter::repeat(0xF));
    let mut out = [0u8; N];
    for byte in &mut out {
        let high = nibbles.next().unwrap_or(0xF);
        let low = nibbles.next().unwrap_or(0xF);
        *byte = (high << 4) | low;
    }
    Some(out)
}

/// Unpacks BCD digits followed only by `0xF` padding; `None` for any other nibble or a
/// digit count outside `len`.
fn decode_bcd(bytes: &[u8], len: std::ops::RangeInclusive<usize>) -> Option<String> {
    let nibbles = bytes.iter().flat_map(|b| [b >> 4, b & 0x0F]);
    let mut digits = String::new();
    let mut padding = false;
    for nibble in nibbles {
        match nibble {
            0..=9 if !padding => digits.push(char::from(b'0' + nibble)),
            0xF => padding = true,
            _ => return None,
        }
    }
    len.contains(&digits.len()).then_some(digits)
}

/// `YYYYMMDD` as a number; `None` outside the years 0..=9999.
fn encode_date(date: NaiveDate) -> Option<u32> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    Some(year * 10_000 + date.month() * 100 + date.day())
}

fn decode_date(value: u32) -> Option<NaiveDate> {
    let year = i32::try_from(value / 10_000).ok().filter(|y| *y <= 9999)?;
    NaiveDate::from_ymd_opt(year, (value / 100) % 100, value % 100)
}
