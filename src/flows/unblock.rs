//! Withdrawing a loss report made by mistake (R-REP-6's same-day exception): on the day of
//! the report and with a supervisor's PIN, the card goes back to the state it had and every
//! store is told to take it off the hotlist.

use serde_json::json;

use super::issuing::masked;
use super::issuing::reloaded_view;
use super::lookup::{parse_card_number, CardView};
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::replacement::check_unblock;
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind, StoreError};

/// Unblocks the card reported lost today; `approved_by` is the supervisor who entered their PIN.
pub async fn withdraw_loss_report(
    k: &Kiosk,
    action: &Action,
    approved_by: &str,
    raw_number: &str,
) -> Result<CardView, FlowError> {
    let number = parse_card_number(raw_number)?;
    let mut tx = k.db.writer.begin().await?;
    let card = store::cards::find(&mut tx, number.as_str())
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    let report = store::loss_reports::open_for(&mut tx, &card.number).await?;
    check_unblock(
        card.state,
        report.as_ref().map(|r| r.reported_on),
        action.today,
    )?;
    let report = report.ok_or(StoreError::Corrupt("loss_reports"))?;
    // Reports from before the state was recorded: a lapsed card was inactive.
    let back_to = match store::loss_reports::state_before(&mut tx, report.id).await? {
        Some(state) => state,
        None if card.lapsed_on.is_some() => CardState::Inactive,
        None => CardState::Active,
    };
    store::loss_reports::withdraw(&mut tx, report.id, action.today).await?;
    store::cards::set_state(&mut tx, action, &card.number, back_to).await?;
    store::card_events::record(
        &mut tx,
        action,
        &card.number,
        CardEventKind::LossReportWithdrawn,
        &json!({ "report_id": report.id, "state": back_to.as_str(), "approved_by": approved_by }),
    )
    .await?;
    let sealer = k.sealer.clone();
    let member = store::members::find(&mut tx, &sealer, &card.member_id)
        .await?
        .ok_or(StoreError::Corrupt("cards.member_id"))?;
    let view = reloaded_view(&mut tx, &card.number, &member, action.today).await?;
    tx.commit().await?;
    tracing::info!(card = %masked(&card.number), staff = %action.staff_id, supervisor = %approved_by, "loss report withdrawn, card unblocked");
    Ok(view)
}
