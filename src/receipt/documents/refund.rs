//! The till's refund receipt: the returned lines, the amount refunded and, for a member, the
//! points taken back and given back (R-PTS-9).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{amount, money, Slip, SlipHeader};
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::labels;
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSlip {
    pub header: SlipHeader,
    pub refund_no: String,
    /// The original sale's receipt number.
    pub receipt_no: String,
    pub lines: Vec<RefundLine>,
    /// None when the sale had no card.
    pub member: Option<RefundMember>,
}

/// A returned line: `amount` is what goes back for `quantity` units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub name: String,
    pub quantity: u32,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundMember {
    /// Masked already.
    pub card_masked: String,
    /// Earned points taken back.
    pub points_reversed: i64,
    /// Redeemed points given back.
    pub points_restored: i64,
    /// Points that could not be taken back now, owed from future earnings.
    #[serde(default)]
    pub points_owed: i64,
    pub balance: i64,
}

impl RefundSlip {
    /// Σ amount of the lines.
    pub fn total(&self) -> Decimal {
        self.lines.iter().map(|l| l.amount).sum()
    }
}

pub fn refund_receipt(refund: &RefundSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&refund.header, l.refund_title, l.till, l.cashier, l.time);
    s.pair(l.refund_no, refund.refund_no.as_str());
    s.pair(l.original_receipt, refund.receipt_no.as_str());
    s.rule();
    s.item_row(l.item, l.quantity.to_owned(), l.amount.to_owned());
    s.rule();
    for line in &refund.lines {
        s.item_row(
            line.name.as_str(),
            line.quantity.to_string(),
            amount(line.amount),
        );
    }
    s.rule();
    s.pair_bold(l.refund_amount, money(refund.total()));
    if let Some(m) = &refund.member {
        s.rule();
        s.card(l.card, &m.card_masked);
        s.pair(l.points_reversed, format!("-{}", m.points_reversed));
        s.pair(l.points_restored, format!("+{}", m.points_restored));
        if m.points_owed != 0 {
            s.pair(l.points_owed, m.points_owed.to_string());
        }
        s.pair(l.balance, m.balance.to_string());
    }
    s.rule();
    s.center(l.thanks, false);
    s.cut();
    s.finish(DocumentKind::RefundReceipt)
}
