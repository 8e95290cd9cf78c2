//! Members enrolled twice in the chain (R-ENR-3, found at sync while a store was offline):
//! the lounge's list of open flags with both members and their cards, and a clerk's
//! resolution. The sync never merges two members; a person decides (docs/sync.md §7).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::{member_view, MemberView, Reveal};
use super::FlowError;
use crate::action::Action;
use crate::kiosk::Kiosk;
use crate::store::replica::{self, DuplicateRow};

/// A duplicate-member flag with both members (personal data masked unless the role may read
/// it in full) and the live card each had when it was found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateFlag {
    pub id: i64,
    /// The ID document kind both members gave (the number is the same: the blind index).
    pub id_kind: String,
    pub found_at: String,
    pub card_a: Option<String>,
    pub card_b: Option<String>,
    pub member_a: MemberView,
    pub member_b: MemberView,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
}

/// How the lounge settled a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Two people after all (the blind index matched by a typing error on one side).
    NotDuplicate,
    /// The member was served at the counter (one card reported lost, replaced or kept).
    Handled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::NotDuplicate => "not_duplicate",
            Outcome::Handled => "handled",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        [Outcome::NotDuplicate, Outcome::Handled]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A clerk's decision on a flag.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    pub outcome: Outcome,
    /// At most 200 characters; no personal data (it is kept with the flag).
    #[serde(default)]
    pub note: Option<String>,
}

const NOTE_MAX: usize = 200;

async fn flag_of(k: &Kiosk, row: DuplicateRow, reveal: Reveal) -> Result<DuplicateFlag, FlowError> {
    Ok(DuplicateFlag {
        member_a: member_view(k, &row.member_a, reveal).await?,
        member_b: member_view(k, &row.member_b, reveal).await?,
        id: row.id,
        id_kind: row.id_kind,
        found_at: row.found_at,
        card_a: row.card_a,
        card_b: row.card_b,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        outcome: row.outcome.as_deref().and_then(Outcome::parse),
        note: row.note,
    })
}

/// The open flags, oldest first.
pub async fn open(k: &Kiosk, reveal: Reveal) -> Result<Vec<DuplicateFlag>, FlowError> {
    let rows = {
        let mut conn = k.db.reader.acquire().await?;
        replica::open_duplicates(&mut conn).await?
    };
    let mut flags = Vec::with_capacity(rows.len());
    for row in rows {
        flags.push(flag_of(k, row, reveal).await?);
    }
    Ok(flags)
}

/// Resolves flag `id` (the request's audit row says who). The same decision again answers
/// the flag as resolved (a retry); another decision on a resolved flag is a conflict.
pub async fn resolve(
    k: &Kiosk,
    by: &Action,
    id: i64,
    resolution: Resolution,
    reveal: Reveal,
) -> Result<DuplicateFlag, FlowError> {
    let note = resolution
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(FlowError::invalid(
            "note",
            format!("at most {NOTE_MAX} characters"),
        ));
    }
    let not_found = FlowError::NotFound {
        what: "duplicate-member flag",
        field: "flag_id",
    };
    let mut tx = k.db.writer.begin().await?;
    let resolved = replica::resolve_duplicate(
        &mut tx,
        id,
        &by.staff_id,
        resolution.outcome.as_str(),
        note,
        by.now,
    )
    .await?;
    let row = replica::duplicate(&mut tx, id).await?.ok_or(not_found)?;
    tx.commit().await?;
    if !resolved && row.outcome.as_deref() != Some(resolution.outcome.as_str()) {
        return Err(FlowError::conflict(
            super::ErrorCode::IdempotencyConflict,
            "this flag was resolved already, with another outcome",
            None,
            Some("outcome"),
        ));
    }
    if resolved {
        tracing::info!(
            flag = id,
            outcome = resolution.outcome.as_str(),
            "duplicate-member flag resolved"
        );
    }
    flag_of(k, row, reveal).await
}
