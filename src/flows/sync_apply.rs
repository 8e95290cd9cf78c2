//! Applying a page of head office's change feed: members, cards (merged by precedence),
//! other stores' points entries, policy versions and debts, and the new cursor — all in one
//! SQLite transaction, so a crash re-applies nothing and skips nothing (docs/sync.md §5).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::FlowError;
use crate::domain::card_status::CardState;
use crate::domain::policy::Policy;
use crate::kiosk::Kiosk;
use crate::store::{self, replica, sync_state};
use crate::sync::protocol::{Change, ChangeBody, ChangesAnswer};

/// What a page changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub members: usize,
    pub cards: usize,
    /// Cards now blocked or replaced here because of this page (the hotlist).
    pub hotlisted: usize,
    pub points: usize,
    pub policies: usize,
    pub debts: usize,
    pub duplicates: usize,
    /// Changes that could not be applied and raised an alarm instead.
    pub alarms: usize,
}

/// The order a page is applied in: members before the cards that need them, a card leaving
/// the live states before another card of the member becomes live (one live card per
/// member), then what refers to cards. Within each group the feed's order stands.
fn rank(change: &Change) -> u8 {
    match &change.body {
        ChangeBody::Member { .. } => 0,
        ChangeBody::Card { card, .. }
            if !matches!(card.state, CardState::Active | CardState::Inactive) =>
        {
            1
        }
        ChangeBody::Card { .. } => 2,
        ChangeBody::Policy { .. } => 3,
        ChangeBody::Points { .. } | ChangeBody::Debt { .. } => 4,
    }
}

/// Applies `page` (asked after `after`) and stores its `next` cursor in one transaction.
/// A page whose `after` is no longer the stored cursor (applied already by another run) is
/// not applied again.
pub async fn apply_page(k: &Kiosk, after: i64, page: &ChangesAnswer) -> Result<Applied, FlowError> {
    let now = k.clock.now();
    let mut tx = k.db.writer.begin().await?;
    let stored = sync_state::load(&mut tx).await?;
    if stored.pull_cursor != after {
        return Ok(Applied::default());
    }
    let (applied, policies) = apply_changes(&mut tx, &k.config.store_id, page, now).await?;
    sync_state::advance_cursor(&mut tx, page.next.max(after), now).await?;
    tx.commit().await?;
    // Only once durable: the policy versions join those in force.
    for policy in policies {
        k.remember_policy(policy);
    }
    Ok(applied)
}

/// The page's changes, in the caller's transaction. Returns the policy versions newly stored.
pub async fn apply_changes(
    conn: &mut SqliteConnection,
    own_store: &str,
    page: &ChangesAnswer,
    now: DateTime<Utc>,
) -> Result<(Applied, Vec<Policy>), FlowError> {
    let mut ordered: Vec<&Change> = page.changes.iter().collect();
    ordered.sort_by_key(|c| rank(c));
    let mut applied = Applied::default();
    let mut policies = Vec::new();
    for change in ordered {
        match &change.body {
            ChangeBody::Member { member } => {
                applied.duplicates += replica::upsert_member(conn, member, now).await?;
                applied.members += 1;
            }
            ChangeBody::Card { card, withdrawal } => {
                let before: Option<String> =
                    sqlx::query_scalar("SELECT state FROM cards WHERE number = ?1")
                        .bind(&card.number)
                        .fetch_optional(&mut *conn)
                        .await?;
                let state = replica::merge_card(conn, card, *withdrawal, now).await?;
                let hot = matches!(state, CardState::Blocked | CardState::Replaced);
                if hot && before.as_deref() != Some(state.as_str()) {
                    applied.hotlisted += 1;
                }
                applied.cards += 1;
            }
            ChangeBody::Points {
                store_id,
                ledger_seq,
                card_number,
                kind,
                points,
                business_day,
            } => {
                // Our own entries are in our ledger already (head office leaves them out;
                // this is the belt to that brace).
                if store_id == own_store {
                    continue;
                }
                if replica::insert_foreign_points(
                    conn,
                    store_id,
                    *ledger_seq,
                    card_number,
                    *kind,
                    *points,
                    *business_day,
                    now,
                )
                .await?
                {
                    applied.points += 1;
                }
            }
            ChangeBody::Policy {
                version,
                effective_from,
                body,
            } => match serde_json::from_value::<Policy>(body.clone()) {
                Ok(policy)
                    if i64::from(policy.version) == *version
                        && policy.effective_from == *effective_from =>
                {
                    if store::policy::insert_if_new(conn, &policy, now).await? {
                        policies.push(policy);
                        applied.policies += 1;
                    }
                }
                // A policy this build can't read (a newer format): the rest of the feed
                // still applies (the hotlist must), and a person is told.
                _ => {
                    tracing::error!(
                        version,
                        "head office sent a policy this kiosk cannot read; alarm raised"
                    );
                    replica::alarm(
                        conn,
                        "policy_unreadable",
                        serde_json::json!({ "change": change.id, "version": version }),
                        now,
                    )
                    .await?;
                    applied.alarms += 1;
                }
            },
            ChangeBody::Debt {
                card_number,
                points,
            } => {
                if replica::flag_debt(conn, card_number, *points, now).await? {
                    applied.debts += 1;
                } else {
                    replica::alarm(
                        conn,
                        "debt_unknown_card",
                        serde_json::json!({ "change": change.id, "card": card_number, "points": points }),
                        now,
                    )
                    .await?;
                    applied.alarms += 1;
                }
            }
        }
    }
    Ok((applied, policies))
}
