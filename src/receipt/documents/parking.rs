//! The lounge's parking tickets (R-SRV-1): one block per ticket, each cut off on its own so
//! the member can hand them in separately.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{date, Slip, SlipHeader};
use crate::domain::tier::Tier;
use crate::receipt::document::{Document, DocumentKind};
use crate::receipt::labels::{labels, sentences};
use crate::receipt::render::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkingSlip {
    pub header: SlipHeader,
    /// Masked already.
    pub card_masked: String,
    pub tier: Tier,
    /// The day the tickets are good for.
    pub valid_on: NaiveDate,
    pub hours_per_ticket: u32,
    /// One number per ticket (also its QR payload); their count is the number of tickets.
    pub ticket_nos: Vec<String>,
}

pub fn parking_tickets(p: &ParkingSlip, language: Language) -> Document {
    let l = labels(language);
    let mut s = Slip::new();
    let n = p.ticket_nos.len();
    for (i, ticket_no) in p.ticket_nos.iter().enumerate() {
        s.header(&p.header, l.parking_title, l.counter, l.clerk, l.time);
        s.rule();
        s.center(sentences::parking_hours(language, p.hours_per_ticket), true);
        s.pair(l.ticket_no, ticket_no.as_str());
        s.pair_bold(l.valid_on, date(p.valid_on));
        s.card(l.card, &p.card_masked);
        s.pair(l.tier, l.tier_name(p.tier));
        s.center(sentences::ticket_of(language, i + 1, n), false);
        s.qr(ticket_no);
        s.cut();
    }
    s.finish(DocumentKind::ParkingTickets)
}
