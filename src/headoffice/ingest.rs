//! `POST /sync/v1/push`: one transaction per push. Every event's hash is checked against its
//! kind, version and payload; `INSERT … ON CONFLICT (store_id, seq) DO NOTHING RETURNING seq`
//! decides which events are new, and only those are projected. The same key with another
//! hash is refused (409) with an alarm, never overwritten. The answer is the store's
//! contiguous high-water mark. Pushes of one store are serialised on its `stores` row, so
//! overlapping retries from two head-office processes wait for each other instead of racing.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::db::is_retryable;
use super::error::HqError;
use super::{feed, projections};
use crate::domain::events::{decode, event_hash, Decoded, Event};
use crate::sync::protocol::{Conflict, PushAnswer, PushRequest, SentEvent, MAX_BATCH};

/// How often a push aborted by a deadlock with another process is run again.
const RETRIES: usize = 5;

/// An event as checked, before it is stored.
struct Checked<'a> {
    sent: &'a SentEvent,
    event: Option<Event>,
    problem: Option<String>,
}

/// Ingests one push from `store_id` (already authenticated).
pub async fn push(
    pool: &PgPool,
    store_id: &str,
    request: &PushRequest,
) -> Result<PushAnswer, HqError> {
    if request.store_id != store_id {
        return Err(HqError::WrongStore);
    }
    if request.events.len() > MAX_BATCH {
        return Err(HqError::Invalid(format!(
            "at most {MAX_BATCH} events per push"
        )));
    }
    let started = Instant::now();
    let checked = check(&request.events)?;
    let checked_in = started.elapsed();
    let mut attempt = 0;
    loop {
        match ingest(pool, store_id, &checked, checked_in).await {
            Err(HqError::Db(e)) if is_retryable(&e) && attempt < RETRIES => attempt += 1,
            Err(HqError::Conflict(conflict)) => {
                alarm(pool, store_id, &conflict).await?;
                return Err(HqError::Conflict(conflict));
            }
            other => return other,
        }
    }
}

/// Hashes, duplicates within the batch, decoding. Sorted by seq.
fn check(events: &[SentEvent]) -> Result<Vec<Checked<'_>>, HqError> {
    let mut by_seq: BTreeMap<i64, &SentEvent> = BTreeMap::new();
    for sent in events {
        if sent.seq < 1 {
            return Err(HqError::Invalid(format!(
                "seq {} is not positive",
                sent.seq
            )));
        }
        if event_hash(&sent.kind, sent.version, &sent.payload) != sent.hash {
            return Err(HqError::BadHash { seq: sent.seq });
        }
        if let Some(other) = by_seq.insert(sent.seq, sent) {
            if other.hash != sent.hash {
                return Err(HqError::Invalid(format!(
                    "seq {} is twice in the push with different hashes",
                    sent.seq
                )));
            }
        }
    }
    Ok(by_seq
        .into_values()
        .map(
            |sent| match decode(&sent.kind, sent.version, &sent.payload) {
                Ok(Decoded::Known(event)) => Checked {
                    sent,
                    event: Some(event),
                    problem: None,
                },
                Ok(Decoded::Unknown) => Checked {
                    sent,
                    event: None,
                    problem: None,
                },
                // A known kind whose payload breaks the contract: kept and reported like an
                // unknown version (refusing it would stop the store's sync for good).
                Err(e) => Checked {
                    sent,
                    event: None,
                    problem: Some(e.to_string()),
                },
            },
        )
        .collect())
}

async fn ingest(
    pool: &PgPool,
    store_id: &str,
    checked: &[Checked<'_>],
    checked_in: Duration,
) -> Result<PushAnswer, HqError> {
    let mut lap = Laps::start();
    let mut tx = pool.begin().await?;
    let stored_high: Option<i64> =
        sqlx::query_scalar("SELECT high_water FROM stores WHERE store_id = $1 FOR UPDATE")
            .bind(store_id)
            .fetch_optional(&mut *tx)
            .await?;
    let mut high = stored_high.ok_or(HqError::BadCredential)?;

    let n = checked.len();
    let mut seqs = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut payloads = Vec::with_capacity(n);
    let mut hashes = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let mut known = Vec::with_capacity(n);
    let mut problems = Vec::with_capacity(n);
    for c in checked {
        seqs.push(c.sent.seq);
        kinds.push(c.sent.kind.as_str());
        versions.push(i32::try_from(c.sent.version).unwrap_or(i32::MAX));
        payloads.push(c.sent.payload.as_str());
        hashes.push(c.sent.hash.as_str());
        created.push(c.sent.created_at);
        known.push(c.event.is_some());
        problems.push(c.problem.as_deref());
    }
    let inserted: Vec<i64> = if n == 0 {
        Vec::new()
    } else {
        sqlx::query_scalar(
            "INSERT INTO events (store_id, seq, kind, version, payload, hash, created_at, known, problem)
             SELECT $1, s, k, v, p, h, c, kn, pr
             FROM UNNEST($2::int8[], $3::text[], $4::int4[], $5::text[], $6::text[], $7::timestamptz[], $8::bool[], $9::text[])
                  AS t(s, k, v, p, h, c, kn, pr)
             ON CONFLICT (store_id, seq) DO NOTHING
             RETURNING seq",
        )
        .bind(store_id)
        .bind(&seqs)
        .bind(&kinds)
        .bind(&versions)
        .bind(&payloads)
        .bind(&hashes)
        .bind(&created)
        .bind(&known)
        .bind(&problems)
        .fetch_all(&mut *tx)
        .await?
    };
    let new: HashSet<i64> = inserted.iter().copied().collect();
    let insert_in = lap.next();

    // Already stored: the same hash is a harmless re-send, another hash a conflict.
    if new.len() < n {
        let again: Vec<i64> = seqs.iter().copied().filter(|s| !new.contains(s)).collect();
        let stored: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM events WHERE store_id = $1 AND seq = ANY($2) ORDER BY seq",
        )
        .bind(store_id)
        .bind(&again)
        .fetch_all(&mut *tx)
        .await?;
        for (seq, stored_hash) in stored {
            // `checked` is sorted by seq.
            let Ok(i) = checked.binary_search_by_key(&seq, |c| c.sent.seq) else {
                continue;
            };
            let c = &checked[i];
            if c.sent.hash != stored_hash {
                // Dropping the transaction rolls the whole push back.
                return Err(HqError::Conflict(Conflict {
                    seq,
                    stored_hash,
                    sent_hash: c.sent.hash.clone(),
                }));
            }
        }
    }

    let fresh: Vec<(i64, &Event)> = checked
        .iter()
        .filter(|c| new.contains(&c.sent.seq))
        .filter_map(|c| c.event.as_ref().map(|e| (c.sent.seq, e)))
        .collect();
    let conflicts_in = lap.next();
    let changes = projections::project(&mut tx, store_id, &fresh).await?;
    let project_in = lap.next();

    // Every seq of this push is stored now (new, or the same hash already there): the run
    // after the old mark goes through the push's own contiguous seqs (sorted) without a
    // query; past them, seqs stored by earlier out-of-order pushes may extend it.
    for c in checked {
        if c.sent.seq == high + 1 {
            high += 1;
        } else if c.sent.seq > high {
            break;
        }
    }
    // Past `high`: a stored seq s is in the run exactly when it is the (s - high)-th
    // stored seq after high (usually there is none, and this reads one index page).
    let high: i64 = sqlx::query_scalar(
        "WITH run AS (
             SELECT COUNT(*) AS n FROM (
                 SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS rn
                 FROM events WHERE store_id = $1 AND seq > $2) AS x
             WHERE seq - $2 = rn)
         UPDATE stores SET high_water = $2 + run.n, last_push_at = now(),
             high_water_at = COALESCE(
                 (SELECT created_at FROM events WHERE store_id = $1 AND seq = $2 + run.n),
                 high_water_at)
         FROM run WHERE store_id = $1
         RETURNING high_water",
    )
    .bind(store_id)
    .bind(high)
    .fetch_one(&mut *tx)
    .await?;
    let high_in = lap.next();
    let origin = Some(store_id.to_owned());
    let changes: Vec<_> = changes.into_iter().map(|c| (origin.clone(), c)).collect();
    feed::append(&mut tx, &changes).await?;
    let feed_in = lap.next();
    tx.commit().await?;
    tracing::debug!(
        store = store_id,
        events = n,
        new = new.len(),
        check_ms = ms(checked_in),
        insert_ms = ms(insert_in),
        conflicts_ms = ms(conflicts_in),
        project_ms = ms(project_in),
        high_water_ms = ms(high_in),
        feed_ms = ms(feed_in),
        commit_ms = ms(lap.next()),
        "push ingested"
    );
    Ok(PushAnswer {
        high_water: high,
        inserted: u32::try_from(new.len()).unwrap_or(u32::MAX),
    })
}

/// Stage timings of one push (logged at debug level: where a push's time goes).
struct Laps(Instant);

impl Laps {
    fn start() -> Laps {
        Laps(Instant::now())
    }

    /// The time since the last lap.
    fn next(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.0;
        self.0 = now;
        lap
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An alarm row for a conflict (its own transaction: the push itself was rolled back).
async fn alarm(pool: &PgPool, store_id: &str, conflict: &Conflict) -> Result<(), HqError> {
    tracing::error!(
        store = store_id,
        seq = conflict.seq,
        "event conflict: same key, another hash"
    );
    sqlx::query(
        "INSERT INTO alarms (store_id, code, seq, stored_hash, sent_hash) VALUES ($1, 'event_conflict', $2, $3, $4)",
    )
    .bind(store_id)
    .bind(conflict.seq)
    .bind(&conflict.stored_hash)
    .bind(&conflict.sent_hash)
    .execute(pool)
    .await?;
    Ok(())
}
