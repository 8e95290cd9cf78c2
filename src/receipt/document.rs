//! The layout model every printed document is built in: blocks of text, label/value pairs,
//! item rows, rules, QR codes and cuts, independent of the printer's byte language.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a document is (for the print queue, reprints and the end-of-day summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    SaleReceipt,
    RefundReceipt,
    EnrolmentSlip,
    WelcomeGiftVoucher,
    UpgradeSlip,
    LossReportConfirmation,
    ReplacementSlip,
    ParkingTickets,
    BirthdayGiftVoucher,
    GiftExchangeVoucher,
    DailySummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One block of a document, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "block", rename_all = "snake_case")]
pub enum Block {
    /// Centred, double height and width (store name, document title).
    Title {
        text: String,
    },
    Text {
        text: String,
        align: Align,
        bold: bool,
    },
    /// A label on the left and a value flush right on the same line (wrapped if too long).
    Pair {
        left: String,
        right: String,
        bold: bool,
    },
    /// An item row: columns with relative widths (e.g. name 3, qty 1, amount 2); numeric
    /// columns right-aligned.
    Row {
        cells: Vec<String>,
        widths: Vec<u8>,
        right_aligned: Vec<bool>,
    },
    /// A full-width line of `-`.
    Rule,
    Qr {
        payload: String,
    },
    Feed {
        lines: u8,
    },
    Cut,
}

/// A document ready to render. `copy` marks a reprint: it prints "副本 COPY" prominently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub kind: DocumentKind,
    pub blocks: Vec<Block>,
    #[serde(default)]
    pub copy: bool,
}
