//! Upgrade at the lounge (R-UPG-1..4): the old card is exchanged for a new card of the next
//! tier; the old number is invalid at once and the whole balance (and any debt) moves.

use serde::Serialize;
use utoipa::ToSchema;

use super::issuing::{exchange_cards, issue, reloaded_view, ExchangeResult};
use super::lookup::{load_card, parse_card_number};
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::enrolment::card_expiry;
use crate::domain::ledger::upgrade_points;
use crate::domain::upgrade::check_upgrade;
use crate::domain::Tier;
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind};

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
    let new_card = store::cards::NewCard {
        member_id: &member.id,
        tier: to,
        // R-UPG-2, R-ENR-7: a new card, with its own year from the upgrade day.
        valid_from: action.today,
        expiry: card_expiry(&policy, action.today),
        generation: old.generation + 1,
        replaces: Some(&old.number),
        // R-UPG-1: the count toward the next tier starts again with the new card.
        upgrade_points_carried: 0,
    };
    let (points_moved, new_card) = issue(k, action, tx, new_card, "upgrade", async |tx, new| {
        let points = exchange_cards(
            tx,
            action,
            &old,
            new,
            CardState::Replaced,
            CardState::Active,
            CardEventKind::Upgraded,
        )
        .await?;
        let view = reloaded_view(tx, &new.number, &member, action.today).await?;
        Ok((points, view))
    })
    .await?;
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
