//! Rows that came from head office's change feed: members and cards of other stores, their
//! points entries, debts, and members enrolled twice (flagged, never merged). The caller
//! applies a whole page and the new cursor in one transaction (`flows::sync_apply`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::SqliteConnection;

use super::{day, StoreError};
use crate::domain::card_status::CardState;
use crate::domain::events::{CardSnapshot, MemberSnapshot};
use crate::domain::ledger::EntryKind;
use crate::sync::plan::merged_state;

/// Stores head office's copy of a member as it is (personal data stays sealed), and flags
/// another member with the same ID document as a duplicate. Returns the duplicates found.
pub async fn upsert_member(
    conn: &mut SqliteConnection,
    m: &MemberSnapshot,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let birth = NaiveDate::parse_from_str(&m.birth_date, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt("pulled member birth_date"))?;
    sqlx::query(
        "INSERT INTO members (id, name, sex, birth_date, birth_md, phone, id_kind, id_number, address, email, preferences, home_store, created_at, updated_at, id_lookup, phone_lookup)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
             address = excluded.address, email = excluded.email, preferences = excluded.preferences,
             phone_lookup = excluded.phone_lookup, updated_at = excluded.updated_at",
    )
    .bind(&m.id)
    .bind(&m.name)
    .bind(&m.sex)
    .bind(day(birth))
    .bind(format!("{:02}-{:02}", birth.month(), birth.day()))
    .bind(&m.phone)
    .bind(&m.id_document.kind)
    .bind(&m.id_document.number)
    .bind(&m.address)
    .bind(&m.email)
    .bind(&m.preferences)
    .bind(&m.home_store)
    .bind(now.to_rfc3339())
    .bind(&m.id_lookup)
    .bind(&m.phone_lookup)
    .execute(&mut *conn)
    .await?;
    let Some(lookup) = &m.id_lookup else {
        return Ok(0);
    };
    let others: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM members WHERE id_kind = ?1 AND id_lookup = ?2 AND id <> ?3 ORDER BY id",
    )
    .bind(&m.id_document.kind)
    .bind(lookup)
    .bind(&m.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut flagged = 0;
    for (other,) in others {
        let (a, b) = if other < m.id {
            (other, m.id.clone())
        } else {
            (m.id.clone(), other)
        };
        let done = sqlx::query(
            "INSERT INTO duplicate_members (id_kind, id_lookup, member_a, member_b, card_a, card_b, found_at)
             VALUES (?1, ?2, ?3, ?4,
                 (SELECT number FROM cards WHERE member_id = ?3 AND state IN ('active', 'inactive', 'blocked')),
                 (SELECT number FROM cards WHERE member_id = ?4 AND state IN ('active', 'inactive', 'blocked')),
                 ?5)
             ON CONFLICT (member_a, member_b) DO NOTHING",
        )
        .bind(&m.id_document.kind)
        .bind(lookup)
        .bind(&a)
        .bind(&b)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            tracing::warn!(member_a = %a, member_b = %b, "member enrolled twice in the chain: flagged for the lounge");
            flagged += 1;
        }
    }
    Ok(flagged)
}

/// Whether a card number is on file.
async fn card_exists(conn: &mut SqliteConnection, number: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cards WHERE number = ?1")
            .bind(number)
            .fetch_one(conn)
            .await?
            > 0,
    )
}

/// Merges head office's copy of a card into ours: state by precedence (never back to active
/// except an explicit withdrawal), head office's tier and term (it wins on merge: the annual
/// review), the highest record seq. A local card's own debt is kept (debts arrive as their own
/// changes). Returns the state now on file.
pub async fn merge_card(
    conn: &mut SqliteConnection,
    c: &CardSnapshot,
    withdrawal: bool,
    now: DateTime<Utc>,
) -> Result<CardState, StoreError> {
    // A replacement chain may arrive in either order: a link to a card not on file yet is
    // left empty here and filled when that card arrives (below).
    let replaces = match &c.replaces {
        Some(n) if card_exists(conn, n).await? => Some(n.clone()),
        _ => None,
    };
    let replaced_by = match &c.replaced_by {
        Some(n) if card_exists(conn, n).await? => Some(n.clone()),
        _ => None,
    };
    let local: Option<(String, i64)> =
        sqlx::query_as("SELECT state, record_seq FROM cards WHERE number = ?1")
            .bind(&c.number)
            .fetch_optional(&mut *conn)
            .await?;
    let state = match &local {
        None => c.state,
        Some((s, _)) => merged_state(
            CardState::parse(s).ok_or(StoreError::Corrupt("cards.state"))?,
            c.state,
            withdrawal,
        ),
    };
    let lapsed = c.lapsed_on.map(day);
    match local {
        None => {
            sqlx::query(
                "INSERT INTO cards (number, member_id, tier, state, valid_from, expiry, lapsed_on, generation, replaces, replaced_by, upgrade_points_carried, points_debt, issued_store, issued_on, created_at, updated_at, record_seq, record_key_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17)",
            )
            .bind(&c.number)
            .bind(&c.member_id)
            .bind(c.tier.as_str())
            .bind(state.as_str())
            .bind(day(c.valid_from))
            .bind(day(c.expiry))
            .bind(&lapsed)
            .bind(c.generation)
            .bind(&replaces)
            .bind(&replaced_by)
            .bind(c.upgrade_points_carried)
            .bind(c.points_debt.max(0))
            .bind(&c.issued_store)
            .bind(day(c.issued_on))
            .bind(now.to_rfc3339())
            .bind(c.record_seq)
            .bind(c.record_key_id)
            .execute(&mut *conn)
            .await?;
        }
        Some((_, local_seq)) => {
            let newer_record = c.record_seq >= local_seq;
            sqlx::query(
                "UPDATE cards SET tier = ?2, state = ?3, valid_from = ?4, expiry = ?5, lapsed_on = ?6,
                     generation = ?7, replaces = COALESCE(?8, replaces), replaced_by = COALESCE(?9, replaced_by),
                     upgrade_points_carried = ?10, updated_at = ?11,
                     record_seq = MAX(record_seq, ?12),
                     record_key_id = CASE WHEN ?13 THEN ?14 ELSE record_key_id END
                 WHERE number = ?1",
            )
            .bind(&c.number)
            .bind(c.tier.as_str())
            .bind(state.as_str())
            .bind(day(c.valid_from))
            .bind(day(c.expiry))
            .bind(&lapsed)
            .bind(c.generation)
            .bind(&replaces)
            .bind(&replaced_by)
            .bind(c.upgrade_points_carried)
            .bind(now.to_rfc3339())
            .bind(c.record_seq)
            .bind(newer_record)
            .bind(c.record_key_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    // The other half of a replacement link that arrived first.
    if let Some(old) = &c.replaces {
        sqlx::query(
            "UPDATE cards SET replaced_by = ?2 WHERE number = ?1 AND replaced_by IS NULL AND state = 'replaced'",
        )
        .bind(old)
        .bind(&c.number)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE cards SET replaces = ?1 WHERE replaces IS NULL AND number = (SELECT replaced_by FROM cards WHERE number = ?1)")
        .bind(&c.number)
        .execute(&mut *conn)
        .await?;
    // A duplicate member flagged before this card arrived gets its card now.
    sqlx::query("UPDATE duplicate_members SET card_a = ?1 WHERE member_a = ?2 AND card_a IS NULL")
        .bind(&c.number)
        .bind(&c.member_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE duplicate_members SET card_b = ?1 WHERE member_b = ?2 AND card_b IS NULL")
        .bind(&c.number)
        .bind(&c.member_id)
        .execute(&mut *conn)
        .await?;
    Ok(state)
}

/// A points entry of another store, keyed by its origin (store, ledger seq): applied once.
/// No outbox row: head office has it already. Returns whether it was new.
#[allow(clippy::too_many_arguments)]
pub async fn insert_foreign_points(
    conn: &mut SqliteConnection,
    store_id: &str,
    ledger_seq: i64,
    card_number: &str,
    kind: EntryKind,
    points: i64,
    business_day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO points_ledger (store_id, card_number, kind, points, business_day, staff_id, created_at, origin_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, 'head-office', ?6, ?7)
         ON CONFLICT (store_id, origin_seq) WHERE origin_seq IS NOT NULL DO NOTHING",
    )
    .bind(store_id)
    .bind(card_number)
    .bind(kind.as_str())
    .bind(points)
    .bind(day(business_day))
    .bind(now.to_rfc3339())
    .bind(ledger_seq)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Offline overdraft flagged at head office. The card's balance here is already the sum of
/// every store's entries, so the overdraft is that balance below zero and later earnings
/// repay it through the ledger; adding it to `points_debt` as well would count it twice.
/// It is kept as a flag for the back office. False: the card is not on file.
pub async fn flag_debt(
    conn: &mut SqliteConnection,
    card_number: &str,
    points: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE number = ?1")
        .bind(card_number)
        .fetch_one(&mut *conn)
        .await?;
    if known == 0 {
        return Ok(false);
    }
    alarm(
        conn,
        "overdraft_debt",
        serde_json::json!({ "card": card_number, "points": points }),
        now,
    )
    .await?;
    Ok(true)
}

/// Records an alarm that needs a person (a change the store could not apply).
pub async fn alarm(
    conn: &mut SqliteConnection,
    kind: &str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sync_alarms (kind, detail, raised_at) VALUES (?1, ?2, ?3)")
        .bind(kind)
        .bind(detail.to_string())
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

/// Open duplicate-member flags for the lounge: (member_a, member_b, card_a, card_b, found_at).
pub async fn open_duplicates(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, String, Option<String>, Option<String>, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT member_a, member_b, card_a, card_b, found_at FROM duplicate_members WHERE resolved_at IS NULL ORDER BY id",
    )
    .fetch_all(conn)
    .await?)
}
