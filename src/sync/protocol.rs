//! The wire protocol between a store's sync task and head office (`/sync/v1/…`, JSON over
//! TLS, the store's credential as a bearer token). Shared by the client (`sync::client`) and
//! the server (`headoffice`), so the two can't drift apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::events::{CardSnapshot, MemberSnapshot};
use crate::domain::ledger::EntryKind;

/// Most events in one push.
pub const MAX_BATCH: usize = 1000;

/// One outbox row as sent: keyed by (store, seq), carrying its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEvent {
    pub seq: i64,
    pub kind: String,
    pub version: u32,
    /// The canonical payload text, exactly as stored in the outbox.
    pub payload: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /sync/v1/push`. `store_id` must be the credential's store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub store_id: String,
    pub events: Vec<SentEvent>,
}

/// The answer to a push: what head office now holds of this store's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswer {
    /// Highest seq such that every seq ≤ it from this store is stored at head office: the
    /// store marks everything up to here acknowledged.
    pub high_water: i64,
    /// Events of this push that were new (the rest were already there, same hash).
    pub inserted: u32,
}

/// The 409 body when a (store, seq) is already stored with a different hash: never
/// overwritten, an alarm on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub seq: i64,
    pub stored_hash: String,
    pub sent_hash: String,
}

/// `GET /sync/v1/changes?after=<cursor>&limit=<n>`: head office's change feed, in cursor
/// order, leaving out changes that came from the asking store's own events.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangesAnswer {
    pub changes: Vec<Change>,
    /// The cursor to ask from next (the last change's id, or `after` when none).
    pub next: i64,
    /// Head office's clock when it answered (the store's hotlist freshness is measured by
    /// its own clock at receipt; this is for display and lag).
    pub at: DateTime<Utc>,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: i64,
    /// The store whose event caused the change (`None`: head office itself — the annual
    /// review, a policy, a key).
    pub origin: Option<String>,
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeBody {
    /// A member as head office holds it (sealed, chain-wide keys).
    Member { member: MemberSnapshot },
    /// A card as merged at head office (state by precedence): hotlist entries are cards
    /// whose state is blocked or replaced.
    Card {
        card: CardSnapshot,
        /// True only for an explicit withdrawal of a loss report by the store that took it:
        /// the one case a blocked card may become active again (an event, never a merge).
        withdrawal: bool,
    },
    /// A points entry of another store: balances are the sum of these, in any order.
    Points {
        store_id: String,
        ledger_seq: i64,
        card_number: String,
        kind: EntryKind,
        points: i64,
        business_day: NaiveDate,
    },
    /// A policy version (the body as the kiosk's Policy JSON).
    Policy {
        version: i64,
        effective_from: NaiveDate,
        body: serde_json::Value,
    },
    /// Offline overdraft flagged as debt on a card at head office.
    Debt { card_number: String, points: i64 },
}

/// `POST /sync/v1/redemptions`: confirm a redemption against the chain-wide balance before
/// the sale commits. Idempotent by (store, receipt_no).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedemptionRequest {
    pub card_number: String,
    pub receipt_no: String,
    pub points: i64,
    /// The sum of this store's ledger entries on the card not yet acknowledged by head
    /// office (head office can't know them yet; the store is their authority).
    pub unacknowledged_delta: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionAnswer {
    pub approved: bool,
    /// Chain-wide balance before this redemption (including open holds of other sales).
    pub balance: i64,
}

/// `POST /sync/v1/enrolment-check`: is this person already a member anywhere in the chain
/// (R-ENR-3)? Asked by the blind-index key only, never the ID number itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolmentCheck {
    pub id_kind: String,
    pub id_lookup: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentCheckAnswer {
    pub members: Vec<KnownMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownMember {
    pub member_id: String,
    pub home_store: String,
    /// The member's live (active or inactive) card, if any.
    pub live_card: Option<String>,
}

/// `GET /sync/v1/keys`: the chain's issuer keys (cards issued anywhere verify everywhere)
/// and the current one; a store merges them into its key file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainKeys {
    pub current: u8,
    /// (key id, 64 hex characters).
    pub issuer_keys: Vec<(u8, String)>,
}

/// `GET /sync/v1/status`: what head office holds of the asking store's log. A store rebuilt
/// from head office (`restore-from-head-office`) continues its outbox after `max_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub store_id: String,
    /// Every seq up to this one is at head office.
    pub high_water: i64,
    /// The highest seq stored (above `high_water` only if a gap was never filled).
    pub max_seq: i64,
}

/// Any head-office error body: the same `{error, code}` shape as the kiosk's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}
