//! The lounge's enrolment slip (the new card, its year, the qualifying same-day cash
//! receipts) and, for Gold and Platinum, the welcome-gift voucher (R-ENR-6) printed after it.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{date, money, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Align, Document, DocumentKind};
use crate::receipt::labels::labels;
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentSlip {
    pub header: SlipHeader,
    /// Masked already.
    pub card_masked: String,
    pub tier: Tier,
    pub issued_on: NaiveDate,
    /// R-ENR-7: issue date + 1 year − 1 day.
    pub valid_until: NaiveDate,
    /// R-ENR-4: the receipts that qualified, and their cash total.
    pub qualifying_receipts: Vec<String>,
    pub qualifying_cash: Decimal,
    /// R-ENR-6: Gold and Platinum only; None prints no voucher.
    pub welcome_gift: Option<WelcomeGift>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeGift {
    pub voucher_no: String,
    /// What the voucher is exchanged for, e.g. "精美保温杯一个".
    pub gift: String,
    pub valid_until: NaiveDate,
}

pub fn enrolment_slip(e: &EnrolmentSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&e.header, l.enrolment_title, l.counter, l.clerk, l.time);
    s.rule();
    s.center(l.welcome, true);
    s.card(l.card, &e.card_masked);
    s.pair(l.tier, l.tier_name(e.tier));
    s.pair(l.issued_on, date(e.issued_on));
    s.pair(l.valid_until, date(e.valid_until));
    s.rule();
    s.pair(l.qualifying_cash, money(e.qualifying_cash));
    s.text(l.qualifying_receipts, Align::Left, false);
    for receipt in &e.qualifying_receipts {
        s.text(format!("  {receipt}"), Align::Left, false);
    }
    if e.welcome_gift.is_some() {
        s.rule();
        s.center(l.welcome_gift_follows, true);
    }
    s.cut();
    s.finish(DocumentKind::EnrolmentSlip)
}

/// The welcome-gift voucher, when the enrolment carries one (Gold and Platinum).
pub fn welcome_gift_voucher(e: &EnrolmentSlip, language: Language) -> Option<Document> {
    let gift = e.welcome_gift.as_ref()?;
    let l = labels(language);
    let mut s = Slip::new();
    s.header(
        &e.header,
        l.welcome_voucher_title,
        l.counter,
        l.clerk,
        l.time,
    );
    s.pair(l.voucher_no, gift.voucher_no.as_str());
    s.rule();
    s.center(gift.gift.as_str(), true);
    s.card(l.card, &e.card_masked);
    s.pair(l.tier, l.tier_name(e.tier));
    s.pair_bold(l.valid_until, date(gift.valid_until));
    s.rule();
    s.center(l.collect_at_lounge, false);
    s.center(l.valid_once, false);
    s.qr(&gift.voucher_no);
    s.cut();
    Some(s.finish(DocumentKind::WelcomeGiftVoucher))
}
