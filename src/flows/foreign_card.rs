//! A card of another store while head office is out of reach (issue 11 item 4, docs/sync.md
//! §9a): a card whose record verifies under the chain's issuer keys but is not on file is
//! accepted for earning only, at its record's tier (no balance and no birth date are known
//! here: no redemption, no birthday rate). Its points wait in `pending_card_points` and
//! become ledger entries, with their `ledger.entry` events, when the card arrives by sync.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqliteConnection;

use super::FlowError;
use crate::action::Action;
use crate::card::foreign::VerifiedRead;
use crate::card::reader::{CardRead, CardSeen};
use crate::card::record::{CardContent, Slot};
use crate::domain::basket::Basket;
use crate::domain::card_status::Unusable;
use crate::domain::card_view::{CardCheck, ForeignCard, Verdict};
use crate::domain::ledger::plan_earning;
use crate::domain::policy::Policy;
use crate::domain::quote::{quote, MemberContext, Quote};
use crate::domain::RuleViolation;
use crate::kiosk::Kiosk;
use crate::store::{self, ledger::Refs, pending_points};

/// The rule a redemption on such a card is refused under: its balance is unknown here, and
/// a balance can never go below zero.
const NO_REDEMPTION_RULE: &str = "R-PTS-7";

/// Earning only applies while the store is part of a chain and head office is out of
/// reach; online, an unknown card is asked of head office (`lookup::ensure_known`) and stays
/// unknown if head office does not know it either.
pub fn applies(k: &Kiosk) -> bool {
    k.head_office.is_some() && !k.sync.snapshot().online()
}

/// The verified record a counter may sell on for `card_number` (not on file): offline, and
/// read at one of this kiosk's readers within `card::foreign::VALID_FOR`.
pub fn earn_only(k: &Kiosk, card_number: &str) -> Option<VerifiedRead> {
    if !applies(k) {
        return None;
    }
    k.foreign_reads.recent(card_number, k.clock.now())
}

/// What the till is told about such a card.
pub fn note(slot: &Slot) -> ForeignCard {
    let id = &slot.identity;
    ForeignCard {
        card_number: id.card_number.clone(),
        tier: id.tier,
        issuing_store: id.issuing_store.clone(),
        valid_from: id.valid_from,
        expiry: id.expiry,
        earn_only: true,
        rule: NO_REDEMPTION_RULE,
        message: format!(
            "card of store {} not on file here and head office out of reach: it earns points at its card's tier ({}), credited when the card arrives by sync; no redemption, no birthday rate",
            id.issuing_store,
            id.tier.as_str()
        ),
    }
}

/// The refusal of a redemption on such a card.
pub fn no_redemption(slot: &Slot) -> FlowError {
    RuleViolation::new(
        NO_REDEMPTION_RULE,
        format!(
            "card of store {} not on file while head office is out of reach: its balance is unknown here, so it earns only (no redemption) until it arrives by sync",
            slot.identity.issuing_store
        ),
    )
    .on_field("redeem_points")
    .into()
}

/// The record's own term: a card whose record says it expired (or is not valid yet) is not
/// taken on its word.
fn usable_on(slot: &Slot, today: NaiveDate) -> Result<(), Unusable> {
    if today > slot.identity.expiry {
        Err(Unusable::Expired)
    } else if today < slot.identity.valid_from {
        Err(Unusable::Pending)
    } else {
        Ok(())
    }
}

/// The pricing context of such a card: the record's tier, nothing redeemable, no birth date.
pub fn context(slot: &Slot, today: NaiveDate) -> Result<MemberContext, FlowError> {
    usable_on(slot, today).map_err(FlowError::CardUnusable)?;
    Ok(MemberContext {
        tier: slot.identity.tier,
        birth_date: None,
        redeemable_points: 0,
        earned_today: 0,
    })
}

/// Prices a basket for such a card (redemption refused first).
pub fn price(
    policy: &Policy,
    basket: &Basket,
    slot: &Slot,
    today: NaiveDate,
) -> Result<Quote, FlowError> {
    if basket.redeem_points > 0 {
        return Err(no_redemption(slot));
    }
    let member = context(slot, today)?;
    let mut priced = quote(policy, basket, Some(&member), today)?;
    priced.foreign_card = Some(note(slot));
    Ok(priced)
}

/// A reader's answer for a card not on file (after head office was asked, if reachable):
/// offline, a record that verified is remembered and answered `earn_only`; None otherwise
/// (the caller answers "unknown" as before).
pub fn check_read(k: &Kiosk, read: &CardRead) -> Option<CardCheck> {
    if !applies(k) {
        return None;
    }
    let CardSeen::Iso(CardContent::Record { current, .. }) = &read.seen else {
        return None;
    };
    let mut check = CardCheck {
        verdict: Verdict::EarnOnly,
        usable: true,
        message: String::new(),
        rule: None,
        card_number: Some(current.identity.card_number.clone()),
        card: None,
        needs_rewrite: false,
        suspect_copy: false,
        apdus: read.apdus,
        foreign: None,
    };
    if let Err(u) = usable_on(current, k.today()) {
        check.verdict = if u == Unusable::Expired {
            Verdict::Expired
        } else {
            Verdict::Pending
        };
        check.usable = false;
        check.rule = Some(u.rule());
        check.message = format!("card of another store: {}", u.explain());
        return Some(check);
    }
    k.foreign_reads.remember(current.clone(), k.clock.now());
    let note = note(current);
    check.message = note.message.clone();
    check.foreign = Some(note);
    Some(check)
}

/// What a foreign-card sale leaves waiting, in the sale's transaction.
pub async fn leave_pending(
    conn: &mut SqliteConnection,
    action: &Action,
    sale_id: i64,
    receipt_no: &str,
    read: &VerifiedRead,
    points: i64,
) -> Result<(), FlowError> {
    let id = &read.slot.identity;
    pending_points::insert(
        conn,
        &pending_points::NewPending {
            sale_id,
            receipt_no,
            card_number: &id.card_number,
            tier: id.tier,
            points,
            business_day: action.today,
            staff_id: &action.staff_id,
            record_seq: read.slot.seq,
            key_id: read.slot.key_id,
        },
        action.now,
    )
    .await?;
    Ok(())
}

/// The card has arrived by sync (in the page's transaction, right after it was stored): the
/// points its sales left waiting become earn entries on its ledger, each with its
/// `ledger.entry` event, dated by the sale's business day (R-PTS-5), repaying the card's debt
/// first (R-PTS-9); the sales then name the card. Each sale's points are applied once
/// (`applied_at`). A card that arrives blocked or replaced still gets them: they were earned
/// before this store knew (R-REP-4). Returns the sales applied.
pub async fn apply_arrived(
    conn: &mut SqliteConnection,
    store_id: &str,
    card_number: &str,
    now: DateTime<Utc>,
) -> Result<usize, FlowError> {
    let waiting = pending_points::waiting(conn, card_number).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let Some(card) = store::cards::find(conn, card_number).await? else {
        return Ok(0);
    };
    let mut debt = card.points_debt;
    let mut applied = 0;
    for p in &waiting {
        if !pending_points::mark_applied(conn, p.sale_id, now).await? {
            continue;
        }
        let (entries, debt_left) = plan_earning(p.points - p.reversed, debt);
        let action = Action {
            store_id: store_id.to_owned(),
            staff_id: p.staff_id.clone(),
            role: None,
            workstation: "sync".into(),
            today: p.business_day,
            now,
        };
        store::ledger::append(
            conn,
            &action,
            card_number,
            &entries,
            Refs {
                sale_id: Some(p.sale_id),
                receipt_no: Some(&p.receipt_no),
                ..Refs::default()
            },
        )
        .await?;
        pending_points::link_sale(conn, p.sale_id, card_number, &card.member_id).await?;
        debt = debt_left;
        applied += 1;
    }
    if debt != card.points_debt {
        store::cards::set_debt(conn, card_number, debt).await?;
    }
    tracing::info!(
        sales = applied,
        "points of offline sales on a card of another store applied"
    );
    Ok(applied)
}
