//! The card replacement desk (R-REP-1..6): phone loss reports that block a card at once, and
//! replacement cards (lost or damaged) with a new number, the fee, and the balance moved;
//! the new card works from the next day.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::issuing::{exchange_cards, issue, masked, reloaded_view, ExchangeResult};
use super::lookup::{load_card, parse_card_number, CardView};
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::ledger::upgrade_points;
use crate::domain::replacement::{
    check_loss_report, loss_report_deadline, plan_replacement, LossReport, ReplacementReason,
};
use crate::kiosk::Kiosk;
use crate::store::{self, card_events::CardEventKind, loss_reports::LossReportRow};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossReportRequest {
    /// How the member reported: `phone` or `counter`.
    pub channel: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LossReportResult {
    /// The report's number, for the member and the follow-up call.
    pub report_no: String,
    pub card: CardView,
    pub reported_on: NaiveDate,
    /// R-REP-2: complete the replacement with ID by this day.
    pub deadline: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementRequest {
    pub reason: ReplacementReason,
    /// Waive the fee (a supervisor decision; recorded).
    #[serde(default)]
    pub waive_fee: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplacementResult {
    pub reason: ReplacementReason,
    #[schema(value_type = String)]
    pub fee: Decimal,
    pub fee_waived: bool,
    /// Completed after the loss-report deadline.
    pub late: bool,
    #[serde(flatten)]
    pub exchange: ExchangeResult,
}

/// R-REP-2: blocks the card now and opens a loss report.
pub async fn report_loss(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
    req: LossReportRequest,
) -> Result<LossReportResult, FlowError> {
    if !matches!(req.channel.as_str(), "phone" | "counter") {
        return Err(FlowError::invalid(
            "channel",
            "must be 'phone' or 'counter'",
        ));
    }
    let number = parse_card_number(raw_number)?;
    let policy = k.policy(action.today);
    let mut tx = k.db.writer.begin().await?;
    let (card, member) = load_card(&mut tx, &k.sealer, &number).await?;
    check_loss_report(&card.facts())?;
    let deadline = loss_report_deadline(&policy, action.today);
    store::cards::set_state(&mut tx, action, &card.number, CardState::Blocked).await?;
    let report_id = store::loss_reports::insert(
        &mut tx,
        action,
        &card.number,
        deadline,
        &req.channel,
        card.state,
    )
    .await?;
    store::card_events::record(
        &mut tx,
        action,
        &card.number,
        CardEventKind::LossReported,
        &json!({ "channel": req.channel, "deadline": deadline }),
    )
    .await?;
    let view = reloaded_view(&mut tx, &card.number, &member, action.today).await?;
    tx.commit().await?;
    tracing::info!(card = %masked(&card.number), staff = %action.staff_id, "card reported lost and blocked");
    Ok(LossReportResult {
        report_no: format!("LR-{}-{report_id}", action.store_id),
        card: view,
        reported_on: action.today,
        deadline,
    })
}

/// R-REP-1/2/3/5: issues the replacement card.
pub async fn replace(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
    req: ReplacementRequest,
) -> Result<ReplacementResult, FlowError> {
    let number = parse_card_number(raw_number)?;
    let policy = k.policy(action.today);
    let mut tx = k.db.writer.begin().await?;
    let (old, member) = load_card(&mut tx, &k.sealer, &number).await?;
    let report = store::loss_reports::open_for(&mut tx, &old.number).await?;
    let facts = report.as_ref().map(|r| LossReport {
        reported_on: r.reported_on,
        completed: r.completed_on.is_some(),
    });
    let plan = plan_replacement(
        &policy,
        &old.facts(),
        req.reason,
        facts.as_ref(),
        req.waive_fee,
        action.today,
    )?;
    let entries = store::ledger::entries(&mut tx, &old.number).await?;
    // An inactive card's replacement stays inactive on the same term: a new plastic must not
    // skip the annual review or reactivation (R-EXP-1/2).
    let (valid_from, expiry) = if old.state == CardState::Inactive {
        (old.valid_from, old.expiry)
    } else {
        (plan.valid_from, plan.expiry)
    };
    let new_card = store::cards::NewCard {
        member_id: &member.id,
        tier: old.tier,
        valid_from,
        expiry,
        generation: old.generation + 1,
        replaces: Some(&old.number),
        // Same tier, same card year: the count toward the next tier carries over.
        upgrade_points_carried: upgrade_points(old.upgrade_points_carried, 0, &entries),
    };
    // R-REP-6: a card reported lost stays blocked for good; a damaged one is replaced.
    let old_state = if req.reason == ReplacementReason::Lost {
        CardState::Blocked
    } else {
        CardState::Replaced
    };
    let new_state = if old.state == CardState::Inactive {
        CardState::Inactive
    } else {
        CardState::Active
    };
    let (points_moved, new_card) = issue(k, action, tx, new_card, "replacement", async |tx, new| {
        let points_moved =
            exchange_cards(tx, action, &old, new, old_state, new_state, CardEventKind::Replaced).await?;
        if old.state == CardState::Inactive {
            store::cards::set_term(
                tx,
                action,
                &new.number,
                &store::cards::Term {
                    tier: old.tier,
                    state: CardState::Inactive,
                    valid_from,
                    expiry,
                    lapsed_on: old.lapsed_on,
                },
            )
            .await?;
        }
        if let Some(r) = &report {
            store::loss_reports::complete(tx, r.id, action.today, &new.number).await?;
        }
        store::card_events::record(tx, action, &new.number, CardEventKind::ReplacementFee, &json!({ "fee": plan.fee, "waived": req.waive_fee, "reason": req.reason, "late": plan.late })).await?;
        let view = reloaded_view(tx, &new.number, &member, action.today).await?;
        Ok((points_moved, view))
    })
    .await?;
    Ok(ReplacementResult {
        reason: req.reason,
        fee: plan.fee,
        fee_waived: req.waive_fee,
        late: plan.late,
        exchange: ExchangeResult {
            old_card_number: old.number,
            new_card,
            points_moved,
        },
    })
}

/// A loss report past its deadline and whom to call about it (R-REP-2). The phone is in
/// full: the desk calls the member, and only roles that take loss reports see this list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpCall {
    #[serde(flatten)]
    pub report: LossReportRow,
    pub member_name: String,
    pub phone: String,
}

/// R-REP-2: open loss reports past their deadline, with the member to call for each.
pub async fn overdue_loss_reports(k: &Kiosk) -> Result<Vec<FollowUpCall>, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    let reports = store::loss_reports::overdue(&mut conn, k.today()).await?;
    let mut calls = Vec::with_capacity(reports.len());
    for report in reports {
        let card = store::cards::find(&mut conn, &report.card_number)
            .await?
            .ok_or(FlowError::NotFound {
                what: "card",
                field: "card_number",
            })?;
        let member = store::members::find(&mut conn, &k.sealer, &card.member_id)
            .await?
            .ok_or(FlowError::NotFound {
                what: "member",
                field: "member_id",
            })?;
        calls.push(FollowUpCall {
            report,
            member_name: member.name,
            phone: member.phone,
        });
    }
    Ok(calls)
}
