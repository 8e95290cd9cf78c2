//! Members' personal data at rest (R-SVC-1): sealing ID numbers, phones and addresses with
//! AES-256-GCM, and the keyed lookup index (blind index) that finds a member by ID number or
//! phone without storing either in clear.
//!
//! A sealed value is `v1:` followed by the hex of `nonce (12 bytes) ‖ ciphertext ‖ tag (16
//! bytes)`. The associated data is `members.<column>:<member id>`, so a ciphertext copied to
//! another row or another column no longer opens. The lookup value is the hex of
//! `HMAC-SHA256(lookup key, "<label>\0<normalised value>")`, one label per field, so equal
//! ID numbers and phones give equal lookups while the file alone reveals neither.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::DataSecrets;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of every sealed value of format version 1. A value without it is plaintext
/// left by a store that ran before sealing existed.
pub const SEALED_PREFIX: &str = "v1:";

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The personal-data columns of `members` that are sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    Phone,
    Address,
}

impl Field {
    /// The column, which is also the name bound into the associated data.
    pub fn column(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Address => "address",
        }
    }

    /// For `StoreError::Corrupt`: which stored value failed to open.
    pub fn qualified(self) -> &'static str {
        match self {
            Field::IdNumber => "members.id_number",
            Field::Phone => "members.phone",
            Field::Address => "members.address",
        }
    }
}

/// The fields members are looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupField {
    IdNumber,
    Phone,
}

impl LookupField {
    /// A label per field, so an ID number and a phone with the same characters never share
    /// a lookup value (and the index says nothing about one from the other).
    fn label(self) -> &'static [u8] {
        match self {
            LookupField::IdNumber => b"members.id_number lookup v1",
            LookupField::Phone => b"members.phone lookup v1",
        }
    }
}

/// Why a sealed value could not be made or opened. Deliberately without the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed value is not in the v1 format")]
    Malformed,
    #[error("sealed value does not authenticate (wrong key, row or field, or tampered)")]
    Unauthentic,
    #[error("no randomness for the nonce")]
    Random,
}

/// Seals, opens and indexes personal data with the store's data secrets.
pub struct Sealer {
    cipher: Aes256Gcm,
    /// Keyed once; each lookup works on a clone (HMAC state is consumed by `finalize`).
    lookup: HmacSha256,
}

impl std::fmt::Debug for Sealer {
    /// Never the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer { .. }")
    }
}

impl Sealer {
    pub fn new(secrets: &DataSecrets) -> Sealer {
        Sealer {
            cipher: Aes256Gcm::new(secrets.personal_data_key().into()),
            // HMAC accepts any key length: this cannot fail.
            lookup: <HmacSha256 as Mac>::new_from_slice(secrets.lookup_key())
                .unwrap_or_else(|_| unreachable!()),
        }
    }

    /// `plaintext` sealed for `field` of member `member_id`, with a fresh random nonce (two
    /// seals of one value differ, so equal ciphertexts never reveal equal values).
    pub fn seal(
        &self,
        member_id: &str,
        field: Field,
        plaintext: &str,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = associated_data(member_id, field);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            // Only fails for messages beyond 64 GiB.
            .map_err(|_| SealError::Malformed)?;
        let mut out =
            String::with_capacity(SEALED_PREFIX.len() + 2 * (NONCE_LEN + ciphertext.len()));
        out.push_str(SEALED_PREFIX);
        out.push_str(&hex::encode(nonce));
        out.push_str(&hex::encode(ciphertext));
        Ok(out)
    }

    /// The plaintext of `sealed`, which must have been sealed for this member and field.
    pub fn open(&self, member_id: &str, field: Field, sealed: &str) -> Result<String, SealError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(SealError::Malformed)?;
        let bytes = hex::decode(body).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let aad = associated_data(member_id, field);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Unauthentic)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Malformed)
    }

    /// The blind-index value of `value` for `field`, after normalising it the way enrolment
    /// does, so a number typed with spaces or a lower-case `x` finds the same member.
    pub fn lookup(&self, field: LookupField, value: &str) -> String {
        let normalised = normalise(field, value);
        let mut mac = self.lookup.clone();
        mac.update(field.label());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Whether a stored value is already sealed (rather than legacy plaintext).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// ID numbers: trimmed, upper-cased (the check character `x` → `X`), as `id_document::validate`
/// stores them. Phones: without whitespace and dashes, as enrolment stores them.
pub fn normalise(field: LookupField, value: &str) -> String {
    match field {
        LookupField::IdNumber => value.trim().to_ascii_uppercase(),
        LookupField::Phone => value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect(),
    }
}

/// `members.<column>:<member id>`: the column names hold no `:`, so no two (row, field)
/// pairs share associated data.
fn associated_data(member_id: &str, field: Field) -> Vec<u8> {
    format!("members.{}:{member_id}", field.column()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&DataSecrets::derive(&[3; 32]))
    }

    const ID: &str = "11010519800501001X";
    const MEMBER: &str = "0190a1b2-0000-7000-8000-000000000001";

    #[test]
    fn a_sealed_value_opens_to_the_plaintext_and_does_not_contain_it() {
        let s = sealer();
        let sealed = s.seal(MEMBER, Field::IdNumber, ID).expect("seal");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains(ID));
        assert!(!sealed.to_ascii_uppercase().contains(ID));
        assert_eq!(s.open(MEMBER, Field::IdNumber, &sealed), Ok(ID.to_owned()));
        // Unicode addresses round-trip too.
        let address = "北京市朝阳区建国路88号";
        let sealed = s.seal(MEMBER, Field::Address, address).expect("seal");
        assert_eq!(
            s.open(MEMBER, Field::Address, &sealed),
            Ok(address.to_owned())
        );
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let s = sealer();
        let a = s.seal(MEMBER, Field::Phone, "13812345678").expect("seal");
        let b = s.seal(MEMBER, Field::Phone, "13812345678").expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn a_tampered_value_is_an_error_not_a_panic() {
        let s = sealer();
        let sealed = s.seal(MEMBER, Field::Phone, "13812345678").expect("seal");
        // Flip one hex digit of the ciphertext.
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(bytes).expect("ascii");
        assert_eq!(
            s.open(MEMBER, Field::Phone, &tampered),
            Err(SealError::Unauthentic)
        );
        for bad in ["", "v1:", "v1:zz", "v1:00", "13812345678", "v2:00ff"] {
            assert_eq!(
                s.open(MEMBER, Field::Phone, bad),
                Err(SealError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_value_moved_to_another_row_or_field_does_not_open() {
        let s = sealer();
        let sealed = s.seal(MEMBER, Field::Phone, "13812345678").expect("seal");
        let other_member = "0190a1b2-0000-7000-8000-000000000002";
        assert_eq!(
            s.open(other_member, Field::Phone, &sealed),
            Err(SealError::Unauthentic)
        );
        assert_eq!(
            s.open(MEMBER, Field::Address, &sealed),
            Err(SealError::Unauthentic)
        );
    }

    #[test]
    fn another_key_does_not_open() {
        let sealed = sealer()
            .seal(MEMBER, Field::Phone, "13812345678")
            .expect("seal");
        let other = Sealer::new(&DataSecrets::derive(&[4; 32]));
        assert_eq!(
            other.open(MEMBER, Field::Phone, &sealed),
            Err(SealError::Unauthentic)
        );
    }

    #[test]
    fn the_lookup_is_stable_normalised_keyed_and_per_field() {
        let s = sealer();
        let id = s.lookup(LookupField::IdNumber, ID);
        assert_eq!(id, sealer().lookup(LookupField::IdNumber, ID));
        assert_eq!(id, s.lookup(LookupField::IdNumber, " 11010519800501001x "));
        assert_eq!(id.len(), 64);
        assert!(!id.contains(ID));
        assert_ne!(id, s.lookup(LookupField::IdNumber, "110105198005010028"));
        assert_eq!(
            s.lookup(LookupField::Phone, "13812345678"),
            s.lookup(LookupField::Phone, " 138-1234 5678")
        );
        // Same characters, different field: different lookups.
        assert_ne!(
            s.lookup(LookupField::Phone, "13812345678"),
            s.lookup(LookupField::IdNumber, "13812345678")
        );
        // Another key, another index: the file alone can't be matched against a guess.
        let other = Sealer::new(&DataSecrets::derive(&[4; 32]));
        assert_ne!(id, other.lookup(LookupField::IdNumber, ID));
        assert_eq!(format!("{s:?}"), "Sealer { .. }");
    }
}
