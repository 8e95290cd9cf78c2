//! What a till asks to be priced: basket lines by goods class, planned tenders, points to redeem.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Goods classes of the charter (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoodsClass {
    Regular,
    SpecialA,
    SpecialB,
    SpecialC,
    /// Marked-down item: has an original and a current price.
    Sale,
    /// Leased brand counter.
    Leased,
    /// Special price during a holiday / anniversary campaign.
    CampaignSpecial,
}

impl GoodsClass {
    pub fn as_str(self) -> &'static str {
        match self {
            GoodsClass::Regular => "regular",
            GoodsClass::SpecialA => "special_a",
            GoodsClass::SpecialB => "special_b",
            GoodsClass::SpecialC => "special_c",
            GoodsClass::Sale => "sale",
            GoodsClass::Leased => "leased",
            GoodsClass::CampaignSpecial => "campaign_special",
        }
    }

    pub fn parse(s: &str) -> Option<GoodsClass> {
        [
            GoodsClass::Regular,
            GoodsClass::SpecialA,
            GoodsClass::SpecialB,
            GoodsClass::SpecialC,
            GoodsClass::Sale,
            GoodsClass::Leased,
            GoodsClass::CampaignSpecial,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// One basket line as the till scanned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasketLine {
    pub sku: String,
    pub class: GoodsClass,
    /// Current unit price (¥, 2 places).
    #[schema(value_type = String, example = "199.00")]
    pub unit_price: Decimal,
    pub quantity: u32,
    /// For `sale` goods: the original unit price before mark-down (R-DSC-3).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub original_unit_price: Option<Decimal>,
    /// The line is already under another promotion (R-DSC-5): no member discount.
    #[serde(default)]
    pub other_promotion: bool,
}

/// A tender the customer pays with. `kind` is one of the policy's tender kinds (R-PAY-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    pub kind: String,
    #[schema(value_type = String, example = "100.00")]
    pub amount: Decimal,
}

/// A basket to price. `tenders` may be empty when quoting before payment (then treated as
/// all cash-like); a committed sale must list tenders adding up to the payable amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Basket {
    pub lines: Vec<BasketLine>,
    #[serde(default)]
    pub tenders: Vec<Tender>,
    /// Points the member wants to redeem (R-PTS-4: whole multiples of 100).
    #[serde(default)]
    pub redeem_points: i64,
}
