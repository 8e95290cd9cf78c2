//! Manual points adjustments (R-PTS-7, supervisor-approved): why points are added or taken
//! by hand, and the entry such an adjustment books.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ledger::{EntryKind, PlannedEntry};
use super::RuleViolation;

/// Why points are adjusted by hand (reported to head office with the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    /// A sale's points were not booked (card not read, system down).
    MissedEarning,
    /// Points were booked twice or on the wrong card.
    WrongBooking,
    /// A goodwill gesture after a complaint.
    Goodwill,
    /// Anything else: the note says what.
    Other,
}

impl AdjustmentReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentReason::MissedEarning => "missed_earning",
            AdjustmentReason::WrongBooking => "wrong_booking",
            AdjustmentReason::Goodwill => "goodwill",
            AdjustmentReason::Other => "other",
        }
    }
}

/// Largest adjustment either way: a typo of a few extra digits must not pass.
pub const MAX_ADJUSTMENT: i64 = 100_000;

/// The entry for adjusting a card whose balance is `balance` by `points` (signed). Refuses
/// zero, more than [`MAX_ADJUSTMENT`] either way, taking the balance below zero (R-PTS-7),
/// and `Other` without a note.
pub fn plan_adjustment(
    balance: i64,
    points: i64,
    reason: AdjustmentReason,
    note: Option<&str>,
) -> Result<PlannedEntry, RuleViolation> {
    if points == 0 || points.abs() > MAX_ADJUSTMENT {
        return Err(RuleViolation::new(
            "R-PTS-7",
            format!("an adjustment is 1 to {MAX_ADJUSTMENT} points either way"),
        )
        .on_field("points"));
    }
    if balance.saturating_add(points) < 0 {
        return Err(RuleViolation::new(
            "R-PTS-7",
            format!("the balance is {balance}: it cannot go below zero"),
        )
        .on_field("points"));
    }
    if reason == AdjustmentReason::Other && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(
            RuleViolation::new("R-PTS-7", "reason 'other' needs a note saying why")
                .on_field("note"),
        );
    }
    Ok(PlannedEntry {
        kind: EntryKind::Adjustment,
        points,
    })
}
