//! The printed documents: for each, the plain data a flow fills in and one builder that lays
//! it out as a [`Document`] in the chosen language (the paper width is applied at render
//! time). Card numbers arrive masked; no document has a field for an ID number or a phone.

pub mod daily_summary;
pub mod enrolment;
pub mod loss_report;
pub mod parking;
pub mod refund;
pub mod replacement;
pub mod sale;
pub mod upgrade;
pub mod voucher;

pub use daily_summary::{daily_summary, AuditHead, DailySummary, Operation, OperationCount};
pub use enrolment::{enrolment_slip, welcome_gift_voucher, EnrolmentSlip, WelcomeGift};
pub use loss_report::{loss_report_confirmation, LossReportSlip};
pub use parking::{parking_tickets, ParkingSlip};
pub use refund::{refund_receipt, RefundLine, RefundMember, RefundSlip};
pub use replacement::{replacement_slip, ReplacementSlip};
pub use sale::{sale_receipt, SaleLine, SaleMember, SalePoints, SaleSlip, TenderLine};
pub use upgrade::{upgrade_slip, UpgradeSlip};
pub use voucher::{voucher, VoucherKind, VoucherSlip};

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::document::{Align, Block, Document, DocumentKind};
use crate::domain::money::two_places;

/// Who printed a slip, where and when: the top of every document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlipHeader {
    /// Printed as the title, e.g. "新世界百货 西单店".
    pub store_name: String,
    /// The till, lounge counter or desk that printed it.
    pub workstation: String,
    /// The cashier's or clerk's staff id (R-SVC-2: every action names who did it).
    pub staff_id: String,
    /// When the operation happened, store-local time.
    pub at: NaiveDateTime,
}

/// `¥12.50`, `-¥3.00`: always 2 decimals. In Chinese mode the printer gets `￥` (GBK).
pub fn money(amount: Decimal) -> String {
    if amount.is_sign_negative() && !amount.is_zero() {
        format!("-¥{}", two_places(-amount))
    } else {
        format!("¥{}", two_places(amount))
    }
}

/// `12.50`: an amount in an item row, where the column says it is money.
pub fn amount(amount: Decimal) -> String {
    two_places(amount).to_string()
}

/// A card number for paper. Numbers arrive masked (`***********0115`); as a safety net a
/// number with more than 4 digits and no `*` gets every digit but the last 4 masked.
pub fn masked_card(card: &str) -> Cow<'_, str> {
    let digits = card.chars().filter(char::is_ascii_digit).count();
    if card.contains('*') || digits <= 4 {
        return Cow::Borrowed(card);
    }
    let mut seen = 0;
    Cow::Owned(
        card.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seen += 1;
                    if seen <= digits - 4 {
                        return '*';
                    }
                }
                c
            })
            .collect(),
    )
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn date_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Item rows: name, quantity, amount (relative widths 4 : 1 : 2; the two numbers flush right).
const ITEM_WIDTHS: [u8; 3] = [4, 1, 2];
const ITEM_RIGHT: [bool; 3] = [false, true, true];

/// Collects the blocks of one document.
struct Slip {
    blocks: Vec<Block>,
}

impl Slip {
    fn new() -> Slip {
        Slip {
            blocks: Vec::with_capacity(64),
        }
    }

    fn title(&mut self, text: &str) {
        self.blocks.push(Block::Title {
            text: text.to_owned(),
        });
    }

    fn text(&mut self, text: impl Into<String>, align: Align, bold: bool) {
        self.blocks.push(Block::Text {
            text: text.into(),
            align,
            bold,
        });
    }

    fn center(&mut self, text: impl Into<String>, bold: bool) {
        self.text(text, Align::Center, bold);
    }

    fn pair(&mut self, left: impl Into<String>, right: impl Into<String>) {
        self.blocks.push(Block::Pair {
            left: left.into(),
            right: right.into(),
            bold: false,
        });
    }

    fn pair_bold(&mut self, left: impl Into<String>, right: impl Into<String>) {
        self.blocks.push(Block::Pair {
            left: left.into(),
            right: right.into(),
            bold: true,
        });
    }

    fn item_row(&mut self, name: impl Into<String>, quantity: String, amount: String) {
        self.blocks.push(Block::Row {
            cells: vec![name.into(), quantity, amount],
            widths: ITEM_WIDTHS.to_vec(),
            right_aligned: ITEM_RIGHT.to_vec(),
        });
    }

    fn rule(&mut self) {
        self.blocks.push(Block::Rule);
    }

    fn qr(&mut self, payload: &str) {
        self.blocks.push(Block::Qr {
            payload: payload.to_owned(),
        });
    }

    fn cut(&mut self) {
        self.blocks.push(Block::Cut);
    }

    /// Store name, document title, workstation, staff and time.
    fn header(&mut self, h: &SlipHeader, title: &str, workstation: &str, staff: &str, time: &str) {
        self.title(&h.store_name);
        self.center(title, true);
        self.pair(workstation, h.workstation.as_str());
        self.pair(staff, h.staff_id.as_str());
        self.pair(time, date_time(h.at));
    }

    fn card(&mut self, label: &str, card: &str) {
        self.pair(label, masked_card(card).into_owned());
    }

    fn finish(self, kind: DocumentKind) -> Document {
        Document {
            kind,
            blocks: self.blocks,
            copy: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_has_two_places_and_the_yuan_sign() {
        assert_eq!(money(dec!(12.5)), "¥12.50");
        assert_eq!(money(dec!(-3)), "-¥3.00");
        assert_eq!(money(dec!(0)), "¥0.00");
        assert_eq!(amount(dec!(1234)), "1234.00");
    }

    #[test]
    fn card_numbers_are_masked_as_a_safety_net() {
        assert_eq!(masked_card("***********0115"), "***********0115");
        assert_eq!(masked_card("8800010000000115"), "************0115");
        assert_eq!(masked_card("0115"), "0115");
    }
}
