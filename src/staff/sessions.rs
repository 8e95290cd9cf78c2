//! Open staff sessions, in memory: a random bearer token per sign-in, bound to one staff
//! member, role and workstation, ending at logout or after the idle limit. Only a SHA-256 of
//! each token is kept, so a memory dump or a debug print holds no usable token.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::domain::staff::{session_expired, Role};

/// Who is signed in, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub staff_number: String,
    pub name: String,
    pub role: Role,
    pub workstation: String,
    pub signed_in_at: DateTime<Utc>,
}

/// Why a token does not open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("not signed in (or signed out)")]
    Unknown,
    #[error("session expired after inactivity: sign in again")]
    Expired,
}

struct Open {
    session: Session,
    last_seen: DateTime<Utc>,
}

/// The session table.
pub struct Sessions {
    idle_limit: Duration,
    open: Mutex<HashMap<[u8; 32], Open>>,
}

impl Sessions {
    pub fn new(idle_limit: Duration) -> Sessions {
        Sessions {
            idle_limit,
            open: Mutex::new(HashMap::new()),
        }
    }

    pub fn idle_limit(&self) -> Duration {
        self.idle_limit
    }

    /// Opens a session; returns its bearer token (64 hex characters, 256 random bits).
    pub fn open(&self, session: Session, now: DateTime<Utc>) -> Result<String, getrandom::Error> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)?;
        let token = hex::encode(raw);
        let mut open = self.lock();
        // Sweep here, not on a timer: sign-ins are rare, and the table stays small.
        open.retain(|_, o| !session_expired(o.last_seen, self.idle_limit, now));
        open.insert(
            digest(&token),
            Open {
                session,
                last_seen: now,
            },
        );
        Ok(token)
    }

    /// The session of `token`, marked as used now; an idle one is closed and refused.
    pub fn touch(&self, token: &str, now: DateTime<Utc>) -> Result<Session, SessionError> {
        let key = digest(token);
        let mut open = self.lock();
        let Some(o) = open.get_mut(&key) else {
            return Err(SessionError::Unknown);
        };
        if session_expired(o.last_seen, self.idle_limit, now) {
            open.remove(&key);
            return Err(SessionError::Expired);
        }
        o.last_seen = now.max(o.last_seen);
        Ok(o.session.clone())
    }

    /// Ends the session of `token` (logout); false if there was none.
    pub fn close(&self, token: &str) -> bool {
        self.lock().remove(&digest(token)).is_some()
    }

    /// Ends every session of a staff member (deactivated, role changed, PIN reset).
    pub fn close_all_of(&self, staff_number: &str) -> usize {
        let mut open = self.lock();
        let before = open.len();
        open.retain(|_, o| o.session.staff_number != staff_number);
        before - open.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Open>> {
        // A panic while holding the lock cannot leave the map half-changed (each change is
        // one call), so a poisoned lock is still sound to use.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(minute)
    }

    fn cashier() -> Session {
        Session {
            staff_number: "C01".into(),
            name: "Li".into(),
            role: Role::Cashier,
            workstation: "T01".into(),
            signed_in_at: at(0),
        }
    }

    #[test]
    fn a_session_lives_while_used_and_dies_after_the_idle_limit() {
        let sessions = Sessions::new(Duration::minutes(10));
        let token = sessions.open(cashier(), at(0)).expect("token");
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.touch(&token, at(9)), Ok(cashier()));
        assert_eq!(
            sessions.touch(&token, at(18)),
            Ok(cashier()),
            "use resets the clock"
        );
        assert_eq!(sessions.touch(&token, at(28)), Err(SessionError::Expired));
        assert_eq!(sessions.touch(&token, at(28)), Err(SessionError::Unknown));
    }

    #[test]
    fn logout_and_closing_a_staff_members_sessions_end_them() {
        let sessions = Sessions::new(Duration::minutes(10));
        let a = sessions.open(cashier(), at(0)).expect("token");
        let b = sessions.open(cashier(), at(0)).expect("token");
        assert_ne!(a, b);
        assert!(sessions.close(&a));
        assert!(!sessions.close(&a));
        assert_eq!(sessions.touch(&a, at(1)), Err(SessionError::Unknown));
        assert_eq!(sessions.close_all_of("C01"), 1);
        assert_eq!(sessions.touch(&b, at(1)), Err(SessionError::Unknown));
    }
}
