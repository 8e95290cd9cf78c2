//! The chain's keys at head office: the issuer keys (card record MACs, chain-wide so a card
//! issued in one store verifies offline in every other) and the data secret, in head office's
//! own key file (same format as a store's, `card::keys`). `register-store` hands a store a
//! copy; `GET /sync/v1/keys` provisions later rotations.

use std::path::Path;

use crate::card::keys::{KeyError, Keyring};
use crate::secrets::DataSecrets;
use crate::sync::protocol::ChainKeys;

/// Loads head office's key file, creating it (one issuer key, a data secret) on first use.
pub fn load_or_create(path: &Path) -> Result<(Keyring, DataSecrets), KeyError> {
    let mut keys = Keyring::load_or_create(path)?;
    let root = keys.data_secret_or_add(path)?;
    Ok((keys, DataSecrets::derive(&root)))
}

/// The chain keys as provisioned to stores.
pub fn chain_keys(keys: &Keyring) -> ChainKeys {
    ChainKeys {
        current: keys.current_id(),
        issuer_keys: keys.export_issuer_keys(),
    }
}

/// Writes a new store's key file: every issuer key, the current id and the chain's data
/// secret (so blind indexes, sealed data and PIN hashes agree chain-wide).
pub fn write_store_key_file(path: &Path, chain: &Keyring) -> Result<(), KeyError> {
    chain.write_new_file(path)
}

/// Adds an issuer key and makes it current; stores pick it up on their next keys pull.
pub fn rotate(path: &Path) -> Result<u8, KeyError> {
    let (mut keys, _) = load_or_create(path)?;
    keys.rotate(path)
}
