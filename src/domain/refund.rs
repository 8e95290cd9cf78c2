//! Returns (R-PTS-9): refunding whole or partial lines of a sale gives back the money paid
//! for them and reverses earned / restores redeemed points in proportion.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rule::RuleViolation;

/// A line of a committed sale, with what was already refunded of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    pub index: usize,
    pub quantity: u32,
    /// What the customer paid for the whole line (net − redemption share).
    pub paid: Decimal,
    pub redemption_points: i64,
    pub points_earned: i64,
    pub refunded_quantity: u32,
}

/// One line (and how many units of it) the customer returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLineRequest {
    pub index: usize,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundedLine {
    pub index: usize,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub points_reversed: i64,
    pub points_restored: i64,
}

/// What a refund gives back. Amounts are computed cumulatively so refunding every unit of a
/// line, in any number of refunds, returns exactly `paid` and exactly the line's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundPlan {
    pub lines: Vec<RefundedLine>,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub points_reversed: i64,
    pub points_restored: i64,
}

/// Plans a refund of `request` against `sold`. Refuses (rule R-PTS-9, field
/// `lines[i].index` / `lines[i].quantity`) an unknown line, a quantity of 0, a line named
/// twice, or more units than are left unrefunded.
pub fn plan_refund(
    sold: &[SoldLine],
    request: &[RefundLineRequest],
) -> Result<RefundPlan, RuleViolation> {
    let _ = (sold, request);
    unimplemented!("plan_refund")
}
