//! The lounge's gift vouchers: the birthday gift (R-SRV-2) and a gift exchanged for points
//! (R-PTS-6), each with a voucher number and QR code to collect the gift with.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{date, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::labels;
use crate::receipt::render::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherKind {
    BirthdayGift,
    GiftExchange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherSlip {
    pub header: SlipHeader,
    pub kind: VoucherKind,
    pub voucher_no: String,
    /// Masked already.
    pub card_masked: String,
    pub tier: Tier,
    /// The gift's name from the catalogue.
    pub gift: String,
    pub quantity: u32,
    /// Gift exchange: points deducted and the balance after; 0 / None for a birthday gift.
    #[serde(default)]
    pub points_used: i64,
    #[serde(default)]
    pub balance: Option<i64>,
    pub valid_until: NaiveDate,
}

pub fn voucher(v: &VoucherSlip, language: Language) -> Document {
    let l = labels(language);
    let (title, kind) = match v.kind {
        VoucherKind::BirthdayGift => (l.birthday_voucher_title, DocumentKind::BirthdayGiftVoucher),
        VoucherKind::GiftExchange => (l.exchange_voucher_title, DocumentKind::GiftExchangeVoucher),
    };
    let mut s = Slip::new();
    s.header(&v.header, title, l.counter, l.clerk, l.time);
    s.pair(l.voucher_no, v.voucher_no.as_str());
    s.rule();
    if v.kind == VoucherKind::BirthdayGift {
        s.center(l.happy_birthday, true);
    }
    s.pair_bold(l.gift, v.gift.as_str());
    s.pair(l.quantity, v.quantity.to_string());
    if v.points_used != 0 {
        s.pair(l.points_used, v.points_used.to_string());
    }
    if let Some(balance) = v.balance {
        s.pair(l.balance, balance.to_string());
    }
    s.card(l.card, &v.card_masked);
    s.pair(l.tier, l.tier_name(v.tier));
    s.pair_bold(l.valid_until, date(v.valid_until));
    s.rule();
    s.center(l.collect_at_lounge, false);
    s.center(l.valid_once, false);
    s.qr(&v.voucher_no);
    s.cut();
    s.finish(kind)
}
