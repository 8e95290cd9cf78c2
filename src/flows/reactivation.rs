//! Reactivation of an inactive VIP card at the lounge (R-EXP-2): same-day cash receipts of
//! at least the policy minimum, within a month of lapsing.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::enrolment::presented_receipts;
use super::issuing::reloaded_view;
use super::lookup::{load_card, parse_card_number, CardView};
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::enrolment::same_day_cash_spend;
use crate::domain::review::check_reactivation;
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind, cards::Term};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactivationRequest {
    /// Today's receipts presented with the card and ID.
    pub receipts: Vec<String>,
}

pub async fn reactivate(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
    req: ReactivationRequest,
) -> Result<CardView, FlowError> {
    let number = parse_card_number(raw_number)?;
    let policy = k.policy(action.today);
    let mut tx = k.db.writer.begin().await?;
    let (card, member) = load_card(&mut tx, &k.sealer, &number).await?;
    let (sale_ids, receipts) = presented_receipts(&mut tx, &action.store_id, &req.receipts).await?;
    let spend =
        same_day_cash_spend(&receipts, action.today).map_err(|v| crate::domain::RuleViolation {
            rule: "R-EXP-2",
            ..v
        })?;
    let (valid_from, expiry) = check_reactivation(&policy, &card.facts(), spend, action.today)?;
    store::cards::set_term(
        &mut tx,
        action,
        &card.number,
        &Term {
            tier: card.tier,
            state: CardState::Active,
            valid_from,
            expiry,
            lapsed_on: None,
        },
    )
    .await?;
    store::receipts::claim(
        &mut tx,
        &sale_ids,
        "reactivation",
        &card.number,
        action.today,
    )
    .await?;
    store::card_events::record(
        &mut tx,
        action,
        &card.number,
        CardEventKind::Reactivated,
        &json!({ "spend": spend, "valid_from": valid_from, "expiry": expiry }),
    )
    .await?;
    let view = reloaded_view(&mut tx, &card.number, &member, action.today).await?;
    tx.commit().await?;
    Ok(view)
}
