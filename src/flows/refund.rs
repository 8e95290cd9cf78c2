//! Refunds by receipt and lines (R-PTS-9): money back for the lines returned, earned points
//! reversed and redeemed points restored in proportion; a shortfall becomes points debt.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::checkout::{check_receipt_no, receipt_print_jobs, request_hash};
use super::slips;
use super::FlowError;
use crate::domain::basket::GoodsClass;
use crate::domain::events::{Event, Money, RefundBooked, RefundLine};
use crate::domain::ledger::plan_reversal;
use crate::domain::money::round_fen;
use crate::domain::refund::{plan_refund, RefundLineRequest, RefundedLine};
use crate::domain::staff::Permission;
use crate::kiosk::Kiosk;
use crate::staff::sessions::Session;
use crate::store::{self, ledger::Refs, StoreError};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The till's refund slip number: the idempotency key.
    pub refund_no: String,
    pub till_id: String,
    pub lines: Vec<RefundLineRequest>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundReceipt {
    pub refund_no: String,
    pub receipt_no: String,
    pub business_day: NaiveDate,
    pub lines: Vec<RefundedLine>,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub card_number: Option<String>,
    pub points_reversed: i64,
    pub points_restored: i64,
    /// Points that could not be taken back now and are owed from future earnings.
    pub debt_added: i64,
    pub balance: Option<i64>,
}

/// A committed sale as the refund screen picks lines from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleOnFile {
    pub receipt_no: String,
    pub till_id: String,
    pub business_day: NaiveDate,
    pub card_number: Option<String>,
    #[schema(value_type = String)]
    pub payable: Decimal,
    pub lines: Vec<LineOnFile>,
    /// The sale receipt's print jobs (preview, reprint a COPY).
    pub print_jobs: Vec<i64>,
}

/// One sold line and how many of its units are left to refund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineOnFile {
    pub index: usize,
    pub sku: String,
    pub class: GoodsClass,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// What the customer paid for the whole line (after discount and redemption).
    #[schema(value_type = String)]
    pub paid: Decimal,
    pub refunded_quantity: u32,
}

/// Reads a committed sale by receipt number, for choosing the lines of a refund. A cashier
/// sees only their own till's sales, as they refund only those (R-SVC-2).
pub async fn sale_on_file(
    k: &Kiosk,
    session: &Session,
    receipt_no: &str,
) -> Result<SaleOnFile, FlowError> {
    check_receipt_no("receipt_no", receipt_no)?;
    let store_id = &k.config.store_id;
    let mut conn = k.db.reader.acquire().await?;
    let not_found = || FlowError::NotFound {
        what: "sale",
        field: "receipt_no",
    };
    let Some(sale) = store::sales::head(&mut conn, store_id, receipt_no).await? else {
        return Err(not_found());
    };
    if !session.role.may(Permission::RefundAnyTill) && sale.till_id != session.workstation {
        return Err(FlowError::Forbidden {
            permission: Permission::RefundAnyTill,
            message: format!(
                "the sale was rung on till {}: only a supervisor sees another till's sale",
                sale.till_id
            ),
        });
    }
    let lines = store::sales::lines_on_file(&mut conn, sale.id).await?;
    let stored = store::sales::find_by_receipt(&mut conn, store_id, receipt_no)
        .await?
        .ok_or_else(not_found)?;
    let stored: Value = serde_json::from_str(&stored.response)
        .map_err(|_| StoreError::Corrupt("sales.response"))?;
    Ok(SaleOnFile {
        receipt_no: receipt_no.to_owned(),
        till_id: sale.till_id,
        business_day: sale.business_day,
        card_number: sale.card_number,
        payable: sale.payable,
        lines: lines
            .into_iter()
            .map(|l| LineOnFile {
                index: l.index,
                sku: l.sku,
                class: l.class,
                quantity: l.quantity,
                unit_price: l.unit_price,
                paid: l.paid,
                refunded_quantity: l.refunded_quantity,
            })
            .collect(),
        print_jobs: receipt_print_jobs(&stored),
    })
}

/// Who refunds: the signed-in staff member, and the supervisor who approved with their PIN
/// (needed above the store's refund limit).
pub struct RefundAuthority<'a> {
    pub session: &'a Session,
    pub approved_by: Option<&'a str>,
}

pub async fn refund(
    k: &Kiosk,
    by: &RefundAuthority<'_>,
    receipt_no: &str,
    req: RefundRequest,
) -> Result<Value, FlowError> {
    check_receipt_no("refund_no", &req.refund_no)?;
    let own_till_only = !by.session.role.may(Permission::RefundAnyTill);
    if own_till_only && req.till_id != by.session.workstation {
        return Err(FlowError::Forbidden {
            permission: Permission::RefundAnyTill,
            message: format!(
                "signed in at {}: refunds are rung on that till only",
                by.session.workstation
            ),
        });
    }
    let action = k.action_at(by.session, &req.till_id);
    let hash = request_hash(&(receipt_no, &req));
    let mut tx = k.db.writer.begin().await?;
    if let Some(filed) = store::refunds::find(&mut tx, &action.store_id, &req.refund_no).await? {
        if filed.request_hash == hash {
            return serde_json::from_str(&filed.response)
                .map(|json| slips::with_print(json, Vec::new()))
                .map_err(|_| StoreError::Corrupt("refunds.response").into());
        }
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::IdempotencyConflict,
            "refund number already used for a different refund",
            None,
            Some("refund_no"),
        ));
    }
    let sale = store::sales::head(&mut tx, &action.store_id, receipt_no)
        .await?
        .ok_or(FlowError::NotFound {
            what: "sale",
            field: "receipt_no",
        })?;
    if own_till_only && sale.till_id != by.session.workstation {
        return Err(FlowError::Forbidden {
            permission: Permission::RefundAnyTill,
            message: format!(
                "the sale was rung on till {}: only a supervisor refunds another till's sale",
                sale.till_id
            ),
        });
    }
    let sold = store::sales::sold_lines(&mut tx, sale.id).await?;
    let plan = plan_refund(&sold, &req.lines)?;
    if plan.amount > k.config.refund_supervisor_over && by.approved_by.is_none() {
        // The same refusal as a missing PIN elsewhere: the counter asks for one and resends.
        return Err(FlowError::SupervisorPinRequired {
            permission: Permission::RefundOverLimit,
            message: format!(
                "a refund over ¥{} needs a supervisor's PIN",
                k.config.refund_supervisor_over
            ),
        });
    }
    // The cash part of the refund lowers the receipt's qualifying cash spend (R-ENR-4).
    let cash_refund = if sale.payable > Decimal::ZERO {
        round_fen(plan.amount * sale.cash_paid / sale.payable).min(plan.amount)
    } else {
        Decimal::ZERO
    };
    let card = match &sale.card_number {
        Some(number) => Some(current_card(&mut tx, number).await?),
        None => None,
    };
    let (entries, debt_added) = match &card {
        Some(c) => plan_reversal(
            store::ledger::balance(&mut tx, &c.number).await?,
            plan.points_reversed,
            plan.points_restored,
        ),
        None => (Vec::new(), 0),
    };
    let refund_id = store::refunds::insert(
        &mut tx,
        &action,
        &store::refunds::NewRefund {
            refund_no: &req.refund_no,
            sale_id: sale.id,
            till_id: &req.till_id,
            plan: &plan,
            cash_refund,
            debt_added,
            request_hash: &hash,
        },
    )
    .await?;
    // The refund's event, then its ledger entries (which name it by its number).
    let booked = Event::RefundBooked(RefundBooked {
        refund_no: req.refund_no.clone(),
        receipt_no: receipt_no.to_owned(),
        till_id: req.till_id.clone(),
        staff_id: action.staff_id.clone(),
        business_day: action.today,
        created_at: action.now,
        amount: Money(plan.amount),
        cash: Money(cash_refund),
        card_number: card.as_ref().map(|c| c.number.clone()),
        points_reversed: plan.points_reversed,
        points_restored: plan.points_restored,
        debt_added,
        lines: plan
            .lines
            .iter()
            .map(|l| RefundLine {
                line_index: l.index as i64,
                quantity: i64::from(l.quantity),
                amount: Money(l.amount),
                points_reversed: l.points_reversed,
                points_restored: l.points_restored,
            })
            .collect(),
    });
    store::outbox::record(
        &mut tx,
        &action.store_id,
        &format!("{}:{}", action.store_id, req.refund_no),
        &booked,
        action.now,
    )
    .await?;
    let mut balance = None;
    if let Some(c) = &card {
        store::ledger::append(
            &mut tx,
            &action,
            &c.number,
            &entries,
            Refs {
                refund_id: Some(refund_id),
                sale_id: Some(sale.id),
                receipt_no: Some(receipt_no),
                refund_no: Some(&req.refund_no),
                ..Refs::default()
            },
        )
        .await?;
        if debt_added > 0 {
            store::cards::set_debt(&mut tx, &c.number, c.points_debt + debt_added).await?;
        }
        balance = Some(store::ledger::balance(&mut tx, &c.number).await?);
    }
    let receipt = RefundReceipt {
        refund_no: req.refund_no.clone(),
        receipt_no: receipt_no.to_owned(),
        business_day: action.today,
        lines: plan.lines.clone(),
        amount: plan.amount,
        // The card whose points moved (and whose balance is shown): the sale's card, or the
        // card that replaced it.
        card_number: card.as_ref().map(|c| c.number.clone()),
        points_reversed: plan.points_reversed,
        points_restored: plan.points_restored,
        debt_added,
        balance,
    };
    let json = serde_json::to_value(&receipt).map_err(|_| StoreError::Corrupt("refund receipt"))?;
    store::refunds::set_response(&mut tx, refund_id, &json.to_string()).await?;
    let names = store::sales::line_names(&mut tx, &action.store_id, receipt_no).await?;
    tx.commit().await?;
    // Printed after the commit; a replayed refund is not printed again.
    let outcomes = slips::print(
        k,
        &action,
        vec![slips::refund(
            &slips::context(k, &action.workstation),
            &action,
            &receipt,
            &names,
        )],
    )
    .await;
    Ok(slips::with_print(json, outcomes))
}

/// The member's card as it stands now for a sale made with `number`: that card, or the card
/// that replaced it (upgrade, damage, completed loss report), following the chain. The balance
/// moved there (R-UPG-4, R-REP-5), so a refund's points must be taken back there too, or the
/// reversal would become a debt on a dead card that can never earn again (R-PTS-9).
async fn current_card(
    conn: &mut sqlx::SqliteConnection,
    number: &str,
) -> Result<store::cards::Card, FlowError> {
    let mut card = store::cards::find(conn, number)
        .await?
        .ok_or(StoreError::Corrupt("sales.card_number"))?;
    // A chain is one card per exchange; the bound only guards against a corrupt loop.
    for _ in 0..1000 {
        let Some(next) = card.replaced_by.clone() else {
            return Ok(card);
        };
        card = store::cards::find(conn, &next)
            .await?
            .ok_or(StoreError::Corrupt("cards.replaced_by"))?;
    }
    Err(StoreError::Corrupt("cards.replaced_by").into())
}
