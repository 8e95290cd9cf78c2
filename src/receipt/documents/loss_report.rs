//! The desk's loss-report confirmation: the card is blocked at once, and the member has
//! until the deadline (report day + 7) to come in with ID for a new card (R-REP-2, R-REP-4).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{date, date_time, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Align, Document, DocumentKind};
use crate::receipt::labels::{labels, sentences};
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossReportSlip {
    pub header: SlipHeader,
    pub report_no: String,
    /// Masked already.
    pub card_masked: String,
    pub tier: Tier,
    /// When the loss was reported (by phone or at the desk), store-local time.
    pub reported_at: NaiveDateTime,
    /// R-REP-2: the last day to complete the report (7 days after it).
    pub deadline: NaiveDate,
}

pub fn loss_report_confirmation(r: &LossReportSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&r.header, l.loss_title, l.counter, l.clerk, l.time);
    s.pair(l.report_no, r.report_no.as_str());
    s.rule();
    s.card(l.card, &r.card_masked);
    s.pair(l.tier, l.tier_name(r.tier));
    s.pair(l.reported_at, date_time(r.reported_at));
    s.pair_bold(l.complete_by, date(r.deadline));
    s.rule();
    s.text(l.card_blocked, Align::Left, true);
    s.text(
        sentences::loss_deadline(language, &date(r.deadline)),
        Align::Left,
        false,
    );
    s.text(l.blocked_after_deadline, Align::Left, false);
    s.text(l.points_used_stay_used, Align::Left, false);
    s.cut();
    s.finish(DocumentKind::LossReportConfirmation)
}
