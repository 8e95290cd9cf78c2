//! The annual review (R-EXP-1..4): for each active card whose year ended before the day,
//! plan the outcome with the rules engine and apply it with a card event. Idempotent: a
//! reviewed card's expiry moves past the day or it becomes inactive.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::review::{review_card, CardYear, ReviewOutcome};
use crate::kiosk::Kiosk;
use crate::store::{
    self,
    card_events::CardEventKind,
    cards::{Card, Term},
    day,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewedCard {
    pub card_number: String,
    pub outcome: ReviewOutcome,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReviewSummary {
    pub business_day: Option<NaiveDate>,
    pub renewed: u32,
    pub downgraded: u32,
    pub inactivated: u32,
    pub cards: Vec<ReviewedCard>,
}

/// A card missed for more years than this is left for the next run (and logged).
const MAX_YEARS_PER_RUN: usize = 10;

/// Reviews every card due on `action.today`, each in its own transaction.
pub async fn run_review(k: &Kiosk, action: &Action) -> Result<ReviewSummary, FlowError> {
    let policy = k.policy(action.today);
    let due = {
        let mut conn = k.db.reader.acquire().await?;
        store::cards::due_for_review(&mut conn, action.today).await?
    };
    let mut summary = ReviewSummary {
        business_day: Some(action.today),
        ..ReviewSummary::default()
    };
    for card in due {
        let mut tx = k.db.writer.begin().await?;
        let Some(mut current) = store::cards::find(&mut tx, &card.number).await? else {
            continue;
        };
        // A card missed for several years gets one outcome per year, in order.
        for _ in 0..MAX_YEARS_PER_RUN {
            let (spend, purchases) = year_spend(&mut tx, &current).await?;
            let Some(outcome) = review_card(
                &policy,
                &CardYear {
                    card: current.facts(),
                    spend,
                    purchases,
                },
                action.today,
            ) else {
                break;
            };
            let (term, event) = match outcome {
                ReviewOutcome::Renew {
                    tier,
                    valid_from,
                    expiry,
                } => {
                    summary.renewed += 1;
                    (
                        Term {
                            tier,
                            state: CardState::Active,
                            valid_from,
                            expiry,
                            lapsed_on: None,
                        },
                        CardEventKind::Renewed,
                    )
                }
                ReviewOutcome::Downgrade {
                    to,
                    valid_from,
                    expiry,
                    ..
                } => {
                    summary.downgraded += 1;
                    (
                        Term {
                            tier: to,
                            state: CardState::Active,
                            valid_from,
                            expiry,
                            lapsed_on: None,
                        },
                        CardEventKind::Downgraded,
                    )
                }
                ReviewOutcome::Inactivate { lapsed_on } => {
                    summary.inactivated += 1;
                    (
                        Term {
                            tier: current.tier,
                            state: CardState::Inactive,
                            valid_from: current.valid_from,
                            expiry: current.expiry,
                            lapsed_on: Some(lapsed_on),
                        },
                        CardEventKind::Inactivated,
                    )
                }
            };
            store::cards::set_term(&mut tx, action, &current.number, &term).await?;
            store::card_events::record(
                &mut tx,
                action,
                &current.number,
                event,
                &json!({ "outcome": outcome, "year_spend": spend, "year_purchases": purchases }),
            )
            .await?;
            summary.cards.push(ReviewedCard {
                card_number: current.number.clone(),
                outcome,
            });
            current =
                store::cards::find(&mut tx, &current.number)
                    .await?
                    .ok_or(FlowError::NotFound {
                        what: "card",
                        field: "card_number",
                    })?;
        }
        tx.commit().await?;
    }
    let mut tx = k.db.writer.begin().await?;
    sqlx::query(
        "INSERT INTO review_runs (business_day, ran_at, renewed, downgraded, inactivated) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (business_day) DO UPDATE SET ran_at = excluded.ran_at, renewed = renewed + excluded.renewed,
            downgraded = downgraded + excluded.downgraded, inactivated = inactivated + excluded.inactivated",
    )
    .bind(day(action.today))
    .bind(action.now.to_rfc3339())
    .bind(summary.renewed)
    .bind(summary.downgraded)
    .bind(summary.inactivated)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// R-EXP-1/3: the card year's spend and purchases, counting the cards this one replaced in
/// the same card year (a replacement keeps the old card's expiry, R-REP-5), so a member who
/// replaced a lost or damaged card mid-year keeps what they bought with the old one.
async fn year_spend(
    conn: &mut sqlx::SqliteConnection,
    card: &Card,
) -> Result<(Decimal, u32), FlowError> {
    let (mut spend, mut purchases) =
        store::sales::card_spend(conn, &card.number, card.valid_from, card.expiry).await?;
    let mut replaces = card.replaces.clone();
    // A chain is one card per exchange; the bound only guards against a corrupt loop.
    for _ in 0..1000 {
        let Some(number) = replaces else { break };
        let Some(old) = store::cards::find(conn, &number).await? else {
            break;
        };
        if old.expiry != card.expiry {
            break;
        }
        let (old_spend, old_purchases) =
            store::sales::card_spend(conn, &old.number, old.valid_from, old.expiry).await?;
        spend += old_spend;
        purchases = purchases.saturating_add(old_purchases);
        replaces = old.replaces;
    }
    Ok((spend, purchases))
}

/// The daily review (R-EXP-4) as the service's own staff id `system`: reviews today unless
/// `last` (the day last reviewed) is today already. The job runner calls it every minute, so
/// a day's review runs within a minute of midnight (and at start for a day not yet reviewed).
pub async fn review_if_due(k: &Kiosk, last: &mut Option<NaiveDate>) {
    let action = k.action("system", "scheduler");
    if *last == Some(action.today) {
        return;
    }
    match run_review(k, &action).await {
        Ok(s) => {
            tracing::info!(day = %action.today, renewed = s.renewed, downgraded = s.downgraded, inactivated = s.inactivated, "annual review done");
            *last = Some(action.today);
        }
        Err(error) => tracing::error!(%error, "annual review failed; retrying in a minute"),
    }
}
