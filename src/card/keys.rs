//! The issuer keyring: the secret keys that MAC card records, by key id, so keys can rotate
//! while cards written under an old key stay readable (card-format.md, "The record").
//!
//! Each card gets its own MAC key, derived as
//! `HMAC-SHA256(issuer key[key_id], b"member-card-v1" || card number)`, so one card's key
//! reveals nothing about another's.
//!
//! The key file is TOML, mode 0600, never in the repository and never logged:
//!
//! ```toml
//! # member-kiosk issuer MAC keys: secret.
//! current = 2          # the key id that signs new writes
//!
//! [keys]               # every key verifies; ids are 0..=255
//! "1" = "<64 hex characters: 32 bytes>"
//! "2" = "<64 hex characters: 32 bytes>"
//! ```
//!
//! The same file holds `data_secret = "<64 hex>"`, the root of the store's data secrets (PIN
//! pepper, personal-data key, lookup key: [`crate::secrets`]); it is added to an older file
//! on first load and kept across rotations.
//!
//! Deployments that inject secrets set `KIOSK_ISSUER_KEY` (64 hex characters) instead; see
//! [`Keyring::from_env_value`].

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation for the per-card key, so the issuer key is never used for anything else
/// with the same input.
const CARD_KEY_LABEL: &[u8] = b"member-card-v1";

/// Issuer keys are 32 bytes (the HMAC-SHA256 block is larger, so no key is hashed down).
pub const KEY_LEN: usize = 32;

/// The issuer's MAC keys by id; `current` signs new writes, all verify (rotation: old cards
/// stay readable).
#[derive(Clone)]
pub struct Keyring {
    current: u8,
    /// Invariant: holds `current`.
    keys: BTreeMap<u8, [u8; KEY_LEN]>,
    /// Root of the data secrets; None only for a keyring not backed by a file.
    data_secret: Option<[u8; KEY_LEN]>,
}

/// Why the keys could not be loaded, created or saved. Messages name the file, the key id or
/// the line, never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not valid TOML or lacks `current` / `[keys]`. Only the line is given:
    /// the TOML parser's own message quotes the offending text, which may be a key.
    #[error("key file is not valid (expected `current = <id>` and a [keys] table){}", line.map(|l| format!(" near line {l}")).unwrap_or_default())]
    Syntax { line: Option<usize> },
    #[error("key file: a key id in [keys] is not a number 0-255")]
    BadKeyId,
    #[error("key {id} is not {} hex characters ({KEY_LEN} bytes)", 2 * KEY_LEN)]
    BadKey { id: u8 },
    #[error("key file: current key id {current} has no key in [keys]")]
    NoCurrentKey { current: u8 },
    #[error("key file: data_secret is not {} hex characters ({KEY_LEN} bytes)", 2 * KEY_LEN)]
    BadDataSecret,
    #[error("KIOSK_ISSUER_KEY must be {} hex characters ({KEY_LEN} bytes)", 2 * KEY_LEN)]
    BadEnvKey,
    #[error("all 256 key ids are used: no key id left to rotate to")]
    IdsExhausted,
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
}

/// The key file as stored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    current: u8,
    data_secret: Option<String>,
    keys: BTreeMap<String, String>,
}

impl Keyring {
    /// The key id that signs new writes.
    pub fn current_id(&self) -> u8 {
        self.current
    }

    /// All key ids, ascending.
    pub fn ids(&self) -> Vec<u8> {
        self.keys.keys().copied().collect()
    }

    /// HMAC key for one card:
    /// `HMAC-SHA256(issuer key[key_id], b"member-card-v1" || card_number)`.
    /// None for an unknown id.
    pub fn card_key(&self, key_id: u8, card_number: &str) -> Option<[u8; 32]> {
        let issuer = self.keys.get(&key_id)?;
        let mut mac = HmacSha256::new_from_slice(issuer).ok()?;
        mac.update(CARD_KEY_LABEL);
        mac.update(card_number.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// A keyring with one fixed key (tests, benches).
    pub fn single(id: u8, secret: [u8; 32]) -> Keyring {
        Keyring {
            current: id,
            keys: BTreeMap::from([(id, secret)]),
            data_secret: None,
        }
    }

    /// Loads the key file, or creates it with one random key (id 1) if it does not exist
    /// (first run of the demo). File mode 0600; parent dir created.
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyError> {
        match fs::symlink_metadata(path) {
            Ok(_) => return Keyring::load(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(io_error("read", path, source)),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io_error("create the directory", dir, e))?;
        }
        let mut keys = Keyring::single(1, random_key()?);
        keys.data_secret = Some(random_key()?);
        // `create_new`: if another kiosk process created the file meanwhile, use its key
        // rather than overwrite it (cards may already carry MACs under it).
        match write_new(path, &keys.to_toml()) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "created issuer key file with key id 1");
                Ok(keys)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Keyring::load(path),
            Err(e) => Err(io_error("create", path, e)),
        }
    }

    /// Loads the key file. Refuses a file whose `current` id has no key, or a key that is
    /// not 32 bytes.
    pub fn load(path: &Path) -> Result<Keyring, KeyError> {
        let text = fs::read_to_string(path).map_err(|e| io_error("read", path, e))?;
        warn_if_readable_by_others(path);
        Keyring::parse(&text)
    }

    /// The root of the data secrets, adding a random one to the file first if it has none
    /// (a key file from before staff logins and sealed personal data).
    pub fn data_secret_or_add(&mut self, path: &Path) -> Result<[u8; KEY_LEN], KeyError> {
        if let Some(secret) = self.data_secret {
            return Ok(secret);
        }
        let mut next = self.clone();
        let secret = random_key()?;
        next.data_secret = Some(secret);
        next.save(path)?;
        *self = next;
        tracing::info!(path = %path.display(), "added the data secret to the key file");
        Ok(secret)
    }

    /// Adds a new random key, makes it current, saves the file (old keys kept for reading).
    /// Returns the new key id. On a failed save the keyring is left as it was.
    pub fn rotate(&mut self, path: &Path) -> Result<u8, KeyError> {
        let id = self
            .keys
            .keys()
            .next_back()
            .map_or(Some(1), |max| max.checked_add(1))
            .ok_or(KeyError::IdsExhausted)?;
        let mut next = self.clone();
        next.keys.insert(id, random_key()?);
        next.current = id;
        next.save(path)?;
        *self = next;
        tracing::info!(key_id = id, path = %path.display(), "rotated issuer key");
        Ok(id)
    }

    /// From env: KIOSK_ISSUER_KEY = 64 hex chars (key id from KIOSK_ISSUER_KEY_ID, default
    /// 1) — for deployments that inject secrets.
    pub fn from_env_value(hex: &str, id: u8) -> Result<Keyring, KeyError> {
        let secret = decode_key(hex.trim()).ok_or(KeyError::BadEnvKey)?;
        Ok(Keyring::single(id, secret))
    }

    fn parse(text: &str) -> Result<Keyring, KeyError> {
        let file: KeyFile = toml::from_str(text).map_err(|e| KeyError::Syntax {
            line: e.span().map(|s| line_of(text, s.start)),
        })?;
        let mut keys = BTreeMap::new();
        for (id, value) in &file.keys {
            let id: u8 = id.trim().parse().map_err(|_| KeyError::BadKeyId)?;
            let secret = decode_key(value).ok_or(KeyError::BadKey { id })?;
            keys.insert(id, secret);
        }
        if !keys.contains_key(&file.current) {
            return Err(KeyError::NoCurrentKey {
                current: file.current,
            });
        }
        let data_secret = match &file.data_secret {
            Some(hex) => Some(decode_key(hex).ok_or(KeyError::BadDataSecret)?),
            None => None,
        };
        Ok(Keyring {
            current: file.current,
            keys,
            data_secret,
        })
    }

    fn to_toml(&self) -> String {
        let mut out = String::from(
            "# member-kiosk issuer MAC keys: secret. Never commit, copy or log this file.\n\
             # `current` signs new card writes; every key in [keys] verifies.\n",
        );
        out.push_str(&format!("current = {}\n", self.current));
        if let Some(secret) = &self.data_secret {
            out.push_str(
                "# Root of the PIN pepper and the personal-data keys: losing it loses the data.\n",
            );
            out.push_str(&format!("data_secret = \"{}\"\n", hex::encode(secret)));
        }
        out.push_str("\n[keys]\n");
        for (id, secret) in &self.keys {
            out.push_str(&format!("\"{id}\" = \"{}\"\n", hex::encode(secret)));
        }
        out
    }

    /// Replaces the file atomically (temp file + rename), so a crash never leaves a key
    /// file without the keys that signed the cards already out there.
    fn save(&self, path: &Path) -> Result<(), KeyError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        // A stale temp file from a crash would make `create_new` fail.
        let _ = fs::remove_file(&tmp);
        write_new(&tmp, &self.to_toml()).map_err(|e| io_error("write", &tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Best effort: makes the rename durable on filesystems that need it.
            let _ = fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Head office's use of the chain keyring: provisioning stores with the chain's keys.
impl Keyring {
    /// Every issuer key as (id, 64 hex characters), ascending: what head office provisions
    /// to stores (`GET /sync/v1/keys`).
    pub fn export_issuer_keys(&self) -> Vec<(u8, String)> {
        self.keys
            .iter()
            .map(|(id, key)| (*id, hex::encode(key)))
            .collect()
    }

    /// The root of the data secrets, if the keyring has one.
    pub fn data_secret(&self) -> Option<[u8; KEY_LEN]> {
        self.data_secret
    }

    /// Writes this keyring (issuer keys, current id, data secret) to a file that must not
    /// exist yet (mode 0600): a store's key file made at its registration.
    pub fn write_new_file(&self, path: &Path) -> Result<(), KeyError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io_error("create the directory", dir, e))?;
        }
        write_new(path, &self.to_toml()).map_err(|e| io_error("create", path, e))
    }
}

impl fmt::Debug for Keyring {
    /// Key ids only: a keyring in a log line or a panic message must not leak keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("ids", &self.ids())
            .finish_non_exhaustive()
    }
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> KeyError {
    KeyError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn decode_key(hex_text: &str) -> Option<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    hex::decode_to_slice(hex_text, &mut key).ok()?;
    Some(key)
}

fn random_key() -> Result<[u8; KEY_LEN], KeyError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(key)
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Creates `path` (which must not exist) readable by its owner only, writes and syncs it.
fn write_new(path: &Path, contents: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "issuer key file is readable by others: chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The store's side of the chain's keys (docs/sync.md §3): head office provisions every
/// issuer key; the store adds those it lacks to its key file and keeps its old ones.
impl Keyring {
    /// Adds every key of `chain` this keyring lacks and makes `current` the signing key if it
    /// is known after the merge; saves the file only if something changed. A key id that is
    /// already here with another secret is never overwritten (cards carry MACs under it):
    /// it is counted in the answer's `clashes`. On a failed save the keyring is unchanged.
    pub fn merge_chain_keys(
        &mut self,
        path: &Path,
        chain: &[(u8, String)],
        current: u8,
    ) -> Result<KeyMerge, KeyError> {
        let mut next = self.clone();
        let mut merge = KeyMerge::default();
        for (id, hex_text) in chain {
            let key = decode_key(hex_text).ok_or(KeyError::BadKey { id: *id })?;
            match next.keys.get(id) {
                Some(have) if *have == key => {}
                Some(_) => merge.clashes += 1,
                None => {
                    next.keys.insert(*id, key);
                    merge.added += 1;
                }
            }
        }
        if next.keys.contains_key(&current) && next.current != current {
            next.current = current;
            merge.current_changed = true;
        }
        if merge.added > 0 || merge.current_changed {
            next.save(path)?;
            *self = next;
        }
        Ok(merge)
    }
}

/// What [`Keyring::merge_chain_keys`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeyMerge {
    pub added: usize,
    pub current_changed: bool,
    /// Key ids head office has with another secret than ours (an alarm: never overwritten).
    pub clashes: usize,
}

#[cfg(test)]
mod chain_key_tests {
    use super::*;

    #[test]
    fn chain_keys_are_added_old_ones_kept_and_clashes_never_overwrite() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys.toml");
        let mut keys = Keyring::load_or_create(&path).expect("created");
        let old = keys.card_key(1, "880001000000018");
        let chain = vec![(1u8, "ab".repeat(32)), (2u8, "cd".repeat(32))];
        let merge = keys.merge_chain_keys(&path, &chain, 2).expect("merged");
        assert_eq!(merge.added, 1);
        assert_eq!(merge.clashes, 1, "key 1 differs: ours is kept");
        assert!(merge.current_changed);
        assert_eq!(keys.card_key(1, "880001000000018"), old);
        let reloaded = Keyring::load(&path).expect("saved");
        assert_eq!(reloaded.ids(), vec![1, 2]);
        assert_eq!(reloaded.current_id(), 2);
        let again = keys.merge_chain_keys(&path, &chain, 2).expect("merged");
        assert_eq!((again.added, again.current_changed), (0, false));
    }
}
