//! The annual review (R-EXP-1..4) at head office, over chain-wide spend: the pure
//! `domain::review::review_card` decides, head office applies the outcome to its merged card
//! and publishes it as a card change with no origin, so every store takes it (head office
//! wins on merge). One run per business day: the day is claimed in `review_runs` in the same
//! transaction, so a second head-office process waits and then does nothing.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::error::HqError;
use super::{feed, projections};
use crate::domain::card_status::{CardFacts, CardState};
use crate::domain::events::{state_precedence, CardSnapshot};
use crate::domain::policy::Policy;
use crate::domain::review::{review_card, CardYear, ReviewOutcome};

/// A card missed for more years than this waits for the next run.
const MAX_YEARS_PER_RUN: usize = 10;

#[derive(Debug, Default, Serialize)]
pub struct HqReviewSummary {
    pub business_day: Option<NaiveDate>,
    /// False: another run (or process) already reviewed this day.
    pub ran: bool,
    pub renewed: u32,
    pub downgraded: u32,
    pub inactivated: u32,
}

/// Reviews every active card whose year ended before `today`, once per day.
pub async fn run(
    pool: &PgPool,
    policy: &Policy,
    today: NaiveDate,
) -> Result<HqReviewSummary, HqError> {
    let mut summary = HqReviewSummary {
        business_day: Some(today),
        ..HqReviewSummary::default()
    };
    let mut tx = pool.begin().await?;
    let claimed: Option<NaiveDate> = sqlx::query_scalar(
        "INSERT INTO review_runs (business_day) VALUES ($1) ON CONFLICT DO NOTHING RETURNING business_day",
    )
    .bind(today)
    .fetch_optional(&mut *tx)
    .await?;
    if claimed.is_none() {
        tx.commit().await?;
        return Ok(summary);
    }
    summary.ran = true;
    let due: Vec<(String, String)> = sqlx::query_as(
        "SELECT card_number, snapshot::text FROM cards
         WHERE state = 'active' AND (snapshot->>'expiry')::date < $1
         ORDER BY card_number FOR UPDATE",
    )
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    let mut changes = Vec::new();
    for (number, snapshot) in due {
        let mut card: CardSnapshot =
            serde_json::from_str(&snapshot).map_err(|e| HqError::Internal(e.to_string()))?;
        card.state = CardState::Active;
        let mut changed = false;
        for _ in 0..MAX_YEARS_PER_RUN {
            let (spend, purchases) = year_spend(&mut tx, &card).await?;
            let facts = CardFacts {
                state: card.state,
                tier: card.tier,
                valid_from: card.valid_from,
                expiry: card.expiry,
                lapsed_on: card.lapsed_on,
            };
            let year = CardYear {
                card: facts,
                spend,
                purchases,
            };
            let Some(outcome) = review_card(policy, &year, today) else {
                break;
            };
            changed = true;
            match outcome {
                ReviewOutcome::Renew {
                    valid_from, expiry, ..
                } => {
                    summary.renewed += 1;
                    card.valid_from = valid_from;
                    card.expiry = expiry;
                }
                ReviewOutcome::Downgrade {
                    to,
                    valid_from,
                    expiry,
                    ..
                } => {
                    summary.downgraded += 1;
                    card.tier = to;
                    card.valid_from = valid_from;
                    card.expiry = expiry;
                }
                ReviewOutcome::Inactivate { lapsed_on } => {
                    summary.inactivated += 1;
                    card.state = CardState::Inactive;
                    card.lapsed_on = Some(lapsed_on);
                }
            }
        }
        if !changed {
            continue;
        }
        let body = serde_json::to_string(&card).map_err(|e| HqError::Internal(e.to_string()))?;
        sqlx::query(
            "UPDATE cards SET state = $2, precedence = $3, snapshot = $4::jsonb, at = $5,
                 origin = NULL, withdrawal = FALSE, review_expiry = $6, updated_at = now()
             WHERE card_number = $1",
        )
        .bind(&number)
        .bind(card.state.as_str())
        .bind(i16::from(state_precedence(card.state)))
        .bind(&body)
        .bind(Utc::now())
        .bind(card.expiry)
        .execute(&mut *tx)
        .await?;
        changes.push((
            None,
            projections::card_change(card.state.as_str(), &body, false)?,
        ));
    }
    sqlx::query(
        "UPDATE review_runs SET renewed = $2, downgraded = $3, inactivated = $4, ran_at = now() WHERE business_day = $1",
    )
    .bind(today)
    .bind(i32::try_from(summary.renewed).unwrap_or(i32::MAX))
    .bind(i32::try_from(summary.downgraded).unwrap_or(i32::MAX))
    .bind(i32::try_from(summary.inactivated).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    feed::append(&mut tx, &changes).await?;
    tx.commit().await?;
    Ok(summary)
}

/// R-EXP-1/3: the card year's spend (what its sales were paid, net of refunds) and purchases over every store,
/// counting the cards this one replaced within the same card year (a replacement keeps the
/// old card's expiry, R-REP-5), as the store's own review does.
async fn year_spend(tx: &mut PgConnection, card: &CardSnapshot) -> Result<(Decimal, u32), HqError> {
    let mut numbers = vec![card.number.clone()];
    let mut replaces = card.replaces.clone();
    // One card per exchange; the bound only guards against a corrupt loop.
    for _ in 0..1000 {
        let Some(number) = replaces else { break };
        let old: Option<String> =
            sqlx::query_scalar("SELECT snapshot::text FROM cards WHERE card_number = $1")
                .bind(&number)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(old) = old else { break };
        let old: CardSnapshot =
            serde_json::from_str(&old).map_err(|e| HqError::Internal(e.to_string()))?;
        if old.expiry != card.expiry || numbers.contains(&old.number) {
            break;
        }
        numbers.push(old.number.clone());
        replaces = old.replaces;
    }
    let (spend, purchases): (Decimal, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(paid - refunded), 0), COUNT(*) FROM card_spend
         WHERE has_sale AND card_number = ANY($1) AND business_day BETWEEN $2 AND $3",
    )
    .bind(&numbers)
    .bind(card.valid_from)
    .bind(card.expiry)
    .fetch_one(&mut *tx)
    .await?;
    Ok((spend, u32::try_from(purchases).unwrap_or(u32::MAX)))
}

/// The daily job: reviews today (local date) unless this process already saw the day done.
pub async fn review_if_due(pool: &PgPool, last: &mut Option<NaiveDate>) {
    let today = chrono::Local::now().date_naive();
    if *last == Some(today) {
        return;
    }
    match run(pool, &Policy::charter_default(), today).await {
        Ok(s) => {
            if s.ran {
                tracing::info!(day = %today, renewed = s.renewed, downgraded = s.downgraded, inactivated = s.inactivated, "head-office annual review done");
            }
            *last = Some(today);
        }
        Err(error) => {
            tracing::error!(%error, "head-office annual review failed; retrying in a minute")
        }
    }
}
