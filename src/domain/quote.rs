//! Pricing a basket: member discounts (R-DSC-1..6), the tender rule (R-PAY-1), points
//! redemption (R-PTS-3/4) and points earned by pools (R-PTS-1..3).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::basket::{Basket, GoodsClass};
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// The member a basket is priced for. Only a usable card gets a context; a guest sale has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberContext {
    pub tier: Tier,
    pub birth_date: NaiveDate,
    /// Points redeemable today (R-PTS-5), from `ledger::redeemable_on`.
    pub redeemable_points: i64,
}

/// Which member benefit priced a line, or which rule withheld one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineBenefit {
    /// R-DSC-1 tier rate.
    Tier,
    /// R-DSC-3 birthday rate (regular or special C).
    Birthday,
    /// R-DSC-3 birthday extra on a marked-down `sale` line.
    BirthdaySale,
    /// No discount: guest sale, or the class earns none (R-DSC-2).
    None,
    /// No discount: R-DSC-4 group purchase.
    GroupPurchase,
    /// No discount: R-DSC-5 other promotion.
    OtherPromotion,
    /// No discount: R-PAY-1 non-cash tender used.
    NonCashTender,
}

/// One priced line. Amounts are ¥ with 2 places; `net = gross − discount`,
/// `paid = net − redemption_share`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuotedLine {
    pub index: usize,
    pub sku: String,
    pub class: GoodsClass,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// unit_price × quantity.
    #[schema(value_type = String)]
    pub gross: Decimal,
    /// The multiplier applied to `gross` (1 when none).
    #[schema(value_type = String)]
    pub rate: Decimal,
    pub benefit: LineBenefit,
    /// gross − net.
    #[schema(value_type = String)]
    pub discount: Decimal,
    /// round_half_up(gross × rate) — R-DSC-6.
    #[schema(value_type = String)]
    pub net: Decimal,
    /// This line's part of the redemption value (proportional to `net`, adds up to the cent).
    #[schema(value_type = String)]
    pub redemption_share: Decimal,
    /// This line's part of the redeemed points (adds up exactly to `redeem_points`).
    pub redemption_points: i64,
    /// net − redemption_share: what is paid for the line.
    #[schema(value_type = String)]
    pub paid: Decimal,
    /// This line's part of the points earned (adds up exactly to `points_earned`).
    pub points_earned: i64,
}

/// A priced basket. `payable = net_total − redeem_value`; for a receipt,
/// Σ gross = gross_total, Σ discount = discount_total, Σ net = net_total, Σ paid = payable.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Quote {
    pub tier: Option<Tier>,
    pub lines: Vec<QuotedLine>,
    #[schema(value_type = String)]
    pub gross_total: Decimal,
    #[schema(value_type = String)]
    pub discount_total: Decimal,
    #[schema(value_type = String)]
    pub net_total: Decimal,
    pub redeem_points: i64,
    #[schema(value_type = String)]
    pub redeem_value: Decimal,
    #[schema(value_type = String)]
    pub payable: Decimal,
    /// R-DSC-3 applied (member's birthday and not a group purchase).
    pub birthday: bool,
    /// R-DSC-4: no discount and no points.
    pub group_purchase: bool,
    /// R-PAY-1: a non-cash tender is used: no discount, points on the cash part only.
    pub non_cash_tender: bool,
    /// Cash-like tenders ÷ payable, at most 1 (1 when no tenders are given yet).
    #[schema(value_type = String)]
    pub cash_share: Decimal,
    /// Points this sale earns (R-PTS-1..3).
    pub points_earned: i64,
    /// The most points that could be redeemed on this basket (R-PTS-4): limited by the
    /// redeemable balance, whole units, and the net total.
    pub max_redeemable_points: i64,
}

/// Prices `basket` for `member` (None = guest) on store-local day `today` under `policy`.
///
/// Refuses (with the rule id and the field) : empty basket, a line with quantity 0, a price
/// that is negative or has more than 2 places, a `sale` line without/with a bad original
/// price, an unknown tender kind (R-PAY-1), a redemption that is not a whole multiple of the
/// unit, exceeds the redeemable balance, exceeds the net total, or is asked by a guest
/// (R-PTS-4).
pub fn quote(
    policy: &Policy,
    basket: &Basket,
    member: Option<&MemberContext>,
    today: NaiveDate,
) -> Result<Quote, RuleViolation> {
    let _ = (policy, basket, member, today);
    unimplemented!("quote")
}

/// At commit: the tenders must be present and add up exactly to `quote.payable`
/// (field `tenders`, rule R-PAY-1).
pub fn check_tenders_settle(quote: &Quote, basket: &Basket) -> Result<(), RuleViolation> {
    let _ = (quote, basket);
    unimplemented!("check_tenders_settle")
}
