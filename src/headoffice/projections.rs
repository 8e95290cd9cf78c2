//! Projections of the chain's event log, updated in the push's transaction from the events
//! that push newly inserted, and only from them (so each event counts exactly once). Every
//! step is set-based — one multi-row statement per table per push, rows sorted by key so two
//! head-office processes lock rows in the same order — and returns the feed changes it made.
//!
//! - members: as sent (sealed), the newest snapshot wins; blind-index lookup columns.
//! - cards: state by `state_precedence` (no merge returns a card to active; the one exception
//!   is a loss-report withdrawal by the store that took the report), other fields from the
//!   newest snapshot. The merge runs in SQL against the committed row ([`merge`] is the same
//!   rule in Rust, for folding one push's events per card).
//! - ledger and balances: a balance is the sum of every store's entries.
//! - debts: a balance driven below zero (an offline overdraft) is flagged.
//! - card_spend: what each sale with a card was paid (all tenders), and what was refunded of
//!   it (R-EXP-3, counted as the store's own review counts it).
//! - holds: a sale's own events release its redemption hold.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::error::HqError;
use crate::domain::card_status::CardState;
use crate::domain::events::{state_precedence, CardCause, CardSnapshot, Event, MemberSnapshot};
use crate::sync::protocol::ChangeBody;

/// One card's row as a merge sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    pub snapshot: CardSnapshot,
    pub state: CardState,
    pub at: DateTime<Utc>,
    pub loss_store: Option<String>,
    pub origin: String,
    /// This row comes from an explicit loss-report withdrawal.
    pub withdrawal: bool,
}

/// The card merge: `new` over `old`. The same rule as the SQL of the cards projection below.
pub fn merge(old: CardRow, new: CardRow) -> CardRow {
    let withdraw = new.withdrawal
        && old.state == CardState::Blocked
        && old.loss_store.as_deref() == Some(new.origin.as_str());
    let (po, pn) = (state_precedence(old.state), state_precedence(new.state));
    let state_from_new = withdraw || pn > po || (pn == po && new.at >= old.at);
    let newer = new.at >= old.at;
    CardRow {
        state: if state_from_new { new.state } else { old.state },
        loss_store: if withdraw {
            None
        } else {
            old.loss_store.or(new.loss_store)
        },
        withdrawal: withdraw || (new.withdrawal && state_from_new),
        at: old.at.max(new.at),
        snapshot: if newer { new.snapshot } else { old.snapshot },
        origin: new.origin,
    }
}

/// Projects newly inserted events of one store (in seq order); returns the feed changes in
/// the order they go into the feed (members before their cards).
pub async fn project(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
) -> Result<Vec<ChangeBody>, HqError> {
    let mut changes = Vec::new();
    let t0 = Instant::now();
    members(tx, store_id, events, &mut changes).await?;
    let t1 = Instant::now();
    cards(tx, store_id, events, &mut changes).await?;
    let t2 = Instant::now();
    ledger(tx, store_id, events, &mut changes).await?;
    let t3 = Instant::now();
    spend(tx, store_id, events).await?;
    let t4 = Instant::now();
    release_holds(tx, store_id, events).await?;
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    tracing::debug!(
        store = store_id,
        members_ms = ms(t0, t1),
        cards_ms = ms(t1, t2),
        ledger_ms = ms(t2, t3),
        spend_ms = ms(t3, t4),
        holds_ms = ms(t4, Instant::now()),
        "projected"
    );
    Ok(changes)
}

async fn members(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
    changes: &mut Vec<ChangeBody>,
) -> Result<(), HqError> {
    // The last snapshot of each member in this push (seq order = the store's order).
    let mut latest: BTreeMap<&str, (&MemberSnapshot, DateTime<Utc>)> = BTreeMap::new();
    for (_, event) in events {
        if let Event::MemberEnrolled(m) | Event::MemberChanged(m) = event {
            latest.insert(m.member.id.as_str(), (&m.member, m.at));
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    let n = latest.len();
    let (mut ids, mut homes, mut kinds, mut lookups, mut phones, mut bodies, mut ats) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (id, (m, at)) in &latest {
        ids.push(*id);
        homes.push(m.home_store.as_str());
        kinds.push(m.id_document.kind.as_str());
        lookups.push(m.id_lookup.as_deref());
        phones.push(m.phone_lookup.as_deref());
        bodies.push(serde_json::to_string(m).map_err(|e| HqError::Internal(e.to_string()))?);
        ats.push(*at);
    }
    let updated: Vec<String> = sqlx::query_scalar(
        "INSERT INTO members AS m (member_id, home_store, id_kind, id_lookup, phone_lookup, snapshot, at, origin)
         SELECT i, h, k, l, p, s::jsonb, a, $8
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
              AS t(i, h, k, l, p, s, a)
         ON CONFLICT (member_id) DO UPDATE SET home_store = excluded.home_store,
             id_kind = excluded.id_kind, id_lookup = excluded.id_lookup,
             phone_lookup = excluded.phone_lookup, snapshot = excluded.snapshot,
             at = excluded.at, origin = excluded.origin, updated_at = now()
         WHERE excluded.at >= m.at
         RETURNING member_id",
    )
    .bind(&ids)
    .bind(&homes)
    .bind(&kinds)
    .bind(&lookups)
    .bind(&phones)
    .bind(&bodies)
    .bind(&ats)
    .bind(store_id)
    .fetch_all(&mut *tx)
    .await?;
    for id in updated {
        if let Some((member, _)) = latest.get(id.as_str()) {
            changes.push(ChangeBody::Member {
                member: (*member).clone(),
            });
        }
    }
    Ok(())
}

async fn cards(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
    changes: &mut Vec<ChangeBody>,
) -> Result<(), HqError> {
    let mut folded: BTreeMap<String, CardRow> = BTreeMap::new();
    for (_, event) in events {
        let Event::Card(cause, c) = event else {
            continue;
        };
        let row = CardRow {
            snapshot: c.card.clone(),
            state: c.card.state,
            at: c.at,
            loss_store: (*cause == CardCause::LossReported).then(|| store_id.to_owned()),
            origin: store_id.to_owned(),
            withdrawal: *cause == CardCause::LossReportWithdrawn,
        };
        let merged = match folded.remove(&c.card.number) {
            Some(old) => merge(old, row),
            None => row,
        };
        folded.insert(c.card.number.clone(), merged);
    }
    if folded.is_empty() {
        return Ok(());
    }
    let n = folded.len();
    let mut numbers = Vec::with_capacity(n);
    let mut member_ids = Vec::with_capacity(n);
    let mut states = Vec::with_capacity(n);
    let mut precedences = Vec::with_capacity(n);
    let mut snapshots = Vec::with_capacity(n);
    let mut ats = Vec::with_capacity(n);
    let mut loss_stores = Vec::with_capacity(n);
    let mut withdrawals = Vec::with_capacity(n);
    for (number, row) in &folded {
        numbers.push(number.as_str());
        member_ids.push(row.snapshot.member_id.as_str());
        states.push(row.state.as_str());
        precedences.push(i16::from(state_precedence(row.state)));
        snapshots.push(
            serde_json::to_string(&row.snapshot).map_err(|e| HqError::Internal(e.to_string()))?,
        );
        ats.push(row.at);
        loss_stores.push(row.loss_store.as_deref());
        withdrawals.push(row.withdrawal);
    }
    // W: a withdrawal by the store that blocked the card; F: the state comes from the new row.
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "INSERT INTO cards AS c (card_number, member_id, state, precedence, snapshot, at, loss_store, origin, withdrawal)
         SELECT n, m, s, p, j::jsonb, a, l, $9, w
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int2[], $5::text[], $6::timestamptz[], $7::text[], $8::bool[])
              AS t(n, m, s, p, j, a, l, w)
         ON CONFLICT (card_number) DO UPDATE SET
             state = CASE WHEN (excluded.withdrawal AND c.state = 'blocked' AND c.loss_store = excluded.origin)
                            OR excluded.precedence > c.precedence
                            OR (excluded.precedence = c.precedence AND excluded.at >= c.at
                                AND NOT (c.review_expiry IS NOT NULL AND (excluded.snapshot->>'expiry')::date <= c.review_expiry))
                          THEN excluded.state ELSE c.state END,
             precedence = CASE WHEN (excluded.withdrawal AND c.state = 'blocked' AND c.loss_store = excluded.origin)
                            OR excluded.precedence > c.precedence
                            OR (excluded.precedence = c.precedence AND excluded.at >= c.at
                                AND NOT (c.review_expiry IS NOT NULL AND (excluded.snapshot->>'expiry')::date <= c.review_expiry))
                          THEN excluded.precedence ELSE c.precedence END,
             withdrawal = (excluded.withdrawal AND c.state = 'blocked' AND c.loss_store = excluded.origin)
                          OR (excluded.withdrawal AND (excluded.precedence > c.precedence
                              OR (excluded.precedence = c.precedence AND excluded.at >= c.at))),
             loss_store = CASE WHEN excluded.withdrawal AND c.state = 'blocked' AND c.loss_store = excluded.origin
                          THEN NULL ELSE COALESCE(c.loss_store, excluded.loss_store) END,
             -- Head office's review wins: a store's snapshot for a term up to the one the review
             -- set keeps the review's tier and term (the rest, e.g. a rewrite, is taken).
             snapshot = CASE WHEN excluded.at < c.at THEN c.snapshot
                             WHEN c.review_expiry IS NOT NULL AND (excluded.snapshot->>'expiry')::date <= c.review_expiry
                             THEN excluded.snapshot || jsonb_build_object('tier', c.snapshot->'tier',
                                  'valid_from', c.snapshot->'valid_from', 'expiry', c.snapshot->'expiry',
                                  'lapsed_on', c.snapshot->'lapsed_on')
                             ELSE excluded.snapshot END,
             member_id = CASE WHEN excluded.at >= c.at THEN excluded.member_id ELSE c.member_id END,
             at = GREATEST(c.at, excluded.at),
             origin = excluded.origin,
             updated_at = now()
         RETURNING card_number, state, snapshot::text, withdrawal",
    )
    .bind(&numbers)
    .bind(&member_ids)
    .bind(&states)
    .bind(&precedences)
    .bind(&snapshots)
    .bind(&ats)
    .bind(&loss_stores)
    .bind(&withdrawals)
    .bind(store_id)
    .fetch_all(&mut *tx)
    .await?;
    for (_, state, snapshot, withdrawal) in rows {
        changes.push(card_change(&state, &snapshot, withdrawal)?);
    }
    Ok(())
}

/// A card's feed entry from its merged row: the newest snapshot with the merged state.
pub fn card_change(state: &str, snapshot: &str, withdrawal: bool) -> Result<ChangeBody, HqError> {
    let mut card: CardSnapshot =
        serde_json::from_str(snapshot).map_err(|e| HqError::Internal(e.to_string()))?;
    card.state = CardState::parse(state)
        .ok_or_else(|| HqError::Internal(format!("card state {state} unknown")))?;
    Ok(ChangeBody::Card { card, withdrawal })
}

async fn ledger(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
    changes: &mut Vec<ChangeBody>,
) -> Result<(), HqError> {
    let entries: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::LedgerEntry(l) => Some(l),
            _ => None,
        })
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let n = entries.len();
    let mut seqs = Vec::with_capacity(n);
    let mut cards = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    let mut days = Vec::with_capacity(n);
    let mut receipts = Vec::with_capacity(n);
    let mut deltas: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &entries {
        seqs.push(l.ledger_seq);
        cards.push(l.card_number.as_str());
        kinds.push(l.kind.as_str());
        points.push(l.points);
        days.push(l.business_day);
        receipts.push(l.receipt_no.as_deref());
        *deltas.entry(l.card_number.as_str()).or_default() += l.points;
        changes.push(ChangeBody::Points {
            store_id: store_id.to_owned(),
            ledger_seq: l.ledger_seq,
            card_number: l.card_number.clone(),
            kind: l.kind,
            points: l.points,
            business_day: l.business_day,
        });
    }
    // The balance update sums what the ledger insert actually took, grouped per card and
    // sorted so concurrent pushes lock balance rows in one order.
    let balances: Vec<(String, i64)> = sqlx::query_as(
        "WITH ins AS (
             INSERT INTO ledger (store_id, ledger_seq, card_number, kind, points, business_day, receipt_no)
             SELECT $1, s, c, k, p, d, r
             FROM UNNEST($2::int8[], $3::text[], $4::text[], $5::int8[], $6::date[], $7::text[]) AS t(s, c, k, p, d, r)
             ON CONFLICT (store_id, ledger_seq) DO NOTHING
             RETURNING card_number, points)
         INSERT INTO balances AS b (card_number, points)
         SELECT card_number, SUM(points)::bigint FROM ins GROUP BY card_number ORDER BY card_number
         ON CONFLICT (card_number) DO UPDATE SET points = b.points + excluded.points
         RETURNING card_number, points",
    )
    .bind(store_id)
    .bind(&seqs)
    .bind(&cards)
    .bind(&kinds)
    .bind(&points)
    .bind(&days)
    .bind(&receipts)
    .fetch_all(&mut *tx)
    .await?;
    // An overdraft: this push took the chain balance below zero (below where it was).
    let mut debt_cards = Vec::new();
    let mut debt_points = Vec::new();
    let mut debt_after = Vec::new();
    for (card, after) in balances {
        let delta = deltas.get(card.as_str()).copied().unwrap_or(0);
        let before = after - delta;
        let overdraft = (-after).saturating_sub((-before).max(0));
        if after < 0 && overdraft > 0 {
            changes.push(ChangeBody::Debt {
                card_number: card.clone(),
                points: overdraft,
            });
            debt_cards.push(card);
            debt_points.push(overdraft);
            debt_after.push(after);
        }
    }
    if !debt_cards.is_empty() {
        tracing::warn!(
            store = store_id,
            cards = debt_cards.len(),
            "offline overdraft flagged as debt"
        );
        sqlx::query(
            "INSERT INTO debts (card_number, store_id, points, balance_after)
             SELECT c, $1, p, a FROM UNNEST($2::text[], $3::int8[], $4::int8[]) AS t(c, p, a)",
        )
        .bind(store_id)
        .bind(&debt_cards)
        .bind(&debt_points)
        .bind(&debt_after)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn spend(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
) -> Result<(), HqError> {
    // Sales with a card: one row per receipt. Refunds: summed per receipt first (one
    // statement may touch a row only once).
    let mut sales: BTreeMap<&str, (&str, NaiveDate, Decimal)> = BTreeMap::new();
    let mut refunds: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (_, event) in events {
        match event {
            Event::SaleCommitted(s) => {
                if let Some(card) = s.card_number.as_deref() {
                    sales.insert(s.receipt_no.as_str(), (card, s.business_day, s.payable.0));
                }
            }
            Event::RefundBooked(r) if r.card_number.is_some() => {
                *refunds.entry(r.receipt_no.as_str()).or_default() += r.amount.0;
            }
            _ => {}
        }
    }
    if !sales.is_empty() {
        let (mut receipts, mut cards, mut days, mut paid) = (vec![], vec![], vec![], vec![]);
        for (receipt, (card, day, amount)) in &sales {
            receipts.push(*receipt);
            cards.push(*card);
            days.push(*day);
            paid.push(amount.round_dp(2));
        }
        sqlx::query(
            "INSERT INTO card_spend AS s (store_id, receipt_no, card_number, business_day, paid, has_sale)
             SELECT $1, r, c, d, m, TRUE FROM UNNEST($2::text[], $3::text[], $4::date[], $5::numeric[]) AS t(r, c, d, m)
             ON CONFLICT (store_id, receipt_no) DO UPDATE SET card_number = excluded.card_number,
                 business_day = excluded.business_day, paid = excluded.paid, has_sale = TRUE",
        )
        .bind(store_id)
        .bind(&receipts)
        .bind(&cards)
        .bind(&days)
        .bind(&paid)
        .execute(&mut *tx)
        .await?;
    }
    if !refunds.is_empty() {
        let receipts: Vec<&str> = refunds.keys().copied().collect();
        let refunded: Vec<Decimal> = refunds.values().map(|d| d.round_dp(2)).collect();
        sqlx::query(
            "INSERT INTO card_spend AS s (store_id, receipt_no, refunded)
             SELECT $1, r, m FROM UNNEST($2::text[], $3::numeric[]) AS t(r, m)
             ON CONFLICT (store_id, receipt_no) DO UPDATE SET refunded = s.refunded + excluded.refunded",
        )
        .bind(store_id)
        .bind(&receipts)
        .bind(&refunded)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn release_holds(
    tx: &mut PgConnection,
    store_id: &str,
    events: &[(i64, &Event)],
) -> Result<(), HqError> {
    let mut receipts: Vec<&str> = events
        .iter()
        .filter_map(|(_, e)| match e {
            // Only what can close a redemption: earning-only sales never held anything.
            Event::SaleCommitted(s) if s.redeem_points > 0 => Some(s.receipt_no.as_str()),
            Event::LedgerEntry(l) if l.points < 0 => l.receipt_no.as_deref(),
            _ => None,
        })
        .collect();
    if receipts.is_empty() {
        return Ok(());
    }
    receipts.sort_unstable();
    receipts.dedup();
    sqlx::query(
        "UPDATE holds SET released_at = now()
         WHERE store_id = $1 AND receipt_no = ANY($2) AND released_at IS NULL",
    )
    .bind(store_id)
    .bind(&receipts)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
