//! Upgrade at the lounge (R-UPG-1..4): the old card is exchanged for a new card of the next
//! tier; the old number is invalid at once and the whole balance (and any debt) moves.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::issuing::{abandon, record_written, reserve, write_card};
use super::lookup::{load_card, parse_card_number, CardView};
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::enrolment::card_expiry;
use crate::domain::ledger::{plan_transfer, upgrade_points};
use crate::domain::upgrade::check_upgrade;
use crate::domain::Tier;
use crate::kiosk::Kiosk;
use crate::store::{self, cards::Card, ledger::Refs, members::Member};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExchangeResult {
    pub old_card_number: String,
    pub new_card: CardView,
    pub points_moved: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpgradeResult {
    pub from: Tier,
    pub to: Tier,
    /// R-UPG-1: the transaction-earned points that qualified.
    pub qualifying_points: i64,
    #[serde(flatten)]
    pub exchange: ExchangeResult,
}

pub async fn upgrade(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
) -> Result<UpgradeResult, FlowError> {
    let number = parse_card_number(raw_number)?;
    let policy = k.policy(action.today);
    let mut tx = k.db.writer.begin().await?;
    let (old, member) = load_card(&mut tx, &k.sealer, &number).await?;
    let entries = store::ledger::entries(&mut tx, &old.number).await?;
    let qualifying_points = upgrade_points(old.upgrade_points_carried, old.points_debt, &entries);
    let to = check_upgrade(&policy, &old.facts(), qualifying_points, action.today)?;
    let new = reserve(
        &mut tx,
        k,
        action,
        store::cards::NewCard {
            member_id: &member.id,
            tier: to,
            valid_from: action.today,
            expiry: card_expiry(&policy, action.today),
            generation: old.generation + 1,
            replaces: Some(&old.number),
            // R-UPG-1: the count toward the next tier starts again with the new card.
            upgrade_points_carried: 0,
        },
        "upgrade",
    )
    .await?;
    tx.commit().await?;

    let written = write_card(k, action, &new).await?;

    let mut tx = k.db.writer.begin().await?;
    record_written(&mut tx, action, &new.number, &written).await?;
    let exchanged = exchange_cards(
        &mut tx,
        action,
        &old,
        &new,
        CardState::Replaced,
        CardState::Active,
        "upgraded",
    )
    .await;
    let points_moved = match exchanged {
        Ok(points) => points,
        Err(refusal) => return Err(abandon(k, action, tx, &new.number, refusal).await),
    };
    let new_card = reloaded_view(&mut tx, &new.number, &member, action.today).await?;
    tx.commit().await?;
    Ok(UpgradeResult {
        from: old.tier,
        to,
        qualifying_points,
        exchange: ExchangeResult {
            old_card_number: old.number,
            new_card,
            points_moved,
        },
    })
}

/// Activates `new` in place of `old` (which must still be as it was read): marks the old card
/// `old_state` and linked to the new one, moves the balance and debt (R-UPG-4, R-REP-5), and
/// records both cards' events. Returns the points moved.
pub async fn exchange_cards(
    conn: &mut sqlx::SqliteConnection,
    action: &Action,
    old: &Card,
    new: &Card,
    old_state: CardState,
    new_state: CardState,
    event: &str,
) -> Result<i64, FlowError> {
    let current = store::cards::find(conn, &old.number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    if current.state != old.state || current.replaced_by.is_some() {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::CardChanged,
            "the card changed while the new card was written; start again",
            None,
            Some("card_number"),
        ));
    }
    store::cards::link_replacement(conn, action, &old.number, &new.number, old_state).await?;
    store::cards::set_state(conn, action, &new.number, new_state).await?;
    let (out, into) = plan_transfer(
        &store::ledger::entries(conn, &old.number).await?,
        action.today,
    );
    let balance = -out.points;
    store::ledger::append(
        conn,
        action,
        &old.number,
        &[out],
        Refs {
            related_card: Some(&new.number),
            ..Refs::default()
        },
    )
    .await?;
    store::ledger::append(
        conn,
        action,
        &new.number,
        &into,
        Refs {
            related_card: Some(&old.number),
            ..Refs::default()
        },
    )
    .await?;
    if old.points_debt > 0 {
        store::cards::set_debt(conn, &new.number, old.points_debt).await?;
        store::cards::set_debt(conn, &old.number, 0).await?;
    }
    let detail = json!({ "old": old.number, "new": new.number, "old_tier": old.tier, "new_tier": new.tier, "points_moved": balance, "debt_moved": old.points_debt });
    store::card_events::record(conn, action, &old.number, event, &detail).await?;
    store::card_events::record(conn, action, &new.number, "issued", &detail).await?;
    Ok(balance)
}

/// The view of a card as it now stands in the transaction.
pub async fn reloaded_view(
    conn: &mut sqlx::SqliteConnection,
    number: &str,
    member: &Member,
    today: NaiveDate,
) -> Result<CardView, FlowError> {
    let card = store::cards::find(conn, number)
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    super::lookup::view(conn, &card, member, today).await
}
