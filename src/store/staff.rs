//! Staff account rows (R-SVC-2): role, PIN hash and the wrong-PIN lockout state.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::StoreError;
use crate::domain::staff::{Role, SignInState};

/// A staff account. `pin_hash` never leaves the server: it is skipped when serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffAccount {
    pub staff_number: String,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub pin_hash: String,
    /// Wrong PINs entered in a row since the last good one.
    pub wrong_pins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub active: bool,
}

impl StaffAccount {
    pub fn sign_in_state(&self) -> SignInState {
        SignInState {
            wrong_pins: self.wrong_pins,
            locked_until: self.locked_until,
        }
    }
}

type StaffRow = (String, String, String, String, i64, Option<String>, i64);

const COLUMNS: &str = "staff_number, name, role, pin_hash, wrong_pins, locked_until, active";

fn from_row(r: StaffRow) -> Result<StaffAccount, StoreError> {
    Ok(StaffAccount {
        staff_number: r.0,
        name: r.1,
        role: Role::parse(&r.2).ok_or(StoreError::Corrupt("staff.role"))?,
        pin_hash: r.3,
        wrong_pins: u32::try_from(r.4).map_err(|_| StoreError::Corrupt("staff.wrong_pins"))?,
        locked_until: r
            .5
            .map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| StoreError::Corrupt("staff.locked_until"))
            })
            .transpose()?,
        active: r.6 == 1,
    })
}

pub async fn find(
    conn: &mut SqliteConnection,
    staff_number: &str,
) -> Result<Option<StaffAccount>, StoreError> {
    let row: Option<StaffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE staff_number = ?1"
    ))
    .bind(staff_number)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Every account, by staff number.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<StaffAccount>, StoreError> {
    let rows: Vec<StaffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff ORDER BY staff_number"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Whether any active supervisor exists (the bootstrap runs only while none does).
pub async fn has_active_supervisor(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE role = 'supervisor' AND active = 1")
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Adds an account; false if the staff number is taken.
pub async fn insert(
    conn: &mut SqliteConnection,
    account: &StaffAccount,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO staff (staff_number, name, role, pin_hash, active, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (staff_number) DO NOTHING",
    )
    .bind(&account.staff_number)
    .bind(&account.name)
    .bind(account.role.as_str())
    .bind(&account.pin_hash)
    .bind(i64::from(account.active))
    .bind(created_by)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the sign-in state after a PIN check: wrong-PIN count and lock.
pub async fn set_sign_in_state(
    conn: &mut SqliteConnection,
    staff_number: &str,
    state: SignInState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE staff SET wrong_pins = ?2, locked_until = ?3, updated_at = ?4 WHERE staff_number = ?1",
    )
    .bind(staff_number)
    .bind(i64::from(state.wrong_pins))
    .bind(state.locked_until.map(|t| t.to_rfc3339()))
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// A new PIN hash (reset by a supervisor or changed by its owner); clears any lock.
pub async fn set_pin(
    conn: &mut SqliteConnection,
    staff_number: &str,
    pin_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE staff SET pin_hash = ?2, wrong_pins = 0, locked_until = NULL, updated_at = ?3 WHERE staff_number = ?1",
    )
    .bind(staff_number)
    .bind(pin_hash)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes an account's role or active flag.
pub async fn set_role_and_active(
    conn: &mut SqliteConnection,
    staff_number: &str,
    role: Role,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE staff SET role = ?2, active = ?3, updated_at = ?4 WHERE staff_number = ?1")
        .bind(staff_number)
        .bind(role.as_str())
        .bind(i64::from(active))
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}
