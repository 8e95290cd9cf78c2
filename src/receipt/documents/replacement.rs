//! The desk's replacement slip: damaged or lost card, the fee (free for Gold and Platinum,
//! R-REP-3), the new card number and the day it starts to work (R-REP-5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{date, money, Slip, SlipHeader};
use crate::domain::replacement::ReplacementReason;
use crate::domain::tier::Tier;
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::labels;
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementSlip {
    pub header: SlipHeader,
    pub reason: ReplacementReason,
    /// Both masked already.
    pub old_card_masked: String,
    pub new_card_masked: String,
    pub tier: Tier,
    /// ¥0 prints as waived.
    pub fee: Decimal,
    /// R-REP-5: the new card works from the next day.
    pub new_card_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub points_moved: i64,
}

pub fn replacement_slip(r: &ReplacementSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&r.header, l.replacement_title, l.counter, l.clerk, l.time);
    s.pair(l.reason, l.replacement_reason(r.reason));
    s.rule();
    s.card(l.old_card, &r.old_card_masked);
    s.card(l.new_card, &r.new_card_masked);
    s.pair(l.tier, l.tier_name(r.tier));
    s.pair(l.points_moved, r.points_moved.to_string());
    s.pair_bold(l.new_card_from, date(r.new_card_from));
    s.pair(l.valid_until, date(r.valid_until));
    s.rule();
    let fee = if r.fee.is_zero() {
        l.fee_waived.to_owned()
    } else {
        money(r.fee)
    };
    s.pair_bold(l.fee, fee);
    s.center(l.old_number_void, false);
    s.cut();
    s.finish(DocumentKind::ReplacementSlip)
}
