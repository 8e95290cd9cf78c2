//! Head-office staff: accounts with the `hq_admin` role, signed in with staff number and PIN
//! (Argon2 with the chain's pepper, `staff::pin`), sessions in PostgreSQL so any head-office
//! process accepts a token another one issued. Only a SHA-256 of each token is stored.

use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::error::HqError;
use crate::domain::staff::{check_new_pin, check_staff_number, Role};
use crate::secrets::DataSecrets;
use crate::staff::pin;

/// Sessions end after this long without a request.
pub const IDLE_LIMIT_MINUTES: i64 = 30;

#[derive(Debug, Deserialize)]
pub struct SignIn {
    pub staff_number: String,
    pub pin: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SignedIn {
    pub token: String,
    pub staff_number: String,
    pub name: String,
    pub role: String,
}

/// Who a session token belongs to.
#[derive(Debug, Clone)]
pub struct HqSession {
    pub staff_number: String,
    pub role: Role,
}

/// Creates an `hq_admin` account (the CLI's `add-admin`).
pub async fn add_admin(
    pool: &PgPool,
    secrets: Arc<DataSecrets>,
    staff_number: &str,
    name: &str,
    new_pin: String,
) -> Result<(), HqError> {
    check_staff_number(staff_number).map_err(|v| HqError::Invalid(v.to_string()))?;
    check_new_pin(&new_pin).map_err(|v| HqError::Invalid(v.to_string()))?;
    let hash = tokio::task::spawn_blocking(move || pin::hash_pin(&secrets, &new_pin))
        .await
        .map_err(|e| HqError::Internal(e.to_string()))?
        .map_err(|e| HqError::Internal(e.to_string()))?;
    let inserted = sqlx::query(
        "INSERT INTO hq_staff (staff_number, name, role, pin_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (staff_number) DO NOTHING",
    )
    .bind(staff_number)
    .bind(name)
    .bind(Role::HqAdmin.as_str())
    .bind(hash)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(HqError::Invalid(format!(
            "staff number {staff_number} already exists"
        )));
    }
    Ok(())
}

/// Checks the PIN and opens a session.
pub async fn sign_in(
    pool: &PgPool,
    secrets: Arc<DataSecrets>,
    request: SignIn,
) -> Result<SignedIn, HqError> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT name, role, pin_hash FROM hq_staff WHERE staff_number = $1")
            .bind(&request.staff_number)
            .fetch_optional(pool)
            .await?;
    let entered = request.pin;
    let Some((name, role, stored)) = row else {
        // Same time as a real check: the answer must not tell which numbers exist.
        let _ = tokio::task::spawn_blocking(move || pin::verify_nobody(&secrets, &entered)).await;
        return Err(HqError::BadPin);
    };
    let good = tokio::task::spawn_blocking(move || pin::verify_pin(&secrets, &stored, &entered))
        .await
        .map_err(|e| HqError::Internal(e.to_string()))?;
    if !good {
        return Err(HqError::BadPin);
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| HqError::Internal(e.to_string()))?;
    let token = hex::encode(raw);
    sqlx::query("INSERT INTO hq_sessions (token_sha256, staff_number, role) VALUES ($1, $2, $3)")
        .bind(token_digest(&token))
        .bind(&request.staff_number)
        .bind(&role)
        .execute(pool)
        .await?;
    Ok(SignedIn {
        token,
        staff_number: request.staff_number,
        name,
        role,
    })
}

/// The session of a bearer token, refreshing its idle timer; `NotSignedIn` when unknown or
/// idle too long.
pub async fn session(pool: &PgPool, bearer: Option<&str>) -> Result<HqSession, HqError> {
    let token = bearer.ok_or(HqError::NotSignedIn)?;
    let row: Option<(String, String)> = sqlx::query_as(
        "UPDATE hq_sessions SET last_seen = now()
         WHERE token_sha256 = $1 AND last_seen > now() - make_interval(mins => $2)
         RETURNING staff_number, role",
    )
    .bind(token_digest(token))
    .bind(i32::try_from(Duration::minutes(IDLE_LIMIT_MINUTES).num_minutes()).unwrap_or(30))
    .fetch_optional(pool)
    .await?;
    let (staff_number, role) = row.ok_or(HqError::NotSignedIn)?;
    let role = Role::parse(&role).ok_or(HqError::Forbidden)?;
    Ok(HqSession { staff_number, role })
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
