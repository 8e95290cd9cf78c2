//! Card rows: number, tier, state, term, generation and the replacement chain.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::LazyLock;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::members::Member;
use super::sealed::Sealer;

use super::{day, parse_day, StoreError};
use crate::action::Action;
use crate::domain::card_number::CardNumber;
use crate::domain::card_status::{CardFacts, CardState};
use crate::domain::events::CardSnapshot;
use crate::domain::Tier;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub number: String,
    pub member_id: String,
    pub tier: Tier,
    pub state: CardState,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub lapsed_on: Option<NaiveDate>,
    pub generation: i64,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub upgrade_points_carried: i64,
    pub points_debt: i64,
    pub issued_store: String,
    pub issued_on: NaiveDate,
    /// Write sequence of the record last written to the card (0: none yet).
    pub record_seq: i64,
}

impl Card {
    pub fn facts(&self) -> CardFacts {
        CardFacts {
            state: self.state,
            tier: self.tier,
            valid_from: self.valid_from,
            expiry: self.expiry,
            lapsed_on: self.lapsed_on,
        }
    }
}

type CardRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    String,
    i64,
);

const COLUMNS: &str = "number, member_id, tier, state, valid_from, expiry, lapsed_on, generation, replaces, replaced_by, upgrade_points_carried, points_debt, issued_store, issued_on, record_seq";

fn from_row(r: CardRow) -> Result<Card, StoreError> {
    Ok(Card {
        number: r.0,
        member_id: r.1,
        tier: Tier::parse(&r.2).ok_or(StoreError::Corrupt("cards.tier"))?,
        state: CardState::parse(&r.3).ok_or(StoreError::Corrupt("cards.state"))?,
        valid_from: parse_day(&r.4, "cards.valid_from")?,
        expiry: parse_day(&r.5, "cards.expiry")?,
        lapsed_on: r
            .6
            .as_deref()
            .map(|d| parse_day(d, "cards.lapsed_on"))
            .transpose()?,
        generation: r.7,
        replaces: r.8,
        replaced_by: r.9,
        upgrade_points_carried: r.10,
        points_debt: r.11,
        issued_store: r.12,
        issued_on: parse_day(&r.13, "cards.issued_on")?,
        record_seq: r.14,
    })
}

/// The card in a row's first columns (a join's: `COLUMNS` first).
fn card_at(row: &SqliteRow) -> Result<Card, StoreError> {
    from_row((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
        row.try_get(7)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
        row.try_get(11)?,
        row.try_get(12)?,
        row.try_get(13)?,
        row.try_get(14)?,
    ))
}

/// The card and its holder in one round trip (the lookup and checkout hot path).
pub async fn find_with_member(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    number: &str,
) -> Result<Option<(Card, Member)>, StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let prefixed = |alias: &str, columns: &str| {
            columns
                .split(',')
                .map(|c| format!("{alias}.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "SELECT {}, {} FROM cards c JOIN members m ON m.id = c.member_id WHERE c.number = ?1",
            prefixed("c", COLUMNS),
            prefixed("m", super::members::COLUMNS)
        )
    });
    let Some(row) = sqlx::query(&SQL).bind(number).fetch_optional(conn).await? else {
        return Ok(None);
    };
    let card = card_at(&row)?;
    Ok(Some((card, super::members::from_row_at(&row, 15, sealer)?)))
}

/// The card and the seq of its last ledger entry (0: none), in one round trip: what a sale
/// priced earlier is checked against when it commits.
pub async fn find_with_last_entry(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<(Card, i64)>, StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS}, (SELECT COALESCE(MAX(seq), 0) FROM points_ledger WHERE card_number = ?1) \
             FROM cards WHERE number = ?1"
        )
    });
    let Some(row) = sqlx::query(&SQL).bind(number).fetch_optional(conn).await? else {
        return Ok(None);
    };
    let card = card_at(&row)?;
    Ok(Some((card, row.try_get(15)?)))
}

pub async fn find(conn: &mut SqliteConnection, number: &str) -> Result<Option<Card>, StoreError> {
    let row: Option<CardRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM cards WHERE number = ?1"))
            .bind(number)
            .fetch_optional(conn)
            .await?;
    row.map(from_row).transpose()
}

/// The card's full row as the event contract carries it (`card.<cause>` events): read in
/// the caller's transaction, right after the change it describes.
pub async fn snapshot(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<CardSnapshot, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, record_key_id FROM cards WHERE number = ?1"
    ))
    .bind(number)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::Corrupt("card_events.card_number"))?;
    let card = card_at(&row)?;
    let record_key_id: Option<i64> = row.try_get(15)?;
    Ok(CardSnapshot {
        number: card.number,
        member_id: card.member_id,
        tier: card.tier,
        state: card.state,
        valid_from: card.valid_from,
        expiry: card.expiry,
        lapsed_on: card.lapsed_on,
        generation: card.generation,
        replaces: card.replaces,
        replaced_by: card.replaced_by,
        upgrade_points_carried: card.upgrade_points_carried,
        points_debt: card.points_debt,
        issued_store: card.issued_store,
        issued_on: card.issued_on,
        record_seq: card.record_seq,
        record_key_id,
    })
}

/// The member's cards, newest generation first.
pub async fn for_member(
    conn: &mut SqliteConnection,
    member_id: &str,
) -> Result<Vec<Card>, StoreError> {
    let rows: Vec<CardRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM cards WHERE member_id = ?1 ORDER BY generation DESC, created_at DESC"))
        .bind(member_id)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// Active cards whose year ended before `today` (the annual review's work list).
pub async fn due_for_review(
    conn: &mut SqliteConnection,
    today: NaiveDate,
) -> Result<Vec<Card>, StoreError> {
    let rows: Vec<CardRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cards WHERE state = 'active' AND expiry < ?1 ORDER BY number"
    ))
    .bind(day(today))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// What a newly reserved card is.
pub struct NewCard<'a> {
    pub member_id: &'a str,
    pub tier: Tier,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub generation: i64,
    pub replaces: Option<&'a str>,
    pub upgrade_points_carried: i64,
}

/// Mints the store's next card number and inserts the card as `reserved` (phase one of issuing).
pub async fn reserve(
    conn: &mut SqliteConnection,
    action: &Action,
    issuer_prefix: &str,
    store_code: &str,
    card: NewCard<'_>,
) -> Result<String, StoreError> {
    let sequence = super::counters::next(conn, "card_number").await?;
    let number = CardNumber::compose(
        issuer_prefix,
        store_code,
        u64::try_from(sequence).map_err(|_| StoreError::Corrupt("counters.card_number"))?,
    )
    .map_err(|_| {
        StoreError::Open("card number space exhausted or issuer/store code not numeric".into())
    })?;
    sqlx::query(
        "INSERT INTO cards (number, member_id, tier, state, valid_from, expiry, generation, replaces, upgrade_points_carried, issued_store, issued_on, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'reserved', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )
    .bind(number.as_str())
    .bind(card.member_id)
    .bind(card.tier.as_str())
    .bind(day(card.valid_from))
    .bind(day(card.expiry))
    .bind(card.generation)
    .bind(card.replaces)
    .bind(card.upgrade_points_carried)
    .bind(&action.store_id)
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(number.to_string())
}

pub async fn set_state(
    conn: &mut SqliteConnection,
    action: &Action,
    number: &str,
    state: CardState,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cards SET state = ?2, updated_at = ?3 WHERE number = ?1")
        .bind(number)
        .bind(state.as_str())
        .bind(action.now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks `old` as replaced by `new` (upgrade, damage, completed loss report).
pub async fn link_replacement(
    conn: &mut SqliteConnection,
    action: &Action,
    old: &str,
    new: &str,
    old_state: CardState,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cards SET state = ?3, replaced_by = ?2, updated_at = ?4 WHERE number = ?1")
        .bind(old)
        .bind(new)
        .bind(old_state.as_str())
        .bind(action.now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

/// A card's tier, state and term as renewal, downgrade, inactivation or reactivation leave it.
pub struct Term {
    pub tier: Tier,
    pub state: CardState,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub lapsed_on: Option<NaiveDate>,
}

pub async fn set_term(
    conn: &mut SqliteConnection,
    action: &Action,
    number: &str,
    term: &Term,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cards SET tier = ?2, state = ?3, valid_from = ?4, expiry = ?5, lapsed_on = ?6, updated_at = ?7 WHERE number = ?1")
        .bind(number)
        .bind(term.tier.as_str())
        .bind(term.state.as_str())
        .bind(day(term.valid_from))
        .bind(day(term.expiry))
        .bind(term.lapsed_on.map(day))
        .bind(action.now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_debt(
    conn: &mut SqliteConnection,
    number: &str,
    debt: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cards SET points_debt = ?2 WHERE number = ?1")
        .bind(number)
        .bind(debt)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records what was written to the card: its write sequence and MAC key id.
pub async fn set_record(
    conn: &mut SqliteConnection,
    number: &str,
    seq: u32,
    key_id: u8,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cards SET record_seq = ?2, record_key_id = ?3 WHERE number = ?1")
        .bind(number)
        .bind(i64::from(seq))
        .bind(i64::from(key_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Voids `number` if it is still a reservation; false if it was activated or voided
/// meanwhile (the end of an issue, its drop guard and the sweep may race).
pub async fn void_reservation(
    conn: &mut SqliteConnection,
    action: &Action,
    number: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE cards SET state = 'void', updated_at = ?2 WHERE number = ?1 AND state = 'reserved'",
    )
    .bind(number)
    .bind(action.now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Numbers still `reserved` that were reserved before `before`: issues a crash interrupted.
pub async fn reserved_before(
    conn: &mut SqliteConnection,
    before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT number FROM cards WHERE state = 'reserved' AND created_at < ?1 ORDER BY number",
    )
    .bind(before.to_rfc3339())
    .fetch_all(conn)
    .await?)
}

/// How many reservations the sweep has voided (issues a killed kiosk left), for the health
/// check.
pub async fn stale_reservations_voided(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(STALE_VOIDED).fetch_one(conn).await?)
}

/// Counted from the void cards (few: issues a crash or a dropped request interrupted) through
/// their events, not by reading every card event: the health check runs it on every probe.
const STALE_VOIDED: &str = "SELECT COUNT(*) FROM cards c JOIN card_events e ON e.card_number = c.number
     WHERE c.state = 'void' AND e.kind = 'voided' AND json_extract(e.detail, '$.reason') = 'stale_reservation'";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    #[tokio::test]
    async fn the_health_checks_count_of_swept_reservations_reads_no_whole_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("kiosk.db"), 1).await.expect("db");
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {STALE_VOIDED}"))
                .fetch_all(&db.reader)
                .await
                .expect("plan");
        let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(
            steps.iter().all(|s| s.starts_with("SEARCH")),
            "every step an index search: {steps:?}"
        );
    }
}
