//! The store → head-office event contract: one typed, versioned event per change a store
//! makes, its canonical encoding and the hash over it. The outbox stores exactly the text
//! [`Event::encode`] made, and head office reads it back with [`decode`]; an event of a
//! version this build does not know is kept as text and reported, never dropped
//! ([`Decoded::Unknown`]). `docs/events.md` lists every kind with its version.
//!
//! Canonical encoding: `serde_json` of these types, fields in declaration order, amounts as
//! decimal strings with exactly two places ([`Money`]), days `YYYY-MM-DD`, instants RFC 3339
//! UTC, free-form maps as sorted JSON objects (`serde_json::Value` keeps keys sorted). The hash
//! is SHA-256 over `kind`, `version` and that text ([`event_hash`]), so a store and head office
//! compute the same digest from the same bytes.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::card_status::CardState;
use super::ledger::EntryKind;
use super::tier::Tier;

/// An amount in yuan on the wire: always two decimal places (`"12.30"`), so one amount has
/// exactly one encoding and the hash never depends on a `Decimal`'s internal scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:.2}", self.0.round_dp(2)))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<Decimal>()
            .map(Money)
            .map_err(|_| serde::de::Error::custom("amount must be a decimal string"))
    }
}

/// A card's full row after a change: head office and other stores merge cards from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSnapshot {
    pub number: String,
    pub member_id: String,
    pub tier: Tier,
    pub state: CardState,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub lapsed_on: Option<NaiveDate>,
    pub generation: i64,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub upgrade_points_carried: i64,
    pub points_debt: i64,
    pub issued_store: String,
    pub issued_on: NaiveDate,
    /// Write sequence and issuer key of the record on the card: what a store that never saw
    /// the card checks an offline MAC-verified read against.
    pub record_seq: i64,
    pub record_key_id: Option<i64>,
}

/// The ID document of a member, the number sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedDocument {
    pub kind: String,
    /// Sealed (`v1:…`) with the chain's personal-data key.
    pub number: String,
}

/// A member's row as stored: personal data sealed, lookup keys (blind index) beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSnapshot {
    pub id: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    /// Sealed (`v1:…`).
    pub phone: String,
    pub id_document: SealedDocument,
    /// Sealed (`v1:…`).
    pub address: Option<String>,
    pub email: Option<String>,
    pub preferences: Option<String>,
    pub home_store: String,
    /// HMAC of the ID number under the chain's lookup key: equal in every store.
    pub id_lookup: Option<String>,
    pub phone_lookup: Option<String>,
}

/// One line of a committed sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub sku: String,
    pub class: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub gross: Money,
    pub discount: Money,
    pub net: Money,
    pub redemption: Money,
    pub redemption_points: i64,
    pub paid: Money,
    pub points_earned: i64,
}

/// One tender of a committed sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleTender {
    pub kind: String,
    pub amount: Money,
    pub cash_like: bool,
}

/// How a sale's redemption was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionAuthority {
    /// Head office confirmed it against the chain-wide balance before the commit.
    HeadOffice,
    /// Allowed offline within the card allowance and store budget (policy).
    Offline,
}

/// `sale.committed`: a sale as booked (its ledger entries follow as `ledger.entry` events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleCommitted {
    pub receipt_no: String,
    pub till_id: String,
    pub staff_id: String,
    pub business_day: NaiveDate,
    pub committed_at: DateTime<Utc>,
    pub card_number: Option<String>,
    pub member_id: Option<String>,
    pub tier: Option<Tier>,
    pub birthday: bool,
    pub group_purchase: bool,
    pub gross: Money,
    pub discount: Money,
    pub net: Money,
    pub redeem_points: i64,
    pub redeem_amount: Money,
    pub payable: Money,
    /// The cash-like part of the tenders (R-PAY-1): what proves same-day cash spend
    /// (R-ENR-4, R-EXP-2). A card year's spend (R-EXP-3) counts `payable`.
    pub cash: Money,
    pub points_earned: i64,
    pub policy_version: i64,
    pub redemption: Option<RedemptionAuthority>,
    pub lines: Vec<SaleLine>,
    pub tenders: Vec<SaleTender>,
}

/// One refunded line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub line_index: i64,
    pub quantity: i64,
    pub amount: Money,
    pub points_reversed: i64,
    pub points_restored: i64,
}

/// `refund.booked`: a refund against an earlier sale of this store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundBooked {
    pub refund_no: String,
    pub receipt_no: String,
    pub till_id: String,
    pub staff_id: String,
    pub business_day: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub amount: Money,
    /// The part that reverses cash-like tenders.
    pub cash: Money,
    pub card_number: Option<String>,
    pub points_reversed: i64,
    pub points_restored: i64,
    pub debt_added: i64,
    pub lines: Vec<RefundLine>,
}

/// `ledger.entry`: one signed points entry. A card's balance anywhere is the sum of these
/// over every store, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The entry's sequence in its store's ledger: (store, ledger_seq) names it chain-wide.
    pub ledger_seq: i64,
    pub card_number: String,
    pub kind: EntryKind,
    pub points: i64,
    pub business_day: NaiveDate,
    pub receipt_no: Option<String>,
    pub refund_no: Option<String>,
    pub related_card: Option<String>,
    pub staff_id: String,
    pub created_at: DateTime<Utc>,
}

/// Why a card changed: the card-event kinds a store records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardCause {
    Issued,
    Upgraded,
    LossReported,
    LossReportWithdrawn,
    Replaced,
    Reactivated,
    Renewed,
    Downgraded,
    Inactivated,
    Rewritten,
    PointsAdjusted,
    ReplacementFee,
}

/// `card.<cause>`: a card after a change, with the cause's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardChanged {
    pub card: CardSnapshot,
    pub staff_id: String,
    pub workstation: String,
    pub business_day: NaiveDate,
    pub at: DateTime<Utc>,
    /// The cause's own facts as recorded in the store's card events (sorted keys).
    pub detail: serde_json::Value,
}

/// `member.enrolled` and `member.changed`: the member's row as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecorded {
    pub member: MemberSnapshot,
    pub staff_id: String,
    pub at: DateTime<Utc>,
}

/// `member.contact_changed`: which contact fields changed (values are in the member event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChanged {
    pub member_id: String,
    pub fields: Vec<String>,
    pub staff_id: String,
    pub at: DateTime<Utc>,
}

/// `service.granted` and `gift.exchanged`: a gift, voucher or ticket handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGranted {
    /// The grant's id in its store.
    pub grant_id: i64,
    pub kind: String,
    pub card_number: String,
    pub member_id: String,
    pub business_day: NaiveDate,
    pub quantity: i64,
    pub detail: serde_json::Value,
    pub staff_id: String,
    pub workstation: String,
}

/// `staff.action`: one audit-trail row, as chained in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAction {
    pub seq: i64,
    pub at: String,
    pub staff_id: String,
    pub role: Option<String>,
    pub workstation: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub result: i64,
    pub prev_hash: String,
    pub hash: String,
    pub chain: i64,
}

/// Every event a store sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    SaleCommitted(SaleCommitted),
    RefundBooked(RefundBooked),
    LedgerEntry(LedgerEntry),
    MemberEnrolled(MemberRecorded),
    MemberChanged(MemberRecorded),
    ContactChanged(ContactChanged),
    Card(CardCause, CardChanged),
    ServiceGranted(ServiceGranted),
    GiftExchanged(ServiceGranted),
    StaffAction(StaffAction),
}

/// Every kind this build writes, with its current version: the contract `docs/events.md`
/// documents (a test keeps the two equal).
pub const KINDS: &[(&str, u32)] = &[
    ("sale.committed", 1),
    ("refund.booked", 1),
    ("ledger.entry", 1),
    ("member.enrolled", 1),
    ("member.changed", 1),
    ("member.contact_changed", 1),
    ("card.issued", 1),
    ("card.upgraded", 1),
    ("card.loss_reported", 1),
    ("card.loss_report_withdrawn", 1),
    ("card.replaced", 1),
    ("card.reactivated", 1),
    ("card.renewed", 1),
    ("card.downgraded", 1),
    ("card.inactivated", 1),
    ("card.rewritten", 1),
    ("card.points_adjusted", 1),
    ("card.replacement_fee", 1),
    ("service.granted", 1),
    ("gift.exchanged", 1),
    ("staff.action", 1),
];

impl CardCause {
    /// Every cause, for the kind table.
    pub const ALL: [CardCause; 12] = [
        CardCause::Issued,
        CardCause::Upgraded,
        CardCause::LossReported,
        CardCause::LossReportWithdrawn,
        CardCause::Replaced,
        CardCause::Reactivated,
        CardCause::Renewed,
        CardCause::Downgraded,
        CardCause::Inactivated,
        CardCause::Rewritten,
        CardCause::PointsAdjusted,
        CardCause::ReplacementFee,
    ];

    pub fn kind(self) -> &'static str {
        match self {
            CardCause::Issued => "card.issued",
            CardCause::Upgraded => "card.upgraded",
            CardCause::LossReported => "card.loss_reported",
            CardCause::LossReportWithdrawn => "card.loss_report_withdrawn",
            CardCause::Replaced => "card.replaced",
            CardCause::Reactivated => "card.reactivated",
            CardCause::Renewed => "card.renewed",
            CardCause::Downgraded => "card.downgraded",
            CardCause::Inactivated => "card.inactivated",
            CardCause::Rewritten => "card.rewritten",
            CardCause::PointsAdjusted => "card.points_adjusted",
            CardCause::ReplacementFee => "card.replacement_fee",
        }
    }
}

/// An event as it travels: kind, version, the canonical text and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub kind: &'static str,
    pub version: u32,
    pub payload: String,
    pub hash: String,
}

/// A payload could not be encoded (cannot happen for these types; kept typed, not unwrapped).
#[derive(Debug, thiserror::Error)]
#[error("event payload could not be encoded: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

impl Event {
    /// The event's kind on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SaleCommitted(_) => "sale.committed",
            Event::RefundBooked(_) => "refund.booked",
            Event::LedgerEntry(_) => "ledger.entry",
            Event::MemberEnrolled(_) => "member.enrolled",
            Event::MemberChanged(_) => "member.changed",
            Event::ContactChanged(_) => "member.contact_changed",
            Event::Card(cause, _) => cause.kind(),
            Event::ServiceGranted(_) => "service.granted",
            Event::GiftExchanged(_) => "gift.exchanged",
            Event::StaffAction(_) => "staff.action",
        }
    }

    /// The canonical text and hash of this event at its current version.
    pub fn encode(&self) -> Result<Encoded, EncodeError> {
        let payload = match self {
            Event::SaleCommitted(p) => serde_json::to_string(p)?,
            Event::RefundBooked(p) => serde_json::to_string(p)?,
            Event::LedgerEntry(p) => serde_json::to_string(p)?,
            Event::MemberEnrolled(p) | Event::MemberChanged(p) => serde_json::to_string(p)?,
            Event::ContactChanged(p) => serde_json::to_string(p)?,
            Event::Card(_, p) => serde_json::to_string(p)?,
            Event::ServiceGranted(p) | Event::GiftExchanged(p) => serde_json::to_string(p)?,
            Event::StaffAction(p) => serde_json::to_string(p)?,
        };
        let kind = self.kind();
        let version = 1;
        Ok(Encoded {
            kind,
            version,
            hash: event_hash(kind, version, &payload),
            payload,
        })
    }
}

/// SHA-256 (lower-case hex) over `kind`, a newline, `version`, a newline and the payload text.
pub fn event_hash(kind: &str, version: u32, payload: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(kind.as_bytes());
    digest.update(b"\n");
    digest.update(version.to_string().as_bytes());
    digest.update(b"\n");
    digest.update(payload.as_bytes());
    hex::encode(digest.finalize())
}

/// What a received event turned out to be.
// Decoded once per event and consumed at once: boxing the known event would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Known(Event),
    /// A kind or version this build does not know (a newer store, or a pre-contract row):
    /// kept as received and reported, never dropped.
    Unknown,
}

/// A known kind and version whose payload does not parse: a corrupt or forged event.
#[derive(Debug, thiserror::Error)]
#[error("{kind} v{version}: payload does not match its contract: {source}")]
pub struct DecodeError {
    pub kind: String,
    pub version: u32,
    pub source: serde_json::Error,
}

/// Reads an event back from its kind, version and text.
pub fn decode(kind: &str, version: u32, payload: &str) -> Result<Decoded, DecodeError> {
    if version != 1 {
        return Ok(Decoded::Unknown);
    }
    let parse = |e: serde_json::Error| DecodeError {
        kind: kind.to_owned(),
        version,
        source: e,
    };
    let event = match kind {
        "sale.committed" => Event::SaleCommitted(serde_json::from_str(payload).map_err(parse)?),
        "refund.booked" => Event::RefundBooked(serde_json::from_str(payload).map_err(parse)?),
        "ledger.entry" => Event::LedgerEntry(serde_json::from_str(payload).map_err(parse)?),
        "member.enrolled" => Event::MemberEnrolled(serde_json::from_str(payload).map_err(parse)?),
        "member.changed" => Event::MemberChanged(serde_json::from_str(payload).map_err(parse)?),
        "member.contact_changed" => {
            Event::ContactChanged(serde_json::from_str(payload).map_err(parse)?)
        }
        "service.granted" => Event::ServiceGranted(serde_json::from_str(payload).map_err(parse)?),
        "gift.exchanged" => Event::GiftExchanged(serde_json::from_str(payload).map_err(parse)?),
        "staff.action" => Event::StaffAction(serde_json::from_str(payload).map_err(parse)?),
        other => match CardCause::ALL.into_iter().find(|c| c.kind() == other) {
            Some(cause) => Event::Card(cause, serde_json::from_str(payload).map_err(parse)?),
            None => return Ok(Decoded::Unknown),
        },
    };
    Ok(Decoded::Known(event))
}

/// Card-state precedence for merging copies of one card from several stores: a later
/// state in this order always wins, so no merge returns a blocked or replaced card to active.
pub fn state_precedence(state: CardState) -> u8 {
    match state {
        CardState::Reserved => 0,
        CardState::Active | CardState::Inactive => 1,
        CardState::Blocked => 2,
        CardState::Replaced => 3,
        CardState::Void => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn entry() -> Event {
        Event::LedgerEntry(LedgerEntry {
            ledger_seq: 7,
            card_number: "880001000000018".into(),
            kind: EntryKind::Earn,
            points: 120,
            business_day: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default(),
            receipt_no: Some("R1".into()),
            refund_no: None,
            related_card: None,
            staff_id: "s-1".into(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        })
    }

    #[test]
    fn money_has_one_encoding_whatever_the_scale() {
        let a = serde_json::to_string(&Money(dec!(12.3))).unwrap_or_default();
        let b = serde_json::to_string(&Money(dec!(12.300))).unwrap_or_default();
        assert_eq!(a, "\"12.30\"");
        assert_eq!(a, b);
    }

    #[test]
    fn an_event_round_trips_and_its_hash_is_stable() {
        let encoded = entry().encode().expect("encodes");
        assert_eq!(encoded.kind, "ledger.entry");
        assert_eq!(
            encoded.hash,
            event_hash("ledger.entry", 1, &encoded.payload),
            "hash over kind, version and the exact text"
        );
        match decode(encoded.kind, encoded.version, &encoded.payload).expect("decodes") {
            Decoded::Known(event) => assert_eq!(event, entry()),
            Decoded::Unknown => panic!("a known kind"),
        }
    }

    #[test]
    fn an_unknown_version_or_kind_is_kept_not_an_error() {
        assert_eq!(
            decode("ledger.entry", 2, "{\"anything\":1}").expect("kept"),
            Decoded::Unknown
        );
        assert_eq!(
            decode("loyalty.new_thing", 1, "{}").expect("kept"),
            Decoded::Unknown
        );
        assert!(decode("ledger.entry", 1, "{\"points\":\"x\"}").is_err());
    }

    #[test]
    fn every_card_cause_is_in_the_kind_table() {
        for cause in CardCause::ALL {
            assert!(KINDS.iter().any(|(k, _)| *k == cause.kind()), "{cause:?}");
        }
    }

    #[test]
    fn precedence_never_returns_a_blocked_or_replaced_card_to_active() {
        assert!(state_precedence(CardState::Blocked) > state_precedence(CardState::Active));
        assert!(state_precedence(CardState::Replaced) > state_precedence(CardState::Blocked));
    }
}
