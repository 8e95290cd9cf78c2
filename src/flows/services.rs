//! Lounge services (R-SRV-1..3, R-PTS-6): parking tickets, the birthday gift, gift exchange
//! for points, and the daily birthday greeting list.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::lookup::{load_card, parse_card_number};
use super::FlowError;
use crate::action::Action;
use crate::domain::birthday::birthday_in_year;
use crate::domain::card_status::usability;
use crate::domain::gift_exchange::{check_exchange, Gift};
use crate::domain::ledger::{redeemable_on, EntryKind, PlannedEntry};
use crate::domain::services::{check_birthday_gift, on_greeting_list, parking_tickets};
use crate::domain::Tier;
use crate::kiosk::Kiosk;
use crate::store::sealed::Sealer;
use crate::store::{self, cards::Card, ledger::Refs, members::Member, service_grants::GrantKind};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantResult {
    pub grant_id: i64,
    pub card_number: String,
    pub tier: Tier,
    pub kind: String,
    pub quantity: i64,
    pub business_day: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftExchangeRequest {
    pub gift_code: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GiftExchangeResult {
    #[serde(flatten)]
    pub grant: GrantResult,
    pub gift_code: String,
    /// The catalogue name printed on the voucher.
    pub gift_name: String,
    pub points: i64,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Greeting {
    pub member_id: String,
    pub name: String,
    pub card_number: Option<String>,
    pub tier: Option<Tier>,
}

/// A card usable today, with its member, inside the caller's transaction.
async fn usable_card(
    conn: &mut sqlx::SqliteConnection,
    sealer: &Sealer,
    raw_number: &str,
    today: NaiveDate,
) -> Result<(Card, Member), FlowError> {
    let (card, member) = load_card(conn, sealer, &parse_card_number(raw_number)?).await?;
    usability(&card.facts(), today).map_err(FlowError::CardUnusable)?;
    Ok((card, member))
}

fn granted(id: i64, card: &Card, kind: GrantKind, quantity: i64, today: NaiveDate) -> GrantResult {
    GrantResult {
        grant_id: id,
        card_number: card.number.clone(),
        tier: card.tier,
        kind: kind.as_str().into(),
        quantity,
        business_day: today,
    }
}

/// R-SRV-1: parking tickets, once per card per day.
pub async fn parking(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
) -> Result<GrantResult, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    let (card, member) = usable_card(&mut tx, &k.sealer, raw_number, action.today).await?;
    let already = store::service_grants::parking_given(&mut tx, &card.number, action.today).await?;
    let tickets = i64::from(parking_tickets(
        &k.policy(action.today),
        card.tier,
        already,
    )?);
    let id = store::service_grants::record(
        &mut tx,
        action,
        GrantKind::Parking,
        &card.number,
        &member.id,
        tickets,
        &json!({ "hours_each": 1 }),
    )
    .await?;
    tx.commit().await?;
    Ok(granted(
        id,
        &card,
        GrantKind::Parking,
        tickets,
        action.today,
    ))
}

/// R-SRV-2: the yearly birthday gift.
pub async fn birthday_gift(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
) -> Result<GrantResult, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    let (card, member) = usable_card(&mut tx, &k.sealer, raw_number, action.today).await?;
    let given =
        store::service_grants::birthday_gift_given(&mut tx, &member.id, action.today.year())
            .await?;
    check_birthday_gift(
        &k.policy(action.today),
        card.tier,
        member.birth_date,
        given,
        action.today,
    )?;
    let id = store::service_grants::record(
        &mut tx,
        action,
        GrantKind::BirthdayGift,
        &card.number,
        &member.id,
        1,
        &json!({ "year": action.today.year() }),
    )
    .await?;
    tx.commit().await?;
    Ok(granted(id, &card, GrantKind::BirthdayGift, 1, action.today))
}

/// R-PTS-6: exchange points for a catalogue gift.
pub async fn exchange_gift(
    k: &Kiosk,
    action: &Action,
    raw_number: &str,
    req: GiftExchangeRequest,
) -> Result<GiftExchangeResult, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    let (card, member) = usable_card(&mut tx, &k.sealer, raw_number, action.today).await?;
    let gift = store::gifts::find(&mut tx, &req.gift_code)
        .await?
        .ok_or(FlowError::NotFound {
            what: "gift",
            field: "gift_code",
        })?;
    // R-PTS-5 holds for gifts too: points earned today are spendable from tomorrow.
    let redeemable = redeemable_on(
        &store::ledger::entries(&mut tx, &card.number).await?,
        action.today,
    );
    let points = check_exchange(&gift, req.quantity, redeemable, action.today)?;
    let quantity = i64::from(req.quantity);
    store::gifts::take_stock(&mut tx, &gift.code, quantity).await?;
    let id = store::service_grants::record(
        &mut tx,
        action,
        GrantKind::GiftExchange,
        &card.number,
        &member.id,
        quantity,
        &json!({ "gift_code": gift.code, "points": points }),
    )
    .await?;
    store::ledger::append(
        &mut tx,
        action,
        &card.number,
        &[PlannedEntry {
            kind: EntryKind::GiftExchange,
            points: -points,
        }],
        Refs::default(),
    )
    .await?;
    let balance = store::ledger::balance(&mut tx, &card.number).await?;
    tx.commit().await?;
    Ok(GiftExchangeResult {
        grant: granted(id, &card, GrantKind::GiftExchange, quantity, action.today),
        gift_name: gift.name,
        gift_code: gift.code,
        points,
        balance,
    })
}

pub async fn gift_catalogue(k: &Kiosk) -> Result<Vec<Gift>, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    Ok(store::gifts::all(&mut conn).await?)
}

/// R-SRV-3: members whose birthday is `day` (29 Feb birthdays on 28 Feb in common years).
pub async fn greeting_list(k: &Kiosk, day: NaiveDate) -> Result<Vec<Greeting>, FlowError> {
    let mut candidates = vec![day.format("%m-%d").to_string()];
    if birthday_in_year(
        NaiveDate::from_ymd_opt(2000, 2, 29).unwrap_or(day),
        day.year(),
    ) == day
        && day.month() == 2
        && day.day() == 28
    {
        candidates.push("02-29".into());
    }
    let mut conn = k.db.reader.acquire().await?;
    let mut out = Vec::new();
    for m in store::members::with_birthday(&mut conn, &k.sealer, &candidates).await? {
        if !on_greeting_list(m.birth_date, day) {
            continue;
        }
        let live = store::cards::for_member(&mut conn, &m.id)
            .await?
            .into_iter()
            .find(|c| usability(&c.facts(), day).is_ok());
        out.push(Greeting {
            member_id: m.id,
            name: m.name,
            card_number: live.as_ref().map(|c| c.number.clone()),
            tier: live.map(|c| c.tier),
        });
    }
    Ok(out)
}
