//! Card lookup (R-SRV-4): member, tier, status with the reason when not usable, balance,
//! points redeemable today and the birthday flag; also the shared "load a card" steps.

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use super::FlowError;
use crate::domain::birthday::is_birthday;
use crate::domain::card_number::CardNumber;
use crate::domain::card_status::usability;
pub use crate::domain::card_view::{CardView, UnusableView};
use crate::domain::ledger::{self, Standing};
use crate::domain::quote::MemberContext;
use crate::kiosk::Kiosk;
use crate::store::cards::Card;
use crate::store::members::Member;
use crate::store::sealed::Sealer;
use crate::store::{self};

/// Parses a card number typed or read at a counter (400 with field `card_number` if bad).
pub fn parse_card_number(raw: &str) -> Result<CardNumber, FlowError> {
    CardNumber::parse(raw).map_err(|e| FlowError::invalid("card_number", e.to_string()))
}

/// The card and its member, or 404.
pub async fn load_card(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    number: &CardNumber,
) -> Result<(Card, Member), FlowError> {
    store::cards::find_with_member(conn, sealer, number.as_str())
        .await?
        .ok_or(FlowError::NotFound {
            what: "card",
            field: "card_number",
        })
}

/// Makes sure a card number is on file before a counter is told it is unknown: a card
/// issued in another store is pulled from head office now when it is reachable
/// (`sync_apply::pull_now`). True if the card is on file (now).
pub async fn ensure_known(k: &Kiosk, number: &str) -> Result<bool, FlowError> {
    if on_file(k, number).await? {
        return Ok(true);
    }
    if super::sync_apply::pull_now(k).await == 0 {
        return Ok(false);
    }
    on_file(k, number).await
}

async fn on_file(k: &Kiosk, number: &str) -> Result<bool, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    Ok(store::cards::find(&mut conn, number).await?.is_some())
}

/// The pricing context of a card usable today, from its points `standing` on that day; a
/// card that isn't usable is refused with the rule that says why.
pub fn member_context(
    card: &Card,
    member: &Member,
    standing: &Standing,
    today: NaiveDate,
) -> Result<MemberContext, FlowError> {
    usability(&card.facts(), today).map_err(FlowError::CardUnusable)?;
    let redeemable_points = standing.redeemable();
    Ok(MemberContext {
        tier: card.tier,
        birth_date: Some(member.birth_date),
        redeemable_points,
        earned_today: standing.balance.max(0) - redeemable_points,
    })
}

pub async fn view(
    conn: &mut SqliteConnection,
    card: &Card,
    member: &Member,
    today: NaiveDate,
) -> Result<CardView, FlowError> {
    let entries = store::ledger::entries(conn, &card.number).await?;
    let unusable = usability(&card.facts(), today).err();
    Ok(CardView {
        card_number: card.number.clone(),
        member_id: member.id.clone(),
        member_name: member.name.clone(),
        tier: card.tier,
        state: card.state,
        usable: unusable.is_none(),
        unusable: unusable.map(|u| UnusableView {
            reason: u,
            rule: u.rule(),
            message: u.explain(),
        }),
        valid_from: card.valid_from,
        expiry: card.expiry,
        generation: card.generation,
        replaced_by: card.replaced_by.clone(),
        balance: ledger::balance(&entries),
        redeemable_today: if unusable.is_none() {
            ledger::redeemable_on(&entries, today)
        } else {
            0
        },
        points_debt: card.points_debt,
        upgrade_points: ledger::upgrade_points(
            card.upgrade_points_carried,
            card.points_debt,
            &entries,
        ),
        birthday_today: is_birthday(member.birth_date, today),
    })
}

/// GET a card by number.
pub async fn lookup(k: &Kiosk, raw_number: &str) -> Result<CardView, FlowError> {
    let number = parse_card_number(raw_number)?;
    ensure_known(k, number.as_str()).await?;
    let mut conn = k.db.reader.acquire().await?;
    let (card, member) = load_card(&mut conn, &k.sealer, &number).await?;
    view(&mut conn, &card, &member, k.today()).await
}
