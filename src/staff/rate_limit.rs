//! Request rate limits (sign-ins per client address, lookups per session, supervisor-PIN
//! approvals per clerk and per supervisor): a token bucket per key that refills evenly over a
//! minute, so a burst up to the limit passes and a sustained flood is held to the limit. Real
//! time (monotonic), not the kiosk's business clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are swept out (a full bucket is the same as none).
const SWEEP_AT: usize = 4096;

/// A request costs this many units; a bucket refills `limit × UNIT` units a minute. Whole
/// numbers, so refills never drift.
const UNIT: u128 = 1_000_000;
const NANOS_PER_MINUTE: u128 = 60_000_000_000;

pub struct RateLimiter {
    /// Bucket size in units: a burst of `limit` requests.
    capacity: u128,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    units: u128,
    at: Instant,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> RateLimiter {
        RateLimiter {
            capacity: u128::from(limit.max(1)) * UNIT,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Units refilled over `elapsed` (the capacity per minute, evenly).
    fn refill(&self, elapsed: Duration) -> u128 {
        elapsed.as_nanos().saturating_mul(self.capacity) / NANOS_PER_MINUTE
    }

    /// Takes one request for `key` at `now`; refused with the wait until the next is allowed.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| {
                b.units + self.refill(now.saturating_duration_since(b.at)) < self.capacity
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            units: self.capacity,
            at: now,
        });
        let refill = self.refill(now.saturating_duration_since(bucket.at));
        bucket.units = (bucket.units + refill).min(self.capacity);
        bucket.at = now.max(bucket.at);
        if bucket.units >= UNIT {
            bucket.units -= UNIT;
            Ok(())
        } else {
            // Nanoseconds until the missing units have refilled, rounded up.
            let missing = UNIT - bucket.units;
            let nanos = (missing * NANOS_PER_MINUTE).div_ceil(self.capacity);
            Err(Duration::from_nanos(
                u64::try_from(nanos).unwrap_or(u64::MAX),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_up_to_the_limit_passes_then_one_per_interval() {
        let limiter = RateLimiter::per_minute(6);
        let t0 = Instant::now();
        for _ in 0..6 {
            assert!(limiter.check("10.0.0.1", t0).is_ok());
        }
        let wait = limiter.check("10.0.0.1", t0).expect_err("over the limit");
        assert!((9..=10).contains(&wait.as_secs()), "{wait:?}");
        assert!(
            limiter.check("10.0.0.2", t0).is_ok(),
            "other keys unaffected"
        );
        assert!(limiter
            .check("10.0.0.1", t0 + Duration::from_secs(10))
            .is_ok());
        assert!(limiter
            .check("10.0.0.1", t0 + Duration::from_secs(10))
            .is_err());
    }
}
