//! What the card in a reader is: the verified record (or the UID) → card number → the
//! database's word, with the reason the operator sees. The database is the truth: a blocked
//! card is refused whatever the card itself says (R-REP-2/6).

use sqlx::SqliteConnection;

use super::lookup::view;
use super::FlowError;
use crate::card::reader::{CardRead, CardSeen};
use crate::card::record::{CardContent, CardIdentity, Damage};
use crate::domain::card_status::{usability, CardState, Unusable};
pub use crate::domain::card_view::{CardCheck, Verdict};
use crate::kiosk::Kiosk;
use crate::store::sealed::Sealer;
use crate::store::{self, cards::Card};

fn plain(verdict: Verdict, message: &str, apdus: u32) -> CardCheck {
    CardCheck {
        verdict,
        usable: false,
        message: message.into(),
        rule: None,
        card_number: None,
        card: None,
        needs_rewrite: false,
        suspect_copy: false,
        apdus,
        foreign: None,
    }
}

/// Judges a read against the ledger.
pub async fn check(k: &Kiosk, read: &CardRead) -> Result<CardCheck, FlowError> {
    let first = {
        let mut conn = k.db.reader.acquire().await?;
        check_in(&mut conn, &k.sealer, read, k.today()).await?
    };
    // A genuine card unknown here (issued in another store): head office is asked now.
    let Some(number) = first
        .card_number
        .as_deref()
        .filter(|_| first.verdict == Verdict::Unknown)
    else {
        return Ok(first);
    };
    if !super::lookup::ensure_known(k, number).await? {
        // Offline, a genuine record of another store's card earns (docs/sync.md §9a).
        return Ok(super::foreign_card::check_read(k, read).unwrap_or(first));
    }
    let mut conn = k.db.reader.acquire().await?;
    check_in(&mut conn, &k.sealer, read, k.today()).await
}

pub async fn check_in(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    read: &CardRead,
    today: chrono::NaiveDate,
) -> Result<CardCheck, FlowError> {
    let (number, identity, seq) = match &read.seen {
        CardSeen::Iso(CardContent::Blank) => {
            return Ok(plain(
                Verdict::Blank,
                "blank card: ready to issue",
                read.apdus,
            ))
        }
        CardSeen::Iso(CardContent::Forged(damage)) => {
            let why = if *damage == Damage::UnknownKey {
                "signed with a key this store does not have"
            } else {
                "its seal (MAC) does not verify"
            };
            return Ok(plain(
                Verdict::Forged,
                &format!("not a genuine member card: {why}"),
                read.apdus,
            ));
        }
        CardSeen::Iso(CardContent::Corrupted(_)) => {
            return Ok(plain(
                Verdict::Corrupted,
                "card record damaged: replace the card (R-REP-1)",
                read.apdus,
            ))
        }
        CardSeen::Iso(CardContent::Record { current, .. }) => (
            current.identity.card_number.clone(),
            Some(&current.identity),
            current.seq,
        ),
        CardSeen::Contactless { uid } => {
            match store::card_tokens::card_for(conn, &hex::encode_upper(uid)).await? {
                Some(number) => (number, None, 0),
                None => {
                    return Ok(plain(
                        Verdict::Unknown,
                        "contactless card not bound to any member card",
                        read.apdus,
                    ))
                }
            }
        }
    };
    let Some((card, member)) = store::cards::find_with_member(conn, sealer, &number).await? else {
        let mut c = plain(
            Verdict::Unknown,
            "card number not in this store's ledger",
            read.apdus,
        );
        c.card_number = Some(number);
        return Ok(c);
    };
    let (verdict, rule) = verdict_of(&card, today);
    let view = view(conn, &card, &member, today).await?;
    Ok(CardCheck {
        verdict,
        usable: verdict == Verdict::Active,
        message: match verdict {
            Verdict::Active => "card valid".to_string(),
            Verdict::NotIssued => "card issue was interrupted: issue it again".to_string(),
            _ => view
                .unusable
                .as_ref()
                .map(|u| u.message.to_string())
                .unwrap_or_default(),
        },
        rule,
        card_number: Some(number),
        needs_rewrite: identity.is_some_and(|i| differs(i, &card)),
        suspect_copy: identity.is_some() && i64::from(seq) < card.record_seq,
        card: Some(view),
        apdus: read.apdus,
        foreign: None,
    })
}

fn verdict_of(card: &Card, today: chrono::NaiveDate) -> (Verdict, Option<&'static str>) {
    if matches!(card.state, CardState::Reserved | CardState::Void) {
        return (Verdict::NotIssued, None);
    }
    match usability(&card.facts(), today) {
        Ok(()) => (Verdict::Active, None),
        Err(u) => (
            match u {
                Unusable::Blocked => Verdict::Blocked,
                Unusable::Replaced => Verdict::Replaced,
                Unusable::Inactive => Verdict::Inactive,
                Unusable::Expired => Verdict::Expired,
                Unusable::Pending => Verdict::Pending,
                Unusable::NotIssued => Verdict::NotIssued,
            },
            Some(u.rule()),
        ),
    }
}

/// The card's record as the database says it should be.
pub fn identity_of(card: &Card) -> CardIdentity {
    CardIdentity {
        card_number: card.number.clone(),
        generation: u32::try_from(card.generation).unwrap_or(u32::MAX),
        tier: card.tier,
        valid_from: card.valid_from,
        expiry: card.expiry,
        issuing_store: card.issued_store.clone(),
    }
}

fn differs(on_card: &CardIdentity, card: &Card) -> bool {
    on_card != &identity_of(card)
}
