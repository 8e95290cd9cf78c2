//! Returns (R-PTS-9): refunding whole or partial lines of a sale gives back the money paid
//! for them and reverses earned / restores redeemed points in proportion.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::round_fen;
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

/// Plans a refund of `request` against `sold` (lines matched by `SoldLine::index`). Refuses
/// (rule R-PTS-9, field `lines[i].index` / `lines[i].quantity`, `i` the request position) an
/// unknown line, a quantity of 0, a line named twice, a line already refunded in full, or
/// more units than are left unrefunded; and (field `lines`) an empty request.
///
/// Each line's part is the difference of two cumulative splits by quantity: with `r` units
/// already refunded of `Q`, returning `q` gives `round_fen(paid × (r+q)/Q) − round_fen(paid ×
/// r/Q)` and `floor(points × (r+q)/Q) − floor(points × r/Q)` (earned and redeemed points alike).
pub fn plan_refund(
    sold: &[SoldLine],
    request: &[RefundLineRequest],
) -> Result<RefundPlan, RuleViolation> {
    if request.is_empty() {
        return Err(RuleViolation::new(RULE, "nothing to refund").on_field("lines"));
    }
    let mut lines = Vec::with_capacity(request.len());
    for (i, req) in request.iter().enumerate() {
        let Some(line) = sold.iter().find(|l| l.index == req.index) else {
            return Err(
                RuleViolation::new(RULE, format!("the sale has no line {}", req.index))
                    .on_field(format!("lines[{i}].index")),
            );
        };
        if request[..i]
            .iter()
            .any(|earlier| earlier.index == req.index)
        {
            return Err(
                RuleViolation::new(RULE, format!("line {} is named twice", req.index))
                    .on_field(format!("lines[{i}].index")),
            );
        }
        let left = line.quantity.saturating_sub(line.refunded_quantity);
        if left == 0 {
            return Err(RuleViolation::new(
                RULE,
                format!(
                    "line {} was already refunded: all {} units",
                    req.index, line.quantity
                ),
            )
            .on_field(format!("lines[{i}].quantity")));
        }
        if req.quantity == 0 || req.quantity > left {
            return Err(RuleViolation::new(
                RULE,
                format!(
                    "between 1 and {left} units of line {} can be refunded",
                    req.index
                ),
            )
            .on_field(format!("lines[{i}].quantity")));
        }
        let before = line.refunded_quantity;
        let after = before + req.quantity;
        let amount = paid_share(line, after)? - paid_share(line, before)?;
        lines.push(RefundedLine {
            index: req.index,
            quantity: req.quantity,
            amount,
            points_reversed: points_share(line.points_earned, after, line.quantity)
                - points_share(line.points_earned, before, line.quantity),
            points_restored: points_share(line.redemption_points, after, line.quantity)
                - points_share(line.redemption_points, before, line.quantity),
        });
    }
    Ok(RefundPlan {
        amount: lines.iter().map(|l| l.amount).sum(),
        points_reversed: lines.iter().map(|l| l.points_reversed).sum(),
        points_restored: lines.iter().map(|l| l.points_restored).sum(),
        lines,
    })
}

const RULE: &str = "R-PTS-9";

/// What the first `units` units of the line cost, rounded half-up to the fen; all units
/// are exactly `paid`.
fn paid_share(line: &SoldLine, units: u32) -> Result<Decimal, RuleViolation> {
    if units == 0 {
        return Ok(Decimal::ZERO);
    }
    if units >= line.quantity {
        return Ok(line.paid);
    }
    line.paid
        .checked_mul(Decimal::from(units))
        .and_then(|x| x.checked_div(Decimal::from(line.quantity)))
        .map(round_fen)
        .ok_or_else(|| {
            RuleViolation::new(
                RULE,
                format!("line {} paid amount is out of range", line.index),
            )
        })
}

/// The points of the first `units` of `quantity` units, floored; all units are exactly `points`.
fn points_share(points: i64, units: u32, quantity: u32) -> i64 {
    if units == 0 {
        return 0;
    }
    if units >= quantity {
        return points;
    }
    // i128: points × units cannot overflow; the quotient lies between 0 and `points`.
    let share = (i128::from(points) * i128::from(units)).div_euclid(i128::from(quantity));
    i64::try_from(share).unwrap_or(points)
}
