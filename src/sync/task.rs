//! The store's sync task, run by the job runner: each round asks the plan what to do, pushes
//! the unacknowledged outbox in batches and marks what head office acknowledged (one
//! transaction per answer), pulls the change feed page by page (each page and its cursor in
//! one transaction), and now and then fetches the chain's issuer keys. A failure backs off
//! exponentially with full jitter; a conflict stops pushing for good and raises an alarm.

use chrono::{DateTime, Duration, Utc};

use super::client::{HeadOffice, HeadOfficeError};
use super::plan::{self, SeqRange, Status};
use super::protocol::PushRequest;
use crate::card::keys::Keyring;
use crate::flows::{sync_apply, FlowError};
use crate::kiosk::Kiosk;
use crate::store::audit::AuditEntry;
use crate::store::{outbox, sync_state, StoreError};

/// Changes asked per page of the feed.
pub const PAGE: u32 = 500;
/// Most pages applied in one round (the rest next round: pushes get their turn).
const MAX_PAGES_PER_ROUND: usize = 20;

/// What the task keeps between rounds (in memory only: a restart pulls and pushes at once).
#[derive(Debug, Default)]
pub struct SyncMemory {
    failures: u32,
    retry_at: Option<DateTime<Utc>>,
    last_pull: Option<DateTime<Utc>>,
    last_keys: Option<DateTime<Utc>>,
}

/// What one round did (tests and logs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub pushed: usize,
    pub acknowledged: i64,
    pub pulled: usize,
    pub failed: Option<String>,
    pub conflict: bool,
    /// More to push right away (the round stopped at its batch limit).
    pub more: bool,
}

#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    HeadOffice(#[from] HeadOfficeError),
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RoundError {
    fn from(e: sqlx::Error) -> Self {
        RoundError::Store(StoreError::Database(e))
    }
}

/// Runs rounds until nothing more is due now (at most a few, so a stop is never far).
pub async fn run_due(k: &Kiosk, memory: &mut SyncMemory) {
    let Some(head_office) = k.head_office.clone() else {
        return;
    };
    // A few rounds at most, so a stop signal never waits long for a paced drain.
    let started = std::time::Instant::now();
    for _ in 0..10 {
        let round = round(k, head_office.as_ref(), memory).await;
        if !round.more || round.failed.is_some() || started.elapsed().as_secs() >= 2 {
            break;
        }
    }
}

/// The pause after a round that took `worked`, so work is `share` percent of the time.
fn drain_pause(worked: std::time::Duration, share: u32) -> std::time::Duration {
    worked * (100 - share.min(100)) / share.max(1)
}

/// One round of the plan. Scheduling uses the machine's clock (`Utc::now`), not the kiosk's
/// business clock, which tests and training stop; recorded instants use the kiosk's clock.
pub async fn round(k: &Kiosk, head_office: &dyn HeadOffice, memory: &mut SyncMemory) -> Round {
    let mut done = Round::default();
    match try_round(k, head_office, memory, &mut done).await {
        Ok(()) => {
            memory.failures = 0;
            memory.retry_at = None;
        }
        Err(e) => {
            let error = e.to_string();
            memory.failures = memory.failures.saturating_add(1);
            let wait = plan::backoff(memory.failures, jitter_draw());
            memory.retry_at = Some(Utc::now() + wait);
            tracing::warn!(%error, failures = memory.failures, retry_in_ms = wait.num_milliseconds(), "head-office sync failed; backing off");
            let at = k.clock.now();
            k.sync.failed(at, error.clone());
            if let Err(e) = record_error(k, &error, at).await {
                tracing::error!(error = %e, "sync error not recorded");
            }
            done.failed = Some(error);
        }
    }
    done
}

async fn record_error(k: &Kiosk, error: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = k.db.writer.begin().await?;
    sync_state::record_error(&mut tx, error, at).await?;
    tx.commit().await?;
    Ok(())
}

async fn try_round(
    k: &Kiosk,
    head_office: &dyn HeadOffice,
    memory: &mut SyncMemory,
    done: &mut Round,
) -> Result<(), RoundError> {
    let (row, unacknowledged) = {
        let mut conn = k.db.reader.acquire().await?;
        (
            sync_state::load(&mut conn).await?,
            outbox::unacknowledged_range(&mut conn).await?,
        )
    };
    let pull_every = Duration::milliseconds(
        i64::try_from(k.config.head_office.pull_every_ms).unwrap_or(i64::MAX / 4),
    );
    let status = Status {
        now: Utc::now(),
        unacknowledged: unacknowledged.map(|(first, last)| SeqRange { first, last }),
        conflict: row.conflict_seq.is_some(),
        retry_at: memory.retry_at,
        last_pull: memory.last_pull,
        pull_every,
        cursor: row.pull_cursor,
    };
    let planned = plan::plan(&status);
    let mut high_water = row.high_water;
    let share = u32::from(k.config.head_office.drain_share_percent.clamp(1, 100));
    let mut batch_started = std::time::Instant::now();
    for (i, range) in planned.push.iter().enumerate() {
        if i > 0 {
            // A backlog drains in the background: pause so the push loop works only its
            // share of the time and the tills keep the cores and the writer.
            tokio::time::sleep(drain_pause(batch_started.elapsed(), share)).await;
        }
        batch_started = std::time::Instant::now();
        let events = {
            let mut conn = k.db.reader.acquire().await?;
            outbox::batch(&mut conn, range.first, range.last).await?
        };
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            continue;
        };
        let sent = SeqRange {
            first: first.seq,
            last: last.seq,
        };
        let request = PushRequest {
            store_id: k.config.store_id.clone(),
            events,
        };
        match head_office.push(&request).await {
            Ok(answer) => {
                let acknowledged = plan::acknowledged(high_water, sent, &answer);
                let at = k.clock.now();
                let mut tx = k.db.writer.begin().await?;
                sync_state::acknowledge(&mut tx, acknowledged, at).await?;
                tx.commit().await?;
                k.sync.succeeded(at, false);
                done.pushed += request.events.len();
                done.acknowledged = acknowledged;
                if acknowledged < high_water.max(sent.first - 1) {
                    tracing::error!(
                        high_water = answer.high_water,
                        "head office holds less of this store's log than it acknowledged before"
                    );
                }
                high_water = acknowledged;
                if acknowledged < sent.last {
                    // Head office stored less than was sent (a gap on its side): next round.
                    break;
                }
            }
            Err(HeadOfficeError::Conflict(conflict)) => {
                let at = k.clock.now();
                let mut tx = k.db.writer.begin().await?;
                let new = sync_state::raise_conflict(&mut tx, &conflict, at).await?;
                tx.commit().await?;
                k.sync.update(|s| {
                    s.conflict = true;
                    s.online = true;
                    s.last_success = Some(at);
                    s.last_error = Some(format!("event {} conflicts", conflict.seq));
                });
                if new {
                    tracing::error!(
                        seq = conflict.seq,
                        "head office holds this event with another hash: pushing stopped"
                    );
                    k.audit(AuditEntry {
                        store_id: k.config.store_id.clone(),
                        at,
                        staff_id: "system".into(),
                        role: None,
                        workstation: "sync".into(),
                        action: "sync.event_conflict".into(),
                        target: Some(conflict.seq.to_string()),
                        detail: Some(serde_json::json!({
                            "stored_hash": conflict.stored_hash,
                            "sent_hash": conflict.sent_hash,
                        })),
                        result: 409,
                    })
                    .await?;
                }
                done.conflict = true;
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    done.more =
        planned.push.len() == plan::MAX_BATCHES_PER_ROUND && done.pushed > 0 && !done.conflict;
    if let Some(mut cursor) = planned.pull {
        for _ in 0..MAX_PAGES_PER_ROUND {
            let page = head_office.changes(cursor, PAGE).await?;
            let full = page.changes.len() >= PAGE as usize;
            let applied = sync_apply::apply_page(k, cursor, &page).await?;
            done.pulled += page.changes.len();
            if applied.hotlisted > 0 || applied.duplicates > 0 {
                tracing::info!(
                    hotlisted = applied.hotlisted,
                    duplicates = applied.duplicates,
                    "head-office changes applied"
                );
            }
            cursor = page.next.max(cursor);
            if !full {
                break;
            }
        }
        let at = k.clock.now();
        if done.pulled == 0 {
            let mut tx = k.db.writer.begin().await?;
            sync_state::contact(&mut tx, at).await?;
            tx.commit().await?;
        }
        k.sync.succeeded(at, true);
        memory.last_pull = Some(status.now);
    }
    let keys_every = Duration::seconds(
        i64::try_from(k.config.head_office.keys_every_seconds).unwrap_or(i64::MAX / 4),
    );
    if memory
        .last_keys
        .is_none_or(|at| status.now >= at + keys_every)
    {
        // Keys are not what makes the store online or offline: a failure is logged and
        // retried in a minute, the round still succeeded.
        memory.last_keys = Some(match fetch_keys(k, head_office).await {
            Ok(()) => status.now,
            Err(e) => {
                tracing::warn!(error = %e, "chain issuer keys not fetched; retrying in a minute");
                status.now - keys_every + Duration::seconds(60)
            }
        });
    }
    Ok(())
}

/// Merges the chain's issuer keys into the key file (kept: every old key). A kiosk whose key
/// comes from the environment has no file to merge into. Readers load keys at start: a key
/// added here verifies cards after the next start.
async fn fetch_keys(k: &Kiosk, head_office: &dyn HeadOffice) -> Result<(), RoundError> {
    let chain = match head_office.keys().await {
        Ok(chain) => chain,
        // A head office without keys to hand out yet: nothing to merge.
        Err(HeadOfficeError::Unexpected { status: 404, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if std::env::var_os("KIOSK_ISSUER_KEY").is_some() {
        return Ok(());
    }
    let path = k.config.key_file.clone();
    let merged = tokio::task::spawn_blocking(move || {
        let mut keys = Keyring::load(&path)?;
        keys.merge_chain_keys(&path, &chain.issuer_keys, chain.current)
    })
    .await
    .map_err(|e| StoreError::Open(format!("key merge stopped: {e}")))?;
    match merged {
        Ok(m) if m.added > 0 || m.current_changed => {
            tracing::info!(
                added = m.added,
                current_changed = m.current_changed,
                "chain issuer keys merged into the key file"
            );
        }
        Ok(m) if m.clashes > 0 => {
            tracing::error!(
                clashes = m.clashes,
                "head office has issuer key ids with other secrets than ours: ours kept"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "chain issuer keys not merged"),
    }
    Ok(())
}

/// A uniform draw in [0, 1] for the jitter (the OS's randomness; without it, the full step).
fn jitter_draw() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 1.0,
    }
}

#[cfg(test)]
mod drain_tests {
    use super::drain_pause;
    use std::time::Duration;

    #[test]
    fn the_drain_works_only_its_share_of_the_time() {
        let worked = Duration::from_millis(40);
        assert_eq!(drain_pause(worked, 25), Duration::from_millis(120));
        assert_eq!(drain_pause(worked, 50), Duration::from_millis(40));
        assert_eq!(drain_pause(worked, 100), Duration::ZERO);
    }
}
