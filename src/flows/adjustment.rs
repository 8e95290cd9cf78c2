//! Manual points adjustment (R-PTS-7): points added or taken by hand with a reason code, on
//! a supervisor's PIN; booked as an `adjustment` ledger entry with a card event naming the
//! approver, both sent to head office.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::issuing::masked;
use super::lookup::parse_card_number;
use super::FlowError;
use crate::action::Action;
use crate::domain::adjustment::{plan_adjustment, AdjustmentReason};
use crate::domain::card_status::CardState;
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind, ledger::Refs};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    /// Points to add (positive) or take (negative).
    pub points: i64,
    pub reason: AdjustmentReason,
    /// Required for reason `other`; at most 200 characters.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjustmentResult {
    pub card_number: String,
    pub points: i64,
    pub reason: AdjustmentReason,
    pub balance: i64,
    /// The supervisor whose PIN approved it.
    pub approved_by: String,
}

/// Adjusts a live (active or inactive) card's points; `approved_by` is the supervisor who
/// entered their PIN.
pub async fn adjust_points(
    k: &Kiosk,
    action: &Action,
    approved_by: &str,
    raw_number: &str,
    req: AdjustmentRequest,
) -> Result<AdjustmentResult, FlowError> {
    let number = parse_card_number(raw_number)?;
    if req.note.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(FlowError::invalid("note", "at most 200 characters"));
    }
    let mut tx = k.db.writer.begin().await?;
    let card = store::cards::find(&mut tx, number.as_str())
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })?;
    if !matches!(card.state, CardState::Active | CardState::Inactive) {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::CardStateConflict,
            format!(
                "points are adjusted on a live card only (this one is {})",
                card.state.as_str()
            ),
            Some("R-PTS-7"),
            Some("card_number"),
        ));
    }
    let balance = store::ledger::balance(&mut tx, &card.number).await?;
    let entry = plan_adjustment(balance, req.points, req.reason, req.note.as_deref())?;
    store::ledger::append(&mut tx, action, &card.number, &[entry], Refs::default()).await?;
    store::card_events::record(
        &mut tx,
        action,
        &card.number,
        CardEventKind::PointsAdjusted,
        &json!({ "points": req.points, "reason": req.reason, "note": req.note, "approved_by": approved_by }),
    )
    .await?;
    let balance = store::ledger::balance(&mut tx, &card.number).await?;
    tx.commit().await?;
    tracing::info!(card = %masked(&card.number), points = req.points, reason = req.reason.as_str(), staff = %action.staff_id, supervisor = %approved_by, "points adjusted");
    Ok(AdjustmentResult {
        card_number: card.number,
        points: req.points,
        reason: req.reason,
        balance,
        approved_by: approved_by.to_owned(),
    })
}
