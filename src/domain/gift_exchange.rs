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
/// Any balance (also below 100) may be exchanged. Refuses: quantity 0 (field `quantity`),
/// outside the campaign window, not enough stock, not enough points.
pub fn check_exchange(
    gift: &Gift,
    quantity: u32,
    balance: i64,
    today: NaiveDate,
) -> Result<i64, RuleViolation> {
    let _ = (gift, quantity, balance, today);
    unimplemented!("check_exchange")
}
