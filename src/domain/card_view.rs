//! What the counters and tills are shown about a card: the ledger's view of it (tier, state,
//! balance, why it can't be used) and the verdict on a card read at a reader. Plain data, built
//! by the flows and carried by the reader events.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::card_status::{CardState, Unusable};
use super::Tier;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnusableView {
    pub reason: Unusable,
    pub rule: &'static str,
    pub message: &'static str,
}

/// What the till and the counters see of a card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardView {
    pub card_number: String,
    pub member_id: String,
    pub member_name: String,
    pub tier: Tier,
    pub state: CardState,
    pub usable: bool,
    /// Why the card can't be used today, when it can't.
    pub unusable: Option<UnusableView>,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    pub generation: i64,
    pub replaced_by: Option<String>,
    pub balance: i64,
    /// R-PTS-5: today's earnings become redeemable tomorrow.
    pub redeemable_today: i64,
    /// R-PTS-9: points owed from refunds, paid first from future earnings.
    pub points_debt: i64,
    /// R-UPG-1: transaction-earned points counting toward the next tier.
    pub upgrade_points: i64,
    pub birthday_today: bool,
}

/// The distinct outcomes of reading a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No kiosk record: ready to be issued.
    Blank,
    /// A valid record (or UID) whose number this store's ledger does not know.
    Unknown,
    /// The MAC does not verify (or an unknown key): not written by this issuer.
    Forged,
    /// The record is damaged (CRC or format): the card needs replacing.
    Corrupted,
    Blocked,
    Replaced,
    Expired,
    Inactive,
    /// A replacement card valid from a later day.
    Pending,
    /// Reserved but never activated (an interrupted issue).
    NotIssued,
    /// A genuine card of another store (its record verifies under the chain's issuer keys)
    /// that is not on file here while head office is out of reach: it earns points at its
    /// record's tier, nothing else (see [`ForeignCard`]).
    EarnOnly,
    Active,
}

/// A card of another store accepted offline from its MAC-verified record (docs/sync.md
/// §9a): no balance and no birth date are known here, so it only earns, at the record's
/// tier; its points wait until the card arrives by sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ForeignCard {
    pub card_number: String,
    /// The record's tier: what the sale is priced at.
    pub tier: Tier,
    pub issuing_store: String,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    /// Always true: earning only, no redemption, no birthday rate.
    pub earn_only: bool,
    /// The rule a redemption on it is refused under (R-PTS-7: its balance is unknown here).
    pub rule: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardCheck {
    pub verdict: Verdict,
    pub usable: bool,
    pub message: String,
    /// The rule behind a refusal, if one applies.
    pub rule: Option<&'static str>,
    pub card_number: Option<String>,
    /// The ledger's view of the card (balance, tier, …) when the number is known.
    pub card: Option<CardView>,
    /// The card's record differs from the database (tier, term): rewrite it at the counter.
    pub needs_rewrite: bool,
    /// The card shows an older write than the last one made: possibly a copy (card-format.md).
    pub suspect_copy: bool,
    pub apdus: u32,
    /// Verdict `earn_only`: what the card's record says and what it may do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign: Option<ForeignCard>,
}
