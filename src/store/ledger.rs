//! The points ledger table (R-PTS-7): append-only signed entries per card; the database
//! refuses UPDATE and DELETE by trigger, and `append` refuses a batch that would take the
//! balance below zero.

use std::sync::LazyLock;

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use super::{day, parse_day, StoreError};
use crate::action::Action;
use crate::domain::events::{Event, LedgerEntry};
use crate::domain::ledger::{Entry, EntryKind, PlannedEntry, Standing, FRESH_KINDS};

/// What an entry refers to, besides its card: the local row ids (for this store's joins)
/// and the store's own numbers, which name the sale or refund chain-wide in its event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Refs<'a> {
    pub sale_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub receipt_no: Option<&'a str>,
    pub refund_no: Option<&'a str>,
    pub related_card: Option<&'a str>,
}

pub async fn entries(
    conn: &mut SqliteConnection,
    card_number: &str,
) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT kind, points, business_day FROM points_ledger WHERE card_number = ?1 ORDER BY seq",
    )
    .bind(card_number)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(kind, points, d)| {
            Ok(Entry {
                kind: EntryKind::parse(&kind).ok_or(StoreError::Corrupt("points_ledger.kind"))?,
                points,
                day: parse_day(&d, "points_ledger.business_day")?,
            })
        })
        .collect()
}

/// The card's standing on `today`, summed by SQLite rather than read entry by entry (the
/// checkout's hot path), and the seq of its last entry (0: none). The ledger is append-only,
/// so the same last entry means the same history: a sale priced on this standing can check
/// at commit that it still holds with one row read.
pub async fn standing(
    conn: &mut SqliteConnection,
    card_number: &str,
    today: NaiveDate,
) -> Result<(Standing, i64), StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let fresh: Vec<String> = FRESH_KINDS
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        format!(
            "SELECT COALESCE(SUM(points), 0), \
             COALESCE(SUM(CASE WHEN business_day = ?2 AND points > 0 AND kind IN ({}) THEN points ELSE 0 END), 0), \
             COALESCE(MAX(seq), 0) FROM points_ledger WHERE card_number = ?1",
            fresh.join(", ")
        )
    });
    let (balance, earned_today, last_entry): (i64, i64, i64) = sqlx::query_as(&SQL)
        .bind(card_number)
        .bind(day(today))
        .fetch_one(conn)
        .await?;
    Ok((
        Standing {
            balance,
            earned_today,
        },
        last_entry,
    ))
}

pub async fn balance(conn: &mut SqliteConnection, card_number: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE card_number = ?1",
    )
    .bind(card_number)
    .fetch_one(conn)
    .await?)
}

/// Books `planned` entries for the card; if any takes points away, checks the balance is
/// still ≥ 0 (the caller's transaction rolls back on error, so nothing is left behind).
pub async fn append(
    conn: &mut SqliteConnection,
    action: &Action,
    card_number: &str,
    planned: &[PlannedEntry],
    refs: Refs<'_>,
) -> Result<(), StoreError> {
    for e in planned.iter().filter(|e| e.points != 0) {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO points_ledger (store_id, card_number, kind, points, business_day, sale_id, refund_id, related_card, staff_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING seq",
        )
        .bind(&action.store_id)
        .bind(card_number)
        .bind(e.kind.as_str())
        .bind(e.points)
        .bind(day(action.today))
        .bind(refs.sale_id)
        .bind(refs.refund_id)
        .bind(refs.related_card)
        .bind(&action.staff_id)
        .bind(action.now.to_rfc3339())
        .fetch_one(&mut *conn)
        .await?;
        let event = Event::LedgerEntry(LedgerEntry {
            ledger_seq: seq,
            card_number: card_number.to_owned(),
            kind: e.kind,
            points: e.points,
            business_day: action.today,
            receipt_no: refs.receipt_no.map(str::to_owned),
            refund_no: refs.refund_no.map(str::to_owned),
            related_card: refs.related_card.map(str::to_owned),
            staff_id: action.staff_id.clone(),
            created_at: action.now,
        });
        super::outbox::record(
            conn,
            &action.store_id,
            &format!("{}:{seq}", action.store_id),
            &event,
            action.now,
        )
        .await?;
    }
    if planned.iter().any(|e| e.points < 0) && balance(conn, card_number).await? < 0 {
        return Err(StoreError::Corrupt(
            "points_ledger: balance would go below zero",
        ));
    }
    Ok(())
}
