//! Staff accounts and sign-in (R-SVC-2): signing in with staff number and PIN (5 wrong PINs
//! lock the account for 5 minutes), a supervisor's PIN approving a sensitive action, and the
//! supervisor's account management; plus the first supervisor's bootstrap from the CLI.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FlowError;
use crate::domain::staff::{
    check_new_pin, check_staff_number, check_workstation, decide_pin, Permission, PinOutcome, Role,
    SignInState, MAX_WRONG_PINS,
};
use crate::kiosk::Kiosk;
use crate::secrets::DataSecrets;
use crate::staff::pin::{hash_pin, verify_nobody, verify_pin};
use crate::staff::sessions::Session;
use crate::store::staff::StaffAccount;
use crate::store::{self, StoreError};

/// The one answer to a wrong staff number or a wrong PIN: which one is not said.
const WRONG: &str = "wrong staff number or PIN";

/// The answer once five wrong PINs were tried, for an account and an unknown number alike.
fn locked() -> String {
    format!("too many wrong PINs: this staff number is locked for 5 minutes ({MAX_WRONG_PINS} wrong PINs), or until a supervisor unlocks it")
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub staff_number: String,
    pub pin: String,
    /// The workstation this browser serves (`T01`, `lounge`, `desk`, …).
    pub workstation: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedIn {
    /// Send as `Authorization: Bearer <token>` on every request.
    pub token: String,
    pub staff_number: String,
    pub name: String,
    pub role: Role,
    pub workstation: String,
    /// The session ends after this many minutes without a request.
    pub idle_minutes: i64,
    pub permissions: Vec<&'static str>,
}

/// A supervisor's staff number and PIN, entered on top of a clerk's session.
#[derive(Debug, Clone)]
pub struct SupervisorPin {
    pub staff_number: String,
    pub pin: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub staff_number: String,
    pub name: String,
    pub role: Role,
    /// The first PIN, handed over in person; 6-12 digits, not a run or a repeat.
    pub pin: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinReset {
    pub pin: String,
}

/// The permissions a role has, by name (for the UI to show what it may offer).
pub fn permission_names(role: Role) -> Vec<&'static str> {
    Permission::ALL
        .into_iter()
        .filter(|p| role.may(*p))
        .map(Permission::as_str)
        .collect()
}

/// Checks a staff number + PIN, counting wrong PINs and locking after the fifth.
///
/// Every answer takes one Argon2 check, whether the number is unknown, locked or not, and an
/// unknown number locks like a real one: the answers do not tell which staff numbers exist.
/// The decision is made in the writer's transaction against the state then (one writer
/// connection: no other check interleaves), so concurrent wrong PINs all count, a lock in
/// force refuses whatever the PIN, and a good PIN never unlocks on a stale read.
async fn check_pin(k: &Kiosk, staff_number: &str, pin: &str) -> Result<StaffAccount, FlowError> {
    let read = {
        let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
        store::staff::find(&mut conn, staff_number).await?
    }
    .filter(|a| a.active);
    let (secrets, typed) = (k.secrets.clone(), pin.to_owned());
    let hash = read.as_ref().map(|a| a.pin_hash.clone());
    let turn = k
        .pin_attempts
        .turn_to_check()
        .await
        .map_err(|e| FlowError::Internal(format!("PIN checks stopped: {e}")))?;
    let good = blocking(move || match hash {
        Some(hash) => verify_pin(&secrets, &hash, &typed),
        None => {
            verify_nobody(&secrets, &typed);
            false
        }
    })
    .await?;
    drop(turn);
    let mut tx = k.db.writer.begin().await?;
    // The time of the decision: a check may have queued for its turn.
    let now = k.clock.now();
    let current = store::staff::find(&mut tx, staff_number)
        .await?
        .filter(|a| a.active);
    let (outcome, account) = match (read, current) {
        (Some(read), Some(current)) => {
            // A PIN checked against a hash replaced since proves nothing.
            let good = good && read.pin_hash == current.pin_hash;
            let state = current.sign_in_state();
            let (outcome, after) = decide_pin(state, good, now);
            if after != state {
                store::staff::set_sign_in_state(&mut tx, staff_number, after, now).await?;
            }
            if outcome != PinOutcome::Accepted {
                tracing::warn!(staff = %staff_number, wrong_pins = after.wrong_pins, locked = after.locked_until.is_some(), "wrong PIN");
            }
            (outcome, Some(current))
        }
        // The number as typed stays in memory only, and only if it could be a staff number.
        _ if check_staff_number(staff_number).is_ok() => {
            (k.pin_attempts.unknown_number(staff_number, now), None)
        }
        _ => (PinOutcome::Wrong, None),
    };
    tx.commit().await?;
    match (outcome, account) {
        (PinOutcome::Accepted, Some(account)) => Ok(account),
        (PinOutcome::Locked, _) => Err(FlowError::SignIn { message: locked() }),
        _ => Err(FlowError::SignIn {
            message: WRONG.into(),
        }),
    }
}

/// Signs a staff member in at a workstation and opens a session.
pub async fn sign_in(k: &Kiosk, req: SignInRequest) -> Result<SignedIn, FlowError> {
    check_workstation(&req.workstation)?;
    let account = check_pin(k, req.staff_number.trim(), &req.pin).await?;
    let now = k.clock.now();
    let session = Session {
        staff_number: account.staff_number.clone(),
        name: account.name.clone(),
        role: account.role,
        workstation: req.workstation.clone(),
        signed_in_at: now,
    };
    let token = k
        .sessions
        .open(session, now)
        .map_err(|e| FlowError::Internal(format!("no randomness for a session token: {e}")))?;
    tracing::info!(staff = %account.staff_number, role = account.role.as_str(), workstation = %req.workstation, "signed in");
    Ok(SignedIn {
        token,
        staff_number: account.staff_number,
        name: account.name,
        role: account.role,
        workstation: req.workstation,
        idle_minutes: k.sessions.idle_limit().num_minutes(),
        permissions: permission_names(account.role),
    })
}

/// A supervisor's PIN approving `permission` for a clerk's action; the approver's staff
/// number. A wrong PIN counts toward the supervisor's lockout like a sign-in.
pub async fn approve(
    k: &Kiosk,
    supervisor: Option<&SupervisorPin>,
    permission: Permission,
) -> Result<String, FlowError> {
    let Some(supervisor) = supervisor else {
        return Err(FlowError::SupervisorPinRequired {
            permission,
            message: format!(
                "needs a supervisor's PIN (X-Supervisor + X-Supervisor-Pin) for {}",
                permission.as_str()
            ),
        });
    };
    let account = check_pin(k, supervisor.staff_number.trim(), &supervisor.pin).await?;
    if !account.role.may(permission) {
        return Err(FlowError::Forbidden {
            permission,
            message: format!(
                "staff {} may not approve {}",
                account.staff_number,
                permission.as_str()
            ),
        });
    }
    tracing::info!(supervisor = %account.staff_number, permission = permission.as_str(), "supervisor approved");
    Ok(account.staff_number)
}

/// A new account, by a supervisor (store roles only: head-office admins come from the CLI).
pub async fn add(k: &Kiosk, by: &Session, new: NewStaff) -> Result<StaffAccount, FlowError> {
    store_role_only(&[new.role])?;
    create(k, new, &by.staff_number).await
}

/// Creates an account (the PIN checked and hashed); 409 if the staff number is taken.
async fn create(k: &Kiosk, new: NewStaff, created_by: &str) -> Result<StaffAccount, FlowError> {
    check_staff_number(&new.staff_number)?;
    check_new_pin(&new.pin)?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(FlowError::invalid("name", "a name is 1-40 characters"));
    }
    let account = StaffAccount {
        staff_number: new.staff_number.clone(),
        name: name.to_owned(),
        role: new.role,
        pin_hash: hashed(&k.secrets, new.pin).await?,
        wrong_pins: 0,
        locked_until: None,
        active: true,
    };
    let mut conn = k.db.writer.acquire().await.map_err(StoreError::from)?;
    if !store::staff::insert(&mut conn, &account, created_by, k.clock.now()).await? {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::StaffNumberTaken,
            "staff number already in use",
            None,
            Some("staff_number"),
        ));
    }
    Ok(account)
}

/// Creates the first supervisor (CLI, first run): refused once an active supervisor exists,
/// so it cannot be used to take over a running store.
pub async fn bootstrap_supervisor(
    k: &Kiosk,
    staff_number: &str,
    name: &str,
    pin: String,
) -> Result<StaffAccount, FlowError> {
    {
        let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
        if store::staff::has_active_supervisor(&mut conn).await? {
            return Err(FlowError::conflict(
                crate::flows::ErrorCode::SupervisorExists,
                "a supervisor already exists: staff are added by a supervisor in the kiosk",
                Some("R-SVC-2"),
                None,
            ));
        }
    }
    let new = NewStaff {
        staff_number: staff_number.to_owned(),
        name: name.to_owned(),
        role: Role::Supervisor,
        pin,
    };
    create(k, new, "cli").await
}

/// Creates a head-office admin account (CLI, run by head office on the kiosk machine).
pub async fn add_hq_admin(
    k: &Kiosk,
    staff_number: &str,
    name: &str,
    pin: String,
) -> Result<StaffAccount, FlowError> {
    let new = NewStaff {
        staff_number: staff_number.to_owned(),
        name: name.to_owned(),
        role: Role::HqAdmin,
        pin,
    };
    create(k, new, "cli").await
}

/// Every account (no PIN hashes).
pub async fn list(k: &Kiosk) -> Result<Vec<StaffAccount>, FlowError> {
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    Ok(store::staff::all(&mut conn).await?)
}

/// A supervisor manages store roles only: head-office admin accounts are created and managed
/// by head office (`member-kiosk add-hq-admin`).
fn store_role_only(roles: &[Role]) -> Result<(), FlowError> {
    if roles.contains(&Role::HqAdmin) {
        return Err(FlowError::Forbidden {
            permission: Permission::PolicyManage,
            message:
                "head-office admin accounts are managed by head office (member-kiosk add-hq-admin)"
                    .into(),
        });
    }
    Ok(())
}

async fn existing(k: &Kiosk, staff_number: &str) -> Result<StaffAccount, FlowError> {
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    store::staff::find(&mut conn, staff_number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "staff member",
            field: "staff_number",
        })
}

/// Changes a role or (de)activates an account; the staff member's sessions end. A
/// supervisor cannot demote or deactivate themself (the store would lose its last one).
pub async fn change(
    k: &Kiosk,
    by: &Session,
    staff_number: &str,
    change: StaffChange,
) -> Result<StaffAccount, FlowError> {
    let mut account = existing(k, staff_number).await?;
    store_role_only(&[account.role, change.role.unwrap_or(account.role)])?;
    if staff_number == by.staff_number {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::OwnAccount,
            "a supervisor cannot change their own role or deactivate themself",
            Some("R-SVC-2"),
            Some("staff_number"),
        ));
    }
    account.role = change.role.unwrap_or(account.role);
    account.active = change.active.unwrap_or(account.active);
    let mut conn = k.db.writer.acquire().await.map_err(StoreError::from)?;
    store::staff::set_role_and_active(
        &mut conn,
        staff_number,
        account.role,
        account.active,
        k.clock.now(),
    )
    .await?;
    k.sessions.close_all_of(staff_number);
    Ok(account)
}

/// Lifts a wrong-PIN lock before its 5 minutes are up.
pub async fn unlock(k: &Kiosk, staff_number: &str) -> Result<StaffAccount, FlowError> {
    let mut account = existing(k, staff_number).await?;
    let mut conn = k.db.writer.acquire().await.map_err(StoreError::from)?;
    store::staff::set_sign_in_state(
        &mut conn,
        staff_number,
        SignInState::default(),
        k.clock.now(),
    )
    .await?;
    account.wrong_pins = 0;
    account.locked_until = None;
    Ok(account)
}

/// Sets a new PIN for a staff member who forgot theirs; their sessions end.
pub async fn reset_pin(
    k: &Kiosk,
    staff_number: &str,
    reset: PinReset,
) -> Result<StaffAccount, FlowError> {
    let mut account = existing(k, staff_number).await?;
    store_role_only(&[account.role])?;
    check_new_pin(&reset.pin)?;
    let hash = hashed(&k.secrets, reset.pin).await?;
    let mut conn = k.db.writer.acquire().await.map_err(StoreError::from)?;
    store::staff::set_pin(&mut conn, staff_number, &hash, k.clock.now()).await?;
    k.sessions.close_all_of(staff_number);
    account.wrong_pins = 0;
    account.locked_until = None;
    Ok(account)
}

async fn hashed(secrets: &std::sync::Arc<DataSecrets>, pin: String) -> Result<String, FlowError> {
    let secrets = secrets.clone();
    blocking(move || hash_pin(&secrets, &pin))
        .await?
        .map_err(|e| FlowError::Internal(e.to_string()))
}

/// Argon2 takes tens of milliseconds of CPU: off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, FlowError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| FlowError::Internal(format!("PIN check did not finish: {e}")))
}
