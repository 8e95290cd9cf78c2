//! Store registration and credentials: a store authenticates with
//! `Authorization: Bearer <store_id>.<secret>`. The secret is shown once at registration;
//! head office keeps only the SHA-256 of the whole credential, so a copied database holds
//! nothing a store could be impersonated with.

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::error::HqError;

/// A freshly minted credential (shown once).
pub struct Minted {
    pub store_id: String,
    pub credential: String,
}

/// SHA-256 (hex) of a credential as stored.
pub fn digest(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

/// Store ids are the 4-digit store codes card numbers carry (`CardNumber::compose`).
pub fn valid_store_id(store_id: &str) -> bool {
    store_id.len() == 4 && store_id.bytes().all(|b| b.is_ascii_digit())
}

/// Registers a store and mints its credential; refuses a store id already registered (a
/// new credential for a store is a deliberate re-registration: revoke first).
pub async fn register_store(pool: &PgPool, store_id: &str, name: &str) -> Result<Minted, HqError> {
    if !valid_store_id(store_id) {
        return Err(HqError::Invalid("store_id must be 4 digits".into()));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| HqError::Internal(e.to_string()))?;
    let credential = format!("{store_id}.{}", hex::encode(secret));
    let inserted = sqlx::query(
        "INSERT INTO stores (store_id, name, credential_sha256) VALUES ($1, $2, $3)
         ON CONFLICT (store_id) DO NOTHING",
    )
    .bind(store_id)
    .bind(name)
    .bind(digest(&credential))
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(HqError::Invalid(format!(
            "store {store_id} is already registered"
        )));
    }
    Ok(Minted {
        store_id: store_id.to_owned(),
        credential,
    })
}

/// The store a bearer credential authenticates, or `BadCredential`.
pub async fn authenticate(pool: &PgPool, bearer: Option<&str>) -> Result<String, HqError> {
    let credential = bearer.ok_or(HqError::BadCredential)?;
    let (store_id, _) = credential.split_once('.').ok_or(HqError::BadCredential)?;
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT credential_sha256 FROM stores WHERE store_id = $1 AND revoked_at IS NULL",
    )
    .bind(store_id)
    .fetch_optional(pool)
    .await?;
    let stored = stored.ok_or(HqError::BadCredential)?;
    // Both sides are fixed-length digests: comparing them leaks nothing about the secret.
    if constant_time_eq(stored.as_bytes(), digest(credential).as_bytes()) {
        Ok(store_id.to_owned())
    } else {
        Err(HqError::BadCredential)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
