//! Staff PIN hashes: Argon2id (OWASP parameters: 19 MiB, 2 passes) with the key file's pepper
//! as the Argon2 secret, so a copied database cannot be brute-forced without the key file.
//! Hashing is deliberately slow (tens of ms): callers run it on a blocking thread.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::secrets::DataSecrets;

/// Why a PIN could not be hashed (the OS gave no randomness, or bad parameters).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the PIN: {0}")]
pub struct PinError(String);

fn hasher(secrets: &DataSecrets) -> Result<Argon2<'_>, PinError> {
    Argon2::new_with_secret(
        secrets.pepper(),
        Algorithm::Argon2id,
        Version::V0x13,
        Params::default(),
    )
    .map_err(|e| PinError(e.to_string()))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `pin` with a fresh salt.
pub fn hash_pin(secrets: &DataSecrets, pin: &str) -> Result<String, PinError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PinError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PinError(e.to_string()))?;
    hasher(secrets)?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError(e.to_string()))
}

/// Whether `pin` matches `stored`. A stored hash that does not parse matches nothing.
pub fn verify_pin(secrets: &DataSecrets, stored: &str, pin: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher(secrets).is_ok_and(|h| h.verify_password(pin.as_bytes(), &parsed).is_ok())
}

/// Spends the same time as a real check, for an unknown staff number: the answer time must
/// not tell which staff numbers exist.
pub fn verify_nobody(secrets: &DataSecrets, pin: &str) {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(decoy) = DECOY.get_or_init(|| hash_pin(secrets, "decoy-not-a-pin").ok()) {
        let _ = verify_pin(secrets, decoy, pin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_pin_only_and_only_with_the_same_pepper() {
        let secrets = DataSecrets::derive(&[3; 32]);
        let hash = hash_pin(&secrets, "482913").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_pin(&secrets, &hash, "482913"));
        assert!(!verify_pin(&secrets, &hash, "482914"));
        assert!(!verify_pin(&DataSecrets::derive(&[4; 32]), &hash, "482913"));
        assert!(!verify_pin(&secrets, "not a hash", "482913"));
        assert_ne!(
            hash,
            hash_pin(&secrets, "482913").expect("hash"),
            "fresh salt"
        );
    }
}
