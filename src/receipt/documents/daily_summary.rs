//! The end-of-day membership summary of one workstation: operations counted by kind, sales
//! with a card, points earned and redeemed, new members by tier, fees, and the audit chain's
//! head at printing (the paper anchor: `verify-audit --anchor SEQ:HASH` checks it later).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{date, money, Slip, SlipHeader};
use crate::domain::tier::{PerTier, Tier};
use crate::receipt::document::{Align, Document, DocumentKind};
use crate::receipt::labels::{labels, Labels};
use crate::receipt::render::Language;

/// What a workstation did, as counted on the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Sale,
    Refund,
    Enrolment,
    Upgrade,
    Reactivation,
    LossReport,
    Replacement,
    Parking,
    BirthdayGift,
    GiftExchange,
    Reprint,
}

impl Operation {
    pub fn label(self, l: &Labels) -> &'static str {
        match self {
            Operation::Sale => l.op_sale,
            Operation::Refund => l.op_refund,
            Operation::Enrolment => l.op_enrolment,
            Operation::Upgrade => l.op_upgrade,
            Operation::Reactivation => l.op_reactivation,
            Operation::LossReport => l.op_loss_report,
            Operation::Replacement => l.op_replacement,
            Operation::Parking => l.op_parking,
            Operation::BirthdayGift => l.op_birthday_gift,
            Operation::GiftExchange => l.op_gift_exchange,
            Operation::Reprint => l.op_reprint,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCount {
    pub operation: Operation,
    pub count: u32,
}

/// The audit chain's head as printed: its last row and that row's hash (first hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySummary {
    /// `at` is when the summary was printed.
    pub header: SlipHeader,
    pub business_day: NaiveDate,
    /// Printed in this order.
    pub operations: Vec<OperationCount>,
    pub sales: u32,
    pub sales_with_card: u32,
    /// Payable of the sales with a card.
    pub card_sales_amount: Decimal,
    pub member_savings: Decimal,
    pub refund_total: Decimal,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub new_members: PerTier<u32>,
    pub replacement_fees: Decimal,
    /// None on a summary made before the chain was anchored on paper.
    #[serde(default)]
    pub audit_head: Option<AuditHead>,
}

pub fn daily_summary(d: &DailySummary, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&d.header, l.summary_title, l.workstation, l.clerk, l.time);
    s.pair_bold(l.business_day, date(d.business_day));
    s.rule();
    s.text(l.operations, Align::Left, true);
    for op in &d.operations {
        s.pair(format!("  {}", op.operation.label(l)), op.count.to_string());
    }
    let operations: u32 = d.operations.iter().map(|o| o.count).sum();
    s.pair_bold(l.total, operations.to_string());
    s.rule();
    s.pair(l.sales, d.sales.to_string());
    s.pair(l.sales_with_card, d.sales_with_card.to_string());
    s.pair(l.card_sales_amount, money(d.card_sales_amount));
    s.pair(l.member_savings, money(d.member_savings));
    s.pair(l.refund_total, money(d.refund_total));
    s.pair(l.points_earned, d.points_earned.to_string());
    s.pair(l.points_redeemed, d.points_redeemed.to_string());
    s.rule();
    s.text(l.new_members, Align::Left, true);
    for tier in Tier::ALL {
        s.pair(
            format!("  {}", l.tier_name(tier)),
            d.new_members.get(tier).to_string(),
        );
    }
    let new_members: u32 = Tier::ALL.iter().map(|&t| d.new_members.get(t)).sum();
    s.pair_bold(l.total, new_members.to_string());
    s.rule();
    s.pair(l.replacement_fees, money(d.replacement_fees));
    if let Some(head) = &d.audit_head {
        s.rule();
        // On its own line, so a 32-column slip holds the 16 digits whole.
        s.pair(l.audit_head, format!("#{}", head.seq));
        s.text(head.hash.clone(), Align::Right, false);
    }
    s.center(l.end, false);
    s.cut();
    s.finish(DocumentKind::DailySummary)
}
