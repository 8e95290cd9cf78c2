//! Whether a card can be used today, and if not, why (lookup, checkout, every flow).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tier::Tier;

/// A card's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Number reserved, card being written (two-phase issue); not usable.
    Reserved,
    Active,
    /// R-EXP-1: VIP card unused for a year.
    Inactive,
    /// R-REP-2: reported lost; never unblocked automatically.
    Blocked,
    /// Exchanged for a newer card (upgrade, damage, completed loss); never valid again.
    Replaced,
    /// A reservation that was abandoned (card write failed); the number stays consumed.
    Void,
}

impl CardState {
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Reserved => "reserved",
            CardState::Active => "active",
            CardState::Inactive => "inactive",
            CardState::Blocked => "blocked",
            CardState::Replaced => "replaced",
            CardState::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<CardState> {
        [
            CardState::Reserved,
            CardState::Active,
            CardState::Inactive,
            CardState::Blocked,
            CardState::Replaced,
            CardState::Void,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// What the rules need to know about a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardFacts {
    pub state: CardState,
    pub tier: Tier,
    pub valid_from: NaiveDate,
    pub expiry: NaiveDate,
    /// Day an inactive card lapsed (R-EXP-1/2).
    pub lapsed_on: Option<NaiveDate>,
}

/// Why a card can't be used, for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unusable {
    /// Reported lost (R-REP-2/6).
    Blocked,
    /// Replaced by a newer card (R-REP-5, R-UPG-2).
    Replaced,
    /// R-EXP-1: inactive VIP card.
    Inactive,
    /// R-ENR-7: past expiry and not renewed.
    Expired,
    /// R-REP-5: replacement card valid from a later day.
    Pending,
    /// Still being issued, or abandoned.
    NotIssued,
}

impl Unusable {
    /// The rule that makes the card unusable.
    pub fn rule(self) -> &'static str {
        match self {
            Unusable::Blocked => "R-REP-2",
            Unusable::Replaced => "R-REP-5",
            Unusable::Inactive => "R-EXP-1",
            Unusable::Expired => "R-ENR-7",
            Unusable::Pending => "R-REP-5",
            Unusable::NotIssued => "R-ENR-3",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            Unusable::Blocked => "card reported lost and blocked",
            Unusable::Replaced => "card replaced by a newer card",
            Unusable::Inactive => "card inactive: no purchase for a year",
            Unusable::Expired => "card expired",
            Unusable::Pending => "replacement card valid from a later day",
            Unusable::NotIssued => "card not issued",
        }
    }
}

/// `Ok(())` when the card can be used for a sale on `today`, else why not.
pub fn usability(card: &CardFacts, today: NaiveDate) -> Result<(), Unusable> {
    match card.state {
        CardState::Blocked => Err(Unusable::Blocked),
        CardState::Replaced => Err(Unusable::Replaced),
        CardState::Inactive => Err(Unusable::Inactive),
        CardState::Reserved | CardState::Void => Err(Unusable::NotIssued),
        CardState::Active if today < card.valid_from => Err(Unusable::Pending),
        CardState::Active if today > card.expiry => Err(Unusable::Expired),
        CardState::Active => Ok(()),
    }
}
