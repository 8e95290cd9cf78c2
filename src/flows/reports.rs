//! The back office's reports: members by tier now, and card activity, points and print
//! faults over a range of store-local days. Read-only: the counts come from the store, the
//! day-by-day shape and the points' value from `domain::reports`.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::FlowError;
use crate::domain::reports::{
    self, CardActivityDay, PointsDay, PrintDay, RangeRefusal, ReportRange, TierCount,
};
use crate::kiosk::Kiosk;
use crate::store::reports::PrintFaultCount;
use crate::store::{self, StoreError};

impl From<RangeRefusal> for FlowError {
    fn from(r: RangeRefusal) -> Self {
        FlowError::invalid(r.field, r.message)
    }
}

/// The report range asked for, checked against today.
pub fn range(
    k: &Kiosk,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<ReportRange, FlowError> {
    Ok(ReportRange::pick(from, to, k.today())?)
}

/// Members by tier on `as_of` (today).
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersReport {
    pub as_of: NaiveDate,
    pub tiers: Vec<TierCount>,
    pub total: u32,
}

pub async fn members(k: &Kiosk) -> Result<MembersReport, FlowError> {
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    let tiers = reports::members_by_tier(&store::reports::cards_by_tier(&mut conn).await?);
    Ok(MembersReport {
        as_of: k.today(),
        total: tiers.iter().map(|t| t.total).sum(),
        tiers,
    })
}

/// Enrolments, upgrades, downgrades and every other card event, day by day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardActivityReport {
    pub range: ReportRange,
    pub days: Vec<CardActivityDay>,
}

pub async fn card_activity(k: &Kiosk, range: ReportRange) -> Result<CardActivityReport, FlowError> {
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    let counts = store::reports::card_events_by_day(&mut conn, &range).await?;
    Ok(CardActivityReport {
        days: reports::card_activity_by_day(&range, &counts),
        range,
    })
}

/// Points issued and redeemed, and the points outstanding (with their value), day by day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsReport {
    pub range: ReportRange,
    pub days: Vec<PointsDay>,
}

pub async fn points(k: &Kiosk, range: ReportRange) -> Result<PointsReport, FlowError> {
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    // One read transaction: the opening balance and the moves see the same ledger.
    let mut tx = sqlx::Connection::begin(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let opening = store::reports::points_outstanding_before(&mut tx, range.from).await?;
    let moves = store::reports::points_by_day(&mut tx, &range).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(PointsReport {
        days: reports::points_by_day(&range, opening, &moves, |d| k.policy(d)),
        range,
    })
}

/// Print jobs day by day, and the faults still open by workstation.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintFaultsReport {
    pub range: ReportRange,
    pub days: Vec<PrintDay>,
    pub open_faults: Vec<PrintFaultCount>,
}

pub async fn print_faults(k: &Kiosk, range: ReportRange) -> Result<PrintFaultsReport, FlowError> {
    let offset = k.config.utc_offset_minutes;
    let mut conn = k.db.reader.acquire().await.map_err(StoreError::from)?;
    let counts = store::reports::print_jobs_by_day(&mut conn, &range, offset).await?;
    let open_faults = store::reports::open_print_faults(&mut conn, &range, offset).await?;
    Ok(PrintFaultsReport {
        days: reports::print_by_day(&range, &counts),
        open_faults,
        range,
    })
}
