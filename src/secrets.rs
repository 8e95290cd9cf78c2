//! The store's data secrets: the pepper mixed into every staff PIN hash, the key that seals
//! members' personal data at rest, the key of its lookup (blind) index and the key of the
//! audit chain. All four derive from one `data_secret` kept in the key file (or
//! `KIOSK_DATA_SECRET`), never in the database, so a stolen database file alone reveals no PIN
//! and no ID number or phone, and cannot be re-chained after an edit to the audit trail.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::card::keys::KEY_LEN;

type HmacSha256 = Hmac<Sha256>;

/// One secret per use, so no key ever serves two purposes.
#[derive(Clone)]
pub struct DataSecrets {
    pepper: [u8; KEY_LEN],
    personal_data_key: [u8; KEY_LEN],
    lookup_key: [u8; KEY_LEN],
    audit_key: [u8; KEY_LEN],
}

/// `KIOSK_DATA_SECRET` is not 64 hex characters.
#[derive(Debug, thiserror::Error)]
#[error("KIOSK_DATA_SECRET must be {} hex characters ({KEY_LEN} bytes)", 2 * KEY_LEN)]
pub struct BadDataSecret;

impl DataSecrets {
    /// Derives the four secrets: `HMAC-SHA256(root, label)`.
    pub fn derive(root: &[u8; KEY_LEN]) -> DataSecrets {
        DataSecrets {
            pepper: derive(root, b"member-kiosk staff pin pepper v1"),
            personal_data_key: derive(root, b"member-kiosk personal data aes-256-gcm v1"),
            lookup_key: derive(root, b"member-kiosk personal data lookup index v1"),
            audit_key: derive(root, b"member-kiosk audit chain hmac-sha256 v1"),
        }
    }

    /// From `KIOSK_DATA_SECRET` (64 hex characters), for deployments that inject secrets.
    pub fn from_env_value(hex_text: &str) -> Result<DataSecrets, BadDataSecret> {
        let mut root = [0u8; KEY_LEN];
        hex::decode_to_slice(hex_text.trim(), &mut root).map_err(|_| BadDataSecret)?;
        let secrets = DataSecrets::derive(&root);
        root.zeroize();
        Ok(secrets)
    }

    /// The Argon2 secret ("pepper") of staff PIN hashes.
    pub fn pepper(&self) -> &[u8; KEY_LEN] {
        &self.pepper
    }

    /// The AES-256-GCM key of personal data at rest.
    pub fn personal_data_key(&self) -> &[u8; KEY_LEN] {
        &self.personal_data_key
    }

    /// The HMAC key of the lookup index over ID numbers and phones.
    pub fn lookup_key(&self) -> &[u8; KEY_LEN] {
        &self.lookup_key
    }

    /// The HMAC key of the audit chain.
    pub fn audit_key(&self) -> &[u8; KEY_LEN] {
        &self.audit_key
    }
}

fn derive(root: &[u8; KEY_LEN], label: &[u8]) -> [u8; KEY_LEN] {
    // HMAC accepts any key length: this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(root).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Drop for DataSecrets {
    fn drop(&mut self) {
        self.pepper.zeroize();
        self.personal_data_key.zeroize();
        self.lookup_key.zeroize();
        self.audit_key.zeroize();
    }
}

impl fmt::Debug for DataSecrets {
    /// Never the secrets themselves: a log line or panic message must not leak them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_use_gets_its_own_key_and_the_derivation_is_stable() {
        let a = DataSecrets::derive(&[1; KEY_LEN]);
        let b = DataSecrets::derive(&[1; KEY_LEN]);
        assert_eq!(a.pepper(), b.pepper());
        assert_ne!(a.pepper(), a.personal_data_key());
        assert_ne!(a.personal_data_key(), a.lookup_key());
        assert_ne!(a.lookup_key(), a.audit_key());
        assert_ne!(a.pepper(), a.audit_key());
        assert_ne!(a.pepper(), DataSecrets::derive(&[2; KEY_LEN]).pepper());
        assert_eq!(format!("{a:?}"), "DataSecrets { .. }");
    }

    #[test]
    fn the_env_value_must_be_32_bytes_of_hex() {
        assert!(DataSecrets::from_env_value(&"ab".repeat(32)).is_ok());
        assert!(DataSecrets::from_env_value("abcd").is_err());
        assert!(DataSecrets::from_env_value(&"zz".repeat(32)).is_err());
    }
}
