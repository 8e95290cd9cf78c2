//! Membership tiers (charter §1) and values that differ per tier.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A card's tier. Ordered by rank: `Vip < Gold < Platinum`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Vip,
    Gold,
    Platinum,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Vip, Tier::Gold, Tier::Platinum];

    pub fn rank(self) -> u8 {
        match self {
            Tier::Vip => 1,
            Tier::Gold => 2,
            Tier::Platinum => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Vip => "vip",
            Tier::Gold => "gold",
            Tier::Platinum => "platinum",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The next tier up, if any (VIP → Gold → Platinum).
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Vip => Some(Tier::Gold),
            Tier::Gold => Some(Tier::Platinum),
            Tier::Platinum => None,
        }
    }

    /// The tier below, if any (used by the annual downgrade).
    pub fn below(self) -> Option<Tier> {
        match self {
            Tier::Vip => None,
            Tier::Gold => Some(Tier::Vip),
            Tier::Platinum => Some(Tier::Gold),
        }
    }
}

/// One value per tier, e.g. a discount rate or a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PerTier<T> {
    pub vip: T,
    pub gold: T,
    pub platinum: T,
}

impl<T: Copy> PerTier<T> {
    pub fn get(&self, tier: Tier) -> T {
        match tier {
            Tier::Vip => self.vip,
            Tier::Gold => self.gold,
            Tier::Platinum => self.platinum,
        }
    }
}
