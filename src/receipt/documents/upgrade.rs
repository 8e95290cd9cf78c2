//! The lounge's upgrade slip: old card for a new card of the higher tier, the qualifying
//! points (R-UPG-1) and the balance moved to the new card (R-UPG-4).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{date, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::{labels, sentences};
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeSlip {
    pub header: SlipHeader,
    /// Both masked already.
    pub old_card_masked: String,
    pub new_card_masked: String,
    pub from: Tier,
    pub to: Tier,
    /// R-UPG-1: transaction-earned points accumulated since issue.
    pub qualifying_points: i64,
    /// R-UPG-4: the whole balance, now on the new card.
    pub points_moved: i64,
    pub valid_until: NaiveDate,
}

pub fn upgrade_slip(u: &UpgradeSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    s.header(&u.header, l.upgrade_title, l.counter, l.clerk, l.time);
    s.rule();
    s.center(sentences::upgraded_to(language, l.tier_name(u.to)), true);
    s.card(l.old_card, &u.old_card_masked);
    s.card(l.new_card, &u.new_card_masked);
    s.pair(l.from_tier, l.tier_name(u.from));
    s.pair_bold(l.to_tier, l.tier_name(u.to));
    s.pair(l.qualifying_points, u.qualifying_points.to_string());
    s.pair(l.points_moved, u.points_moved.to_string());
    s.pair(l.valid_until, date(u.valid_until));
    s.rule();
    s.center(l.old_card_void, false);
    s.cut();
    s.finish(DocumentKind::UpgradeSlip)
}
