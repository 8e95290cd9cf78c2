//! PIN attempts kept in memory: the wrong-PIN state of staff numbers that name no account (so
//! an unknown number locks after five tries exactly like a real one, and answers can't be
//! used to find which staff numbers exist), the rate limits on supervisor-PIN approvals, and
//! how many PIN checks run at once.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::sync::{AcquireError, Semaphore, SemaphorePermit};

use super::rate_limit::RateLimiter;
use crate::domain::staff::{decide_pin, is_locked, PinOutcome, SignInState};

/// Staff numbers tracked before those not locked are swept out (a flood of made-up numbers
/// must not grow memory without end; the sign-in rate limit slows it anyway).
const SWEEP_AT: usize = 4096;

pub struct PinAttempts {
    /// By staff number as typed (syntactically valid ones only: never a phone number).
    unknown: Mutex<HashMap<String, SignInState>>,
    /// Supervisor-PIN approvals asked for by one clerk (all their sessions).
    pub approvals_by_clerk: RateLimiter,
    /// Supervisor-PIN approvals naming one supervisor, from any clerk.
    pub approvals_for_supervisor: RateLimiter,
    /// One PIN check per core at a time: Argon2 takes 19 MiB and tens of milliseconds of CPU
    /// each, so a burst of hundreds must queue rather than starve the database and memory.
    checks: Semaphore,
}

impl PinAttempts {
    /// `per_minute`: the approvals one clerk may ask for, and one supervisor may be asked for.
    pub fn new(per_minute: u32) -> PinAttempts {
        PinAttempts {
            unknown: Mutex::new(HashMap::new()),
            approvals_by_clerk: RateLimiter::per_minute(per_minute),
            approvals_for_supervisor: RateLimiter::per_minute(per_minute),
            checks: Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        }
    }

    /// Waits for a turn to run one PIN check (held while the permit lives).
    pub async fn turn_to_check(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.checks.acquire().await
    }

    /// A PIN tried for `staff_number`, which names no active account: always wrong, counted
    /// and locked by the same rule as an account's.
    pub fn unknown_number(&self, staff_number: &str, now: DateTime<Utc>) -> PinOutcome {
        let mut unknown = self.unknown.lock().unwrap_or_else(|p| p.into_inner());
        if unknown.len() >= SWEEP_AT {
            unknown.retain(|_, s| is_locked(s.locked_until, now));
        }
        let state = unknown.entry(staff_number.to_owned()).or_default();
        let (outcome, after) = decide_pin(*state, false, now);
        *state = after;
        outcome
    }
}
