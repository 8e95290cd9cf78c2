//! What each counter operation prints: the slip built from the operation's result, printed at
//! the workstation's printer after the operation committed. A printer fault never undoes the
//! operation: the outcome (printed, or what to fix) goes back with the answer, and the job
//! stays in the queue to retry or reprint.

use chrono::{Days, FixedOffset, NaiveDateTime, Offset, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::checkout::SaleReceipt;
use super::enrolment::EnrolmentResult;
use super::printing::{self, PrintOutcome};
use super::refund::RefundReceipt;
use super::replacement::{LossReportResult, ReplacementResult};
use super::services::{GiftExchangeResult, GrantResult};
use super::upgrade::UpgradeResult;
use crate::action::Action;
use crate::domain::basket::Basket;
use crate::domain::card_number::CardNumber;
use crate::kiosk::Kiosk;
use crate::receipt::document::Document;
use crate::receipt::documents::{self as slip, SlipHeader};
use crate::receipt::render::Language;

/// Vouchers and welcome gifts are redeemable for this long.
const VOUCHER_DAYS: u64 = 30;

fn masked(number: &str) -> String {
    CardNumber::parse(number)
        .map(|c| c.masked())
        .unwrap_or_else(|_| "****".into())
}

/// What a slip needs from the kiosk: the store's name and clock offset, and the printer's
/// language at the workstation.
#[derive(Debug, Clone)]
pub struct SlipContext {
    pub store_name: String,
    pub utc_offset_minutes: i32,
    pub language: Language,
}

pub fn context(k: &Kiosk, workstation: &str) -> SlipContext {
    SlipContext {
        store_name: k.config.store_name.clone(),
        utc_offset_minutes: k.config.utc_offset_minutes,
        language: k.printers.for_workstation(workstation).style().language,
    }
}

fn header(ctx: &SlipContext, action: &Action) -> SlipHeader {
    // The offset is validated in config; UTC if it were ever out of range.
    let offset = FixedOffset::east_opt(ctx.utc_offset_minutes * 60).unwrap_or_else(|| Utc.fix());
    SlipHeader {
        store_name: ctx.store_name.clone(),
        workstation: action.workstation.clone(),
        staff_id: action.staff_id.clone(),
        at: action.now.with_timezone(&offset).naive_local(),
    }
}

fn voucher_until(action: &Action) -> chrono::NaiveDate {
    action
        .today
        .checked_add_days(Days::new(VOUCHER_DAYS))
        .unwrap_or(action.today)
}

/// Prints `docs` at the action's workstation; a database failure while queuing is logged
/// and leaves that document out (the operation itself is done).
pub async fn print(k: &Kiosk, action: &Action, docs: Vec<Document>) -> Vec<PrintOutcome> {
    let mut outcomes = Vec::with_capacity(docs.len());
    for doc in docs {
        match printing::submit(k, &action.workstation, doc).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => {
                tracing::error!(%error, workstation = %action.workstation, "print job not queued")
            }
        }
    }
    outcomes
}

/// Adds the print outcomes to an operation's JSON answer.
pub fn with_print(mut answer: Value, outcomes: Vec<PrintOutcome>) -> Value {
    if let Value::Object(map) = &mut answer {
        map.insert(
            "print".into(),
            serde_json::to_value(outcomes).unwrap_or(Value::Null),
        );
    }
    answer
}

/// The sale receipt (lines with member discount, totals, tenders, points, QR of the receipt id).
pub fn sale(
    ctx: &SlipContext,
    action: &Action,
    receipt: &SaleReceipt,
    basket: &Basket,
) -> Document {
    let q = &receipt.quote;
    let data = slip::SaleSlip {
        header: header(ctx, action),
        receipt_no: receipt.receipt_no.clone(),
        receipt_id: format!("{}-{}", receipt.store_id, receipt.receipt_no),
        lines: q
            .lines
            .iter()
            .zip(&basket.lines)
            .map(|(p, l)| slip::SaleLine {
                name: l.sku.clone(),
                quantity: p.quantity,
                unit_price: p.unit_price,
                gross: p.gross,
                member_discount: p.discount,
            })
            .collect(),
        tenders: receipt
            .tenders
            .iter()
            .map(|t| slip::TenderLine {
                kind: t.kind.clone(),
                amount: t.amount,
            })
            .collect(),
        member: match (&receipt.card_number, q.tier, &receipt.points) {
            (Some(card), Some(tier), Some(points)) => Some(slip::SaleMember {
                card_masked: masked(card),
                tier,
                birthday: q.birthday,
                points: slip::SalePoints {
                    earned: points.earned,
                    redeemed: points.redeemed,
                    redeemed_value: q.redeem_value,
                    balance: points.balance,
                    usable_from: points.usable_from,
                },
            }),
            _ => None,
        },
        group_purchase: q.group_purchase,
        non_cash_tender: q.non_cash_tender,
    };
    slip::sale_receipt(&data, ctx.language)
}

/// The refund receipt; `names` gives each refunded line's item name by line index.
pub fn refund(
    ctx: &SlipContext,
    action: &Action,
    r: &RefundReceipt,
    names: &[(usize, String)],
) -> Document {
    let name = |i: usize| {
        names
            .iter()
            .find(|(n, _)| *n == i)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    let data = slip::RefundSlip {
        header: header(ctx, action),
        refund_no: r.refund_no.clone(),
        receipt_no: r.receipt_no.clone(),
        lines: r
            .lines
            .iter()
            .map(|l| slip::RefundLine {
                name: name(l.index),
                quantity: l.quantity,
                amount: l.amount,
            })
            .collect(),
        member: match (&r.card_number, r.balance) {
            (Some(card), Some(balance)) => Some(slip::RefundMember {
                card_masked: masked(card),
                points_reversed: r.points_reversed,
                points_restored: r.points_restored,
                points_owed: r.debt_added,
                balance,
            }),
            _ => None,
        },
    };
    slip::refund_receipt(&data, ctx.language)
}

/// The enrolment slip, and the welcome-gift voucher for Gold and Platinum (R-ENR-6).
pub fn enrolment(
    ctx: &SlipContext,
    action: &Action,
    e: &EnrolmentResult,
    receipts: &[String],
) -> Vec<Document> {
    let lang = ctx.language;
    let data = slip::EnrolmentSlip {
        header: header(ctx, action),
        card_masked: masked(&e.card.card_number),
        tier: e.tier,
        issued_on: e.card.valid_from,
        valid_until: e.card.expiry,
        qualifying_receipts: receipts.to_vec(),
        qualifying_cash: e.qualifying_spend,
        welcome_gift: e.welcome_gift.then(|| slip::WelcomeGift {
            voucher_no: format!("WG-{}", e.card.card_number),
            gift: match lang {
                Language::Zh => "入会礼品".into(),
                Language::En => "Welcome gift".into(),
            },
            valid_until: voucher_until(action),
        }),
    };
    let mut docs = vec![slip::enrolment_slip(&data, lang)];
    docs.extend(slip::welcome_gift_voucher(&data, lang));
    docs
}

pub fn upgrade(ctx: &SlipContext, action: &Action, u: &UpgradeResult) -> Document {
    let data = slip::UpgradeSlip {
        header: header(ctx, action),
        old_card_masked: masked(&u.exchange.old_card_number),
        new_card_masked: masked(&u.exchange.new_card.card_number),
        from: u.from,
        to: u.to,
        qualifying_points: u.qualifying_points,
        points_moved: u.exchange.points_moved,
        valid_until: u.exchange.new_card.expiry,
    };
    slip::upgrade_slip(&data, ctx.language)
}

/// The loss-report confirmation with the 7-day deadline (R-REP-2).
pub fn loss_report(ctx: &SlipContext, action: &Action, r: &LossReportResult) -> Document {
    let at: NaiveDateTime = header(ctx, action).at;
    let data = slip::LossReportSlip {
        header: header(ctx, action),
        report_no: r.report_no.clone(),
        card_masked: masked(&r.card.card_number),
        tier: r.card.tier,
        reported_at: at,
        deadline: r.deadline,
    };
    slip::loss_report_confirmation(&data, ctx.language)
}

pub fn replacement(ctx: &SlipContext, action: &Action, r: &ReplacementResult) -> Document {
    let data = slip::ReplacementSlip {
        header: header(ctx, action),
        reason: r.reason,
        old_card_masked: masked(&r.exchange.old_card_number),
        new_card_masked: masked(&r.exchange.new_card.card_number),
        tier: r.exchange.new_card.tier,
        fee: if r.fee_waived { Decimal::ZERO } else { r.fee },
        new_card_from: r.exchange.new_card.valid_from,
        valid_until: r.exchange.new_card.expiry,
        points_moved: r.exchange.points_moved,
    };
    slip::replacement_slip(&data, ctx.language)
}

/// Today's one-hour parking tickets (R-SRV-1), one per ticket.
pub fn parking(ctx: &SlipContext, action: &Action, g: &GrantResult) -> Document {
    let data = slip::ParkingSlip {
        header: header(ctx, action),
        card_masked: masked(&g.card_number),
        tier: g.tier,
        valid_on: g.business_day,
        hours_per_ticket: 1,
        ticket_nos: (1..=g.quantity)
            .map(|i| format!("P{}-{i}", g.grant_id))
            .collect(),
    };
    slip::parking_tickets(&data, ctx.language)
}

/// The birthday gift voucher (R-SRV-2).
pub fn birthday_gift(ctx: &SlipContext, action: &Action, g: &GrantResult) -> Document {
    let lang = ctx.language;
    let data = slip::VoucherSlip {
        header: header(ctx, action),
        kind: slip::VoucherKind::BirthdayGift,
        voucher_no: format!("BG-{}", g.grant_id),
        card_masked: masked(&g.card_number),
        tier: g.tier,
        gift: match lang {
            Language::Zh => "生日礼品".into(),
            Language::En => "Birthday gift".into(),
        },
        quantity: 1,
        points_used: 0,
        balance: None,
        valid_until: voucher_until(action),
    };
    slip::voucher(&data, lang)
}

/// The gift-exchange voucher (R-PTS-6).
pub fn gift_exchange(ctx: &SlipContext, action: &Action, g: &GiftExchangeResult) -> Document {
    let data = slip::VoucherSlip {
        header: header(ctx, action),
        kind: slip::VoucherKind::GiftExchange,
        voucher_no: format!("GX-{}", g.grant.grant_id),
        card_masked: masked(&g.grant.card_number),
        tier: g.grant.tier,
        gift: g.gift_name.clone(),
        quantity: u32::try_from(g.grant.quantity).unwrap_or(u32::MAX),
        points_used: g.points,
        balance: Some(g.balance),
        valid_until: voucher_until(action),
    };
    slip::voucher(&data, ctx.language)
}

/// The end-of-day membership summary of `action.workstation` for `day`, with the audit
/// chain's head, which is anchored in the anchor file as the slip is made.
pub async fn daily_summary(
    k: &Kiosk,
    action: &Action,
    day: chrono::NaiveDate,
) -> Result<Document, super::FlowError> {
    use slip::Operation;
    let f = {
        let mut conn = k.db.reader.acquire().await?;
        crate::store::daily_figures::for_day(&mut conn, &action.workstation, day).await?
    };
    let events = |kind: &str| {
        f.card_events
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    };
    let grants = |kind: &str| {
        f.grants
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    };
    let operations = [
        (Operation::Sale, f.sales),
        (Operation::Refund, f.refunds),
        (Operation::Enrolment, events("enrolled")),
        (Operation::Upgrade, events("upgraded")),
        (Operation::Reactivation, events("reactivated")),
        (Operation::LossReport, events("loss_reported")),
        (Operation::Replacement, events("replaced")),
        (Operation::Parking, grants("parking")),
        (Operation::BirthdayGift, grants("birthday_gift")),
        (Operation::GiftExchange, grants("gift_exchange")),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(operation, count)| slip::OperationCount { operation, count })
    .collect();
    let why = format!("daily-summary {} {day}", action.workstation);
    let head = k.anchor_audit(&why).await?;
    let ctx = context(k, &action.workstation);
    let data = slip::DailySummary {
        header: header(&ctx, action),
        business_day: day,
        operations,
        sales: f.sales,
        sales_with_card: f.sales_with_card,
        card_sales_amount: f.card_sales_amount,
        member_savings: f.member_savings,
        refund_total: f.refund_total,
        points_earned: f.points_earned,
        points_redeemed: f.points_redeemed,
        new_members: f.new_members,
        replacement_fees: f.replacement_fees,
        audit_head: Some(slip::AuditHead {
            seq: head.seq,
            hash: head.short_hash().to_owned(),
        }),
    };
    Ok(slip::daily_summary(&data, ctx.language))
}

/// Prints the slips `build` makes from an operation's `result` at the action's workstation,
/// and returns the answer: the result with the print outcomes.
pub async fn printed<T: serde::Serialize>(
    k: &Kiosk,
    action: &Action,
    result: &T,
    build: impl FnOnce(&SlipContext, &Action, &T) -> Vec<Document>,
) -> Value {
    let docs = build(&context(k, &action.workstation), action, result);
    let outcomes = print(k, action, docs).await;
    with_print(serde_json::to_value(result).unwrap_or_default(), outcomes)
}
