//! Exchanging points for catalogue gifts (R-PTS-6).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::rule::RuleViolation;

/// A gift in the current catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Gift {
    pub code: String,
    pub name: String,
    pub points_price: i64,
    pub stock: i64,
    pub available_from: NaiveDate,
    pub available_until: NaiveDate,
}

/// R-PTS-6: points to deduct for `quantity` of `gift` on `today` with `balance` points.
/// Any balance (also below 100) may be exchanged. Refuses (R-PTS-6): quantity 0 (field
/// `quantity`), outside the campaign window (`available_from..=available_until`), not enough
/// stock (field `quantity`), a negative points price, a cost too large to count, not enough
/// points.
pub fn check_exchange(
    gift: &Gift,
    quantity: u32,
    balance: i64,
    today: NaiveDate,
) -> Result<i64, RuleViolation> {
    if quantity == 0 {
        return Err(RuleViolation::new(RULE, "quantity must be at least 1").on_field("quantity"));
    }
    if today < gift.available_from || today > gift.available_until {
        return Err(RuleViolation::new(
            RULE,
            format!(
                "gift {} is only available from {} to {}",
                gift.code, gift.available_from, gift.available_until
            ),
        ));
    }
    let quantity = i64::from(quantity);
    if gift.stock < quantity {
        return Err(RuleViolation::new(
            RULE,
            format!(
                "only {} of gift {} left in stock",
                gift.stock.max(0),
                gift.code
            ),
        )
        .on_field("quantity"));
    }
    if gift.points_price < 0 {
        return Err(RuleViolation::new(
            RULE,
            format!("gift {} has an invalid points price", gift.code),
        ));
    }
    let cost = gift.points_price.checked_mul(quantity).ok_or_else(|| {
        RuleViolation::new(RULE, "the points cost is too large").on_field("quantity")
    })?;
    if balance < cost {
        return Err(RuleViolation::new(
            RULE,
            format!("{cost} points needed, the balance is {balance}"),
        ));
    }
    Ok(cost)
}

const RULE: &str = "R-PTS-6";
