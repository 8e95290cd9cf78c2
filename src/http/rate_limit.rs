//! Request rate limits (sign-ins per client address, lookups per session): a token bucket per
//! key that refills evenly over a minute, so a burst up to the limit passes and a sustained
//! flood is held to the limit. Real time (monotonic), not the kiosk's business clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are swept out (a full bucket is the same as none).
const SWEEP_AT: usize = 4096;

pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(limit.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for `key` at `now`; refused with the wait until the next is allowed.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let per_second = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            let full = self.per_minute;
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < full
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            at: now,
        });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.per_minute);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
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
