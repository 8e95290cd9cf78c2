//! The till's sale receipt: items with the member discount per line, totals, tenders, the
//! member's points (earned, redeemed, balance, usable from), tier, birthday note, QR code.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{amount, date, money, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::{labels, sentences};
use crate::receipt::render::Language;

/// One committed sale as the till prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleSlip {
    pub header: SlipHeader,
    pub receipt_no: String,
    /// The QR code's payload: the receipt's unique id (e.g. store id + receipt no).
    pub receipt_id: String,
    pub lines: Vec<SaleLine>,
    pub tenders: Vec<TenderLine>,
    /// None for a guest sale.
    pub member: Option<SaleMember>,
    /// R-DSC-4: no discount, no points (printed as a note).
    #[serde(default)]
    pub group_purchase: bool,
    /// R-PAY-1: a non-cash tender withheld the member discount (printed as a note).
    #[serde(default)]
    pub non_cash_tender: bool,
}

/// One item line. `gross` = unit price × quantity; `member_discount` ≥ 0 is taken off it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub name: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub gross: Decimal,
    #[serde(default)]
    pub member_discount: Decimal,
}

/// A tender: `kind` is the policy's tender kind (`cash`, `bank_card`, `mobile_wallet`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderLine {
    pub kind: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleMember {
    /// Masked already (`***********0115`).
    pub card_masked: String,
    pub tier: Tier,
    /// R-DSC-3 birthday rates applied: prints the birthday greeting.
    #[serde(default)]
    pub birthday: bool,
    pub points: SalePoints,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalePoints {
    pub earned: i64,
    /// Points redeemed on this sale (R-PTS-4) and the ¥ they paid.
    pub redeemed: i64,
    pub redeemed_value: Decimal,
    pub balance: i64,
    /// R-PTS-5: when the points earned here become usable.
    pub usable_from: NaiveDate,
}

impl SaleSlip {
    /// Σ gross of the lines.
    pub fn gross_total(&self) -> Decimal {
        self.lines.iter().map(|l| l.gross).sum()
    }

    /// Σ member discount of the lines (R-DSC-6: totals are sums of rounded lines).
    pub fn member_savings(&self) -> Decimal {
        self.lines.iter().map(|l| l.member_discount).sum()
    }

    /// The ¥ paid with points.
    pub fn points_value(&self) -> Decimal {
        self.member
            .as_ref()
            .map_or(Decimal::ZERO, |m| m.points.redeemed_value)
    }

    /// gross − member savings − points value.
    pub fn payable(&self) -> Decimal {
        self.gross_total() - self.member_savings() - self.points_value()
    }
}

/// The sale receipt. Totals are computed from the lines, so the receipt adds up to the cent.
pub fn sale_receipt(sale: &SaleSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&sale.header, l.sale_title, l.till, l.cashier, l.time);
    s.pair(l.receipt_no, sale.receipt_no.as_str());
    s.rule();
    s.item_row(l.item, l.quantity.to_owned(), l.amount.to_owned());
    s.rule();
    for line in &sale.lines {
        s.item_row(
            line.name.as_str(),
            line.quantity.to_string(),
            amount(line.gross),
        );
        if line.quantity > 1 {
            let unit = format!("  {} {}", l.unit_price, amount(line.unit_price));
            s.item_row(unit, String::new(), String::new());
        }
        if !line.member_discount.is_zero() {
            let savings = format!("  {}", l.member_savings);
            s.item_row(savings, String::new(), amount(-line.member_discount));
        }
    }
    s.rule();
    s.pair(l.total, money(sale.gross_total()));
    let savings = sale.member_savings();
    if !savings.is_zero() {
        s.pair(l.member_savings, money(-savings));
    }
    if let Some(m) = sale.member.as_ref().filter(|m| m.points.redeemed != 0) {
        s.pair(
            sentences::points_payment(language, m.points.redeemed),
            money(-m.points.redeemed_value),
        );
    }
    s.pair_bold(l.payable, money(sale.payable()));
    if sale.group_purchase {
        s.center(l.group_purchase_note, false);
    }
    if sale.non_cash_tender {
        s.center(l.non_cash_note, false);
    }
    if !sale.tenders.is_empty() {
        s.rule();
        for t in &sale.tenders {
            s.pair(l.tender(&t.kind).into_owned(), money(t.amount));
        }
        let change = sale.tenders.iter().map(|t| t.amount).sum::<Decimal>() - sale.payable();
        if change > Decimal::ZERO {
            s.pair(l.change, money(change));
        }
    }
    if let Some(m) = &sale.member {
        s.rule();
        s.card(l.card, &m.card_masked);
        s.pair(l.tier, l.tier_name(m.tier));
        s.pair(l.earned, m.points.earned.to_string());
        if m.points.redeemed != 0 {
            s.pair(l.redeemed, m.points.redeemed.to_string());
        }
        s.pair(l.balance, m.points.balance.to_string());
        if m.points.earned > 0 {
            s.pair(l.usable_from, date(m.points.usable_from));
        }
        if m.birthday {
            s.center(l.happy_birthday, true);
            s.center(l.birthday_rates, false);
        }
    }
    s.rule();
    s.qr(&sale.receipt_id);
    s.center(sale.receipt_id.as_str(), false);
    s.center(l.thanks, false);
    s.cut();
    s.finish(DocumentKind::SaleReceipt)
}
