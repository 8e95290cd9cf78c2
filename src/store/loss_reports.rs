//! Loss reports (R-REP-2): the phone report that blocks a card, and its completion.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::{day, parse_day, StoreError};
use crate::action::Action;
use crate::domain::card_status::CardState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LossReportRow {
    pub id: i64,
    pub card_number: String,
    pub reported_on: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: String,
    pub completed_on: Option<NaiveDate>,
    pub replacement_card: Option<String>,
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn from_row(r: Row) -> Result<LossReportRow, StoreError> {
    Ok(LossReportRow {
        id: r.0,
        card_number: r.1,
        reported_on: parse_day(&r.2, "loss_reports.reported_on")?,
        deadline: parse_day(&r.3, "loss_reports.deadline")?,
        channel: r.4,
        completed_on: r
            .5
            .as_deref()
            .map(|d| parse_day(d, "loss_reports.completed_on"))
            .transpose()?,
        replacement_card: r.6,
    })
}

const COLUMNS: &str =
    "id, card_number, reported_on, deadline, channel, completed_on, replacement_card";

pub async fn open_for(
    conn: &mut SqliteConnection,
    card_number: &str,
) -> Result<Option<LossReportRow>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM loss_reports WHERE card_number = ?1 AND completed_on IS NULL"
    ))
    .bind(card_number)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

pub async fn insert(
    conn: &mut SqliteConnection,
    action: &Action,
    card_number: &str,
    deadline: NaiveDate,
    channel: &str,
    state_before: CardState,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO loss_reports (card_number, reported_on, deadline, channel, staff_id, state_before) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    )
    .bind(card_number)
    .bind(day(action.today))
    .bind(day(deadline))
    .bind(channel)
    .bind(&action.staff_id)
    .bind(state_before.as_str())
    .fetch_one(conn)
    .await?)
}

pub async fn complete(
    conn: &mut SqliteConnection,
    id: i64,
    today: NaiveDate,
    replacement_card: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE loss_reports SET completed_on = ?2, replacement_card = ?3 WHERE id = ?1")
        .bind(id)
        .bind(day(today))
        .bind(replacement_card)
        .execute(conn)
        .await?;
    Ok(())
}

/// Open reports past their deadline on `today`: the follow-up call list (R-REP-2).
pub async fn overdue(
    conn: &mut SqliteConnection,
    today: NaiveDate,
) -> Result<Vec<LossReportRow>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM loss_reports WHERE completed_on IS NULL AND deadline < ?1 ORDER BY deadline"))
        .bind(day(today))
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// The state a card had when its loss report `id` blocked it (None for reports from before
/// this was recorded).
pub async fn state_before(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<CardState>, StoreError> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state_before FROM loss_reports WHERE id = ?1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    state
        .map(|s| CardState::parse(&s).ok_or(StoreError::Corrupt("loss_reports.state_before")))
        .transpose()
}

/// Withdraws report `id` (made by mistake): closed without a replacement card, so it no
/// longer stands, needs no follow-up, and the card can be reported again.
pub async fn withdraw(
    conn: &mut SqliteConnection,
    id: i64,
    today: NaiveDate,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE loss_reports SET withdrawn_on = ?2, completed_on = ?2 WHERE id = ?1")
        .bind(id)
        .bind(day(today))
        .execute(conn)
        .await?;
    Ok(())
}
