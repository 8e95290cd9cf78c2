//! The versioned membership policy: every threshold, rate and fee of the charter as data.
//! Head office can change it and push new versions; `Policy::charter_default()` is version 1.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tier::PerTier;

/// One version of the membership policy. Field comments name the rule each value drives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    /// First store-local day this version applies.
    pub effective_from: NaiveDate,

    /// R-ENR-1: minimum age on the day of application.
    pub enrol_min_age: u32,
    /// R-ENR-4: same-day cash spend needed for each tier.
    #[schema(value_type = Object)]
    pub enrol_min_spend: PerTier<Decimal>,
    /// R-ENR-7: card validity in years (expiry = issue + years − 1 day).
    pub card_validity_years: u32,

    /// R-DSC-1: price multiplier on `regular` goods.
    #[schema(value_type = Object)]
    pub regular_rate: PerTier<Decimal>,
    /// R-DSC-3: birthday multiplier on `regular` goods (replaces `regular_rate`).
    #[schema(value_type = Object)]
    pub birthday_regular_rate: PerTier<Decimal>,
    /// R-DSC-3: birthday multiplier on `special_c` goods.
    #[schema(value_type = Object)]
    pub birthday_special_c_rate: PerTier<Decimal>,
    /// R-DSC-3: birthday extra multiplier on `sale` goods ...
    #[schema(value_type = String)]
    pub birthday_sale_rate: Decimal,
    /// ... when current price ≥ this share of the original price.
    #[schema(value_type = String)]
    pub birthday_sale_min_price_ratio: Decimal,
    /// R-DSC-4: a group purchase has a gross amount ≥ this ...
    #[schema(value_type = String)]
    pub group_min_amount: Decimal,
    /// ... and at least this many items (quantities counted).
    pub group_min_items: u32,

    /// R-PAY-1: tender kinds that count as cash. Any other known kind is non-cash.
    pub cash_like_tenders: Vec<String>,
    /// R-PAY-1: tender kinds that are non-cash (gift voucher, coupon, store credit, …).
    pub non_cash_tenders: Vec<String>,

    /// R-PTS-1: yuan per step for `regular` and `sale` goods.
    #[schema(value_type = String)]
    pub points_regular_step: Decimal,
    /// R-PTS-2: yuan per step for `special_a` and `special_c` goods.
    #[schema(value_type = String)]
    pub points_special_step: Decimal,
    /// R-PTS-1/2: points per full step, per tier.
    #[schema(value_type = Object)]
    pub points_per_step: PerTier<i64>,
    /// R-PTS-4: points per redemption unit ...
    pub redeem_unit_points: i64,
    /// ... and what one unit pays.
    #[schema(value_type = String)]
    pub redeem_unit_value: Decimal,

    /// R-UPG-1: transaction-earned points since issue needed to reach the next tier
    /// (`vip` = VIP→Gold, `gold` = Gold→Platinum; `platinum` unused).
    #[schema(value_type = Object)]
    pub upgrade_points: PerTier<i64>,
    /// R-UPG-3: days after expiry during which an upgrade is still possible.
    pub upgrade_grace_days: u32,

    /// R-EXP-2: months after lapsing during which a VIP card can be reactivated.
    pub reactivation_window_months: u32,
    /// R-EXP-2: same-day cash spend needed to reactivate.
    #[schema(value_type = String)]
    pub reactivation_min_spend: Decimal,
    /// R-EXP-3: spend in the card year needed to keep the tier (`vip` unused).
    #[schema(value_type = Object)]
    pub renewal_min_spend: PerTier<Decimal>,

    /// R-REP-1/3: replacement fee per tier.
    #[schema(value_type = Object)]
    pub replacement_fee: PerTier<Decimal>,
    /// R-REP-2: days to complete a phone loss report before follow-up.
    pub loss_completion_days: u32,

    /// R-SRV-1: one-hour parking tickets per card per day.
    #[schema(value_type = Object)]
    pub parking_tickets: PerTier<u32>,
    /// R-SRV-2: whether the tier gets a yearly birthday gift.
    #[schema(value_type = Object)]
    pub birthday_gift: PerTier<bool>,
    /// R-ENR-6: whether enrolment at the tier grants a welcome gift voucher.
    #[schema(value_type = Object)]
    pub welcome_gift: PerTier<bool>,

    /// Redemption while head office is unreachable (docs/sync.md §6). Absent from policies
    /// stored before the sync: the defaults apply.
    #[serde(default)]
    pub offline: OfflineLimits,
}

/// How far a store may let points be redeemed without head office's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OfflineLimits {
    /// Most points one card may redeem offline since its last acknowledgement.
    pub card_allowance_points: i64,
    /// Most points the whole store may redeem offline since its last acknowledgement.
    pub store_budget_points: i64,
    /// No offline redemption once the store has been offline this long.
    pub max_age_hours: u32,
    /// No offline redemption with a hotlist (last successful pull) older than this.
    pub hotlist_max_age_minutes: u32,
}

impl Default for OfflineLimits {
    fn default() -> Self {
        OfflineLimits {
            card_allowance_points: 500,
            store_budget_points: 20_000,
            max_age_hours: 24,
            hotlist_max_age_minutes: 15,
        }
    }
}

impl Policy {
    /// The charter's own numbers (membership-rules.md), as policy version 1.
    pub fn charter_default() -> Policy {
        Policy {
            version: 1,
            effective_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
            enrol_min_age: 18,
            enrol_min_spend: PerTier {
                vip: dec!(300.00),
                gold: dec!(6000.00),
                platinum: dec!(10000.00),
            },
            card_validity_years: 1,
            regular_rate: PerTier {
                vip: dec!(0.95),
                gold: dec!(0.90),
                platinum: dec!(0.88),
            },
            birthday_regular_rate: PerTier {
                vip: dec!(0.90),
                gold: dec!(0.88),
                platinum: dec!(0.85),
            },
            birthday_special_c_rate: PerTier {
                vip: dec!(0.95),
                gold: dec!(0.90),
                platinum: dec!(0.88),
            },
            birthday_sale_rate: dec!(0.95),
            birthday_sale_min_price_ratio: dec!(0.50),
            group_min_amount: dec!(5000.00),
            group_min_items: 5,
            cash_like_tenders: vec!["cash".into(), "bank_card".into(), "mobile_wallet".into()],
            non_cash_tenders: vec![
                "gift_voucher".into(),
                "coupon".into(),
                "store_credit".into(),
            ],
            points_regular_step: dec!(10.00),
            points_special_step: dec!(50.00),
            points_per_step: PerTier {
                vip: 1,
                gold: 2,
                platinum: 3,
            },
            redeem_unit_points: 100,
            redeem_unit_value: dec!(10.00),
            upgrade_points: PerTier {
                vip: 1000,
                gold: 6000,
                platinum: 0,
            },
            upgrade_grace_days: 30,
            reactivation_window_months: 1,
            reactivation_min_spend: dec!(200.00),
            renewal_min_spend: PerTier {
                vip: dec!(0.00),
                gold: dec!(10000.00),
                platinum: dec!(20000.00),
            },
            replacement_fee: PerTier {
                vip: dec!(10.00),
                gold: dec!(0.00),
                platinum: dec!(0.00),
            },
            loss_completion_days: 7,
            parking_tickets: PerTier {
                vip: 0,
                gold: 2,
                platinum: 3,
            },
            birthday_gift: PerTier {
                vip: false,
                gold: true,
                platinum: true,
            },
            welcome_gift: PerTier {
                vip: false,
                gold: true,
                platinum: true,
            },
            offline: OfflineLimits::default(),
        }
    }

    /// Whether `kind` is a cash-like tender; `None` if the policy does not know the kind.
    pub fn is_cash_like(&self, kind: &str) -> Option<bool> {
        if self.cash_like_tenders.iter().any(|k| k == kind) {
            Some(true)
        } else if self.non_cash_tenders.iter().any(|k| k == kind) {
            Some(false)
        } else {
            None
        }
    }
}
