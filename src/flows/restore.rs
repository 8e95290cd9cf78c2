//! `member-kiosk restore-from-head-office` (docs/sync.md §8): a store whose disk died is
//! rebuilt from head office into a new, empty database — every change of the feed from
//! cursor 0, the store's own included (its members, cards and points entries) — and its
//! counters are moved past everything head office holds of it, so no outbox seq, ledger seq
//! or card number is ever handed out twice.

use serde::Serialize;
use sqlx::SqliteConnection;

use super::sync_apply::apply_changes;
use super::{ErrorCode, FlowError};
use crate::kiosk::Kiosk;
use crate::store::{sync_state, StoreError};
use crate::sync::http_client::HttpHeadOffice;

/// Changes asked per page while rebuilding.
const PAGE: u32 = 1000;

/// What a restore rebuilt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Restored {
    pub changes: usize,
    pub members: i64,
    pub cards: i64,
    pub points_entries: i64,
    /// The feed cursor the store continues pulling from.
    pub cursor: i64,
    /// Head office's high-water mark of this store.
    pub high_water: i64,
    /// The outbox's next seq is above this (head office's highest stored seq).
    pub outbox_after: i64,
    /// The next card number's sequence.
    pub next_card_sequence: i64,
}

/// Rebuilds this store from head office. Refused unless the database is new and empty (no
/// member, card, sale or outbox row, the cursor at 0): a restore never mixes with a ledger.
pub async fn restore(k: &Kiosk, ho: &HttpHeadOffice) -> Result<Restored, FlowError> {
    let hq =
        |e: crate::sync::client::HeadOfficeError| FlowError::Internal(format!("head office: {e}"));
    {
        let mut conn = k.db.writer.acquire().await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM members) + (SELECT COUNT(*) FROM cards)
                  + (SELECT COUNT(*) FROM sales) + (SELECT COUNT(*) FROM outbox)
                  + (SELECT COUNT(*) FROM points_ledger) + (SELECT pull_cursor FROM sync_state WHERE id = 1)",
        )
        .fetch_one(&mut *conn)
        .await?;
        if used != 0 {
            return Err(FlowError::conflict(
                ErrorCode::DatabaseNotEmpty,
                "restore-from-head-office needs a new, empty database",
                None,
                None,
            ));
        }
    }
    // Asked first: every event head office holds of ours was written before this answer,
    // so the counters set from it below are past everything this store ever sent.
    let status = ho.status().await.map_err(hq)?;
    let mut restored = Restored {
        high_water: status.high_water,
        outbox_after: status.max_seq,
        ..Restored::default()
    };
    let mut after = 0;
    loop {
        let page = ho.changes_including_own(after, PAGE).await.map_err(hq)?;
        let now = k.clock.now();
        let mut tx = k.db.writer.begin().await?;
        // "" is no store: the store's own entries are applied like any other store's, keyed
        // by their origin (store, ledger seq), so a later pull never applies one twice.
        let (_, policies) = apply_changes(&mut tx, "", &page, now).await?;
        sync_state::advance_cursor(&mut tx, page.next.max(after), now).await?;
        tx.commit().await?;
        for policy in policies {
            k.remember_policy(policy);
        }
        restored.changes += page.changes.len();
        if page.next <= after {
            break;
        }
        after = page.next;
    }
    let mut tx = k.db.writer.begin().await?;
    restored.next_card_sequence = continue_counters(&mut tx, k, status.max_seq).await?;
    tx.commit().await?;
    let mut conn = k.db.reader.acquire().await?;
    (restored.members, restored.cards, restored.points_entries, restored.cursor) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM members), (SELECT COUNT(*) FROM cards),
                (SELECT COUNT(*) FROM points_ledger), (SELECT pull_cursor FROM sync_state WHERE id = 1)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if status.max_seq > status.high_water {
        tracing::warn!(
            high_water = status.high_water,
            max_seq = status.max_seq,
            "head office holds events of this store above a gap that can no longer be filled: it needs an operator"
        );
    }
    Ok(restored)
}

/// Moves the outbox, the points ledger and the card-number counter past what head office
/// holds of this store. Returns the next card sequence.
async fn continue_counters(
    conn: &mut SqliteConnection,
    k: &Kiosk,
    max_seq: i64,
) -> Result<i64, StoreError> {
    // AUTOINCREMENT continues after sqlite_sequence's value: the next outbox row is
    // max_seq + 1, whatever head office holds is never sent again under another hash.
    set_sequence(conn, "outbox", max_seq).await?;
    sqlx::query("UPDATE sync_state SET high_water = ?1 WHERE id = 1")
        .bind(max_seq)
        .execute(&mut *conn)
        .await?;
    // Head office keys ledger entries by (store, ledger seq): ours continue after the highest.
    let own_ledger: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(origin_seq), 0) FROM points_ledger WHERE store_id = ?1",
    )
    .bind(&k.config.store_id)
    .fetch_one(&mut *conn)
    .await?;
    let ledger_now: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM points_ledger")
        .fetch_one(&mut *conn)
        .await?;
    set_sequence(conn, "points_ledger", own_ledger.max(ledger_now)).await?;
    // Card numbers: issuer prefix, store code, 8-digit sequence, check digit.
    let prefix = format!("{}{}", k.config.issuer_prefix, k.config.store_id);
    let highest: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(CAST(substr(number, ?2, 8) AS INTEGER)), 0) FROM cards
         WHERE substr(number, 1, ?3) = ?1 AND length(number) = ?3 + 9",
    )
    .bind(&prefix)
    .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX) + 1)
    .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO counters (name, next_value) VALUES ('card_number', ?1)
         ON CONFLICT (name) DO UPDATE SET next_value = MAX(next_value, excluded.next_value)",
    )
    .bind(highest + 1)
    .execute(&mut *conn)
    .await?;
    Ok(highest + 1)
}

/// Sets a table's AUTOINCREMENT high mark to at least `value`.
async fn set_sequence(
    conn: &mut SqliteConnection,
    table: &str,
    value: i64,
) -> Result<(), StoreError> {
    let updated = sqlx::query("UPDATE sqlite_sequence SET seq = MAX(seq, ?2) WHERE name = ?1")
        .bind(table)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)")
            .bind(table)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
