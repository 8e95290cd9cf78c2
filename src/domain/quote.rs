//! Pricing a basket: member discounts (R-DSC-1..6), the tender rule (R-PAY-1), points
//! redemption (R-PTS-3/4) and points earned by pools (R-PTS-1..3).

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::basket::{Basket, BasketLine, GoodsClass};
use super::birthday::is_birthday;
use super::card_view::ForeignCard;
use super::money::{amount_fault, is_valid_amount, round_fen, two_places};
use super::policy::Policy;
use super::rule::RuleViolation;
use super::tier::Tier;

/// The member a basket is priced for. Only a usable card gets a context; a guest sale has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberContext {
    pub tier: Tier,
    /// None: not known here (a card of another store accepted offline from its record), so
    /// no birthday rate (R-DSC-3).
    pub birth_date: Option<NaiveDate>,
    /// Points redeemable today (R-PTS-5), from `ledger::redeemable_on`.
    pub redeemable_points: i64,
    /// Points of the balance earned today (R-PTS-5): redeemable from tomorrow. They only
    /// decide which rule a refused redemption names.
    pub earned_today: i64,
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
    /// Cash-like tenders ÷ payable, at most 1 (1 when no tenders are given yet or nothing is
    /// payable).
    #[schema(value_type = String)]
    pub cash_share: Decimal,
    /// Points this sale earns (R-PTS-1..3).
    pub points_earned: i64,
    /// The most points that could be redeemed on this basket (R-PTS-4): limited by the
    /// redeemable balance, whole units, and the net total.
    pub max_redeemable_points: i64,
    /// Set when the card is another store's, not on file here while head office is out of
    /// reach: earning only at its record's tier (docs/sync.md §9a). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_card: Option<ForeignCard>,
}

/// Prices `basket` for `member` (None = guest) on store-local day `today` under `policy`.
///
/// Input is checked first; refusals name the rule and the field:
/// - the shape of prices and quantities is the receipt rule's (R-DSC-6): an empty basket
///   (`lines`), a quantity of 0 or above 9,999 (`lines[i].quantity`), a unit price that is
///   negative, has more than 2 places or is too large (`lines[i].unit_price`), a `sale` line
///   without a valid original price at least its current price
///   (`lines[i].original_unit_price`; on other classes an original price is ignored), a
///   tender amount that is not a valid amount above zero (`tenders[i].amount`);
/// - a tender kind the policy does not know (R-PAY-1, `tenders[i].kind`);
/// - a redemption (R-PTS-4, `redeem_points`) that is negative, asked by a guest, not a whole
///   multiple of the unit, made from a redeemable balance below one unit, above the
///   redeemable balance, or worth more than the net total; one that only today's earnings
///   keep from being redeemable names R-PTS-5 instead (they pay from tomorrow).
///
/// Benefits: a guest's lines are all `None`. For a member, a sale-wide rule that withholds
/// the discount marks every line with itself — `GroupPurchase` (R-DSC-4) first, then
/// `NonCashTender` (R-PAY-1) — whatever the class; then a line's own `other_promotion` flag
/// gives `OtherPromotion` (R-DSC-5); otherwise the class decides (R-DSC-1/2/3), `None` for a
/// class that gets nothing today.
pub fn quote(
    policy: &Policy,
    basket: &Basket,
    member: Option<&MemberContext>,
    today: NaiveDate,
) -> Result<Quote, RuleViolation> {
    validate(policy, basket)?;

    let gross: Vec<Decimal> = basket
        .lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.quantity))
        .collect();
    let gross_total: Decimal = gross.iter().copied().sum();
    let items: u64 = basket.lines.iter().map(|l| u64::from(l.quantity)).sum();
    let group_purchase =
        gross_total >= policy.group_min_amount && items >= u64::from(policy.group_min_items);
    let non_cash_tender = basket
        .tenders
        .iter()
        .any(|t| policy.is_cash_like(&t.kind) == Some(false));
    let birthday = !group_purchase
        && member.is_some_and(|m| m.birth_date.is_some_and(|b| is_birthday(b, today)));
    let facts = SaleFacts {
        tier: member.map(|m| m.tier),
        birthday,
        group_purchase,
        non_cash_tender,
    };

    let mut lines = Vec::with_capacity(basket.lines.len());
    for (index, (line, gross)) in basket.lines.iter().zip(gross).enumerate() {
        let (rate, benefit) = line_rate(policy, line, &facts);
        let net = round_fen(gross * rate);
        lines.push(QuotedLine {
            index,
            sku: line.sku.clone(),
            class: line.class,
            quantity: line.quantity,
            unit_price: line.unit_price,
            gross,
            rate,
            benefit,
            discount: gross - net,
            net,
            redemption_share: Decimal::ZERO,
            redemption_points: 0,
            paid: net,
            points_earned: 0,
        });
    }
    let discount_total: Decimal = lines.iter().map(|l| l.discount).sum();
    let net_total: Decimal = lines.iter().map(|l| l.net).sum();

    let redeem_points = basket.redeem_points;
    let redeem_value = check_redemption(policy, member, redeem_points, net_total)?;
    allocate_redemption(&mut lines, redeem_value, redeem_points)?;
    let payable = net_total - redeem_value;

    let cash: Decimal = basket
        .tenders
        .iter()
        .filter(|t| policy.is_cash_like(&t.kind) == Some(true))
        .map(|t| t.amount)
        .sum();
    // With no tenders yet the quote assumes cash; with nothing to pay there is nothing to scale.
    let cash_part = if basket.tenders.is_empty() || payable <= Decimal::ZERO || cash >= payable {
        None
    } else {
        Some(cash)
    };
    let cash_share = match cash_part {
        Some(cash) => cash.checked_div(payable).ok_or_else(too_large)?,
        None => Decimal::ONE,
    };

    let points_earned = match facts.tier {
        Some(tier) if !group_purchase => {
            let per_step = policy.points_per_step.get(tier);
            let regular = earn_pool(
                &mut lines,
                |c| matches!(c, GoodsClass::Regular | GoodsClass::Sale),
                policy.points_regular_step,
                per_step,
                cash_part.map(|c| (c, payable)),
            )?;
            let special = earn_pool(
                &mut lines,
                |c| matches!(c, GoodsClass::SpecialA | GoodsClass::SpecialC),
                policy.points_special_step,
                per_step,
                cash_part.map(|c| (c, payable)),
            )?;
            regular.checked_add(special).ok_or_else(too_large)?
        }
        _ => 0,
    };

    for l in &mut lines {
        for amount in [
            &mut l.unit_price,
            &mut l.gross,
            &mut l.discount,
            &mut l.net,
            &mut l.redemption_share,
            &mut l.paid,
        ] {
            *amount = two_places(*amount);
        }
    }
    Ok(Quote {
        tier: facts.tier,
        lines,
        gross_total: two_places(gross_total),
        discount_total: two_places(discount_total),
        net_total: two_places(net_total),
        redeem_points,
        redeem_value: two_places(redeem_value),
        payable: two_places(payable),
        birthday,
        group_purchase,
        non_cash_tender,
        cash_share,
        points_earned,
        max_redeemable_points: max_redeemable_points(policy, member, net_total),
        foreign_card: None,
    })
}

/// At commit: the tenders must be present and add up exactly to `quote.payable`
/// (field `tenders`, rule R-PAY-1). A sale with nothing to pay (all redeemed) may list none.
pub fn check_tenders_settle(quote: &Quote, basket: &Basket) -> Result<(), RuleViolation> {
    if basket.tenders.is_empty() {
        if quote.payable == Decimal::ZERO {
            return Ok(());
        }
        return Err(RuleViolation::new(
            "R-PAY-1",
            format!("no tenders given for a payable amount of {}", quote.payable),
        )
        .on_field("tenders"));
    }
    let tendered: Decimal = basket.tenders.iter().map(|t| t.amount).sum();
    if tendered != quote.payable {
        return Err(RuleViolation::new(
            "R-PAY-1",
            format!(
                "tenders add up to {tendered}, the payable amount is {}",
                quote.payable
            ),
        )
        .on_field("tenders"));
    }
    Ok(())
}

/// Rule id for refusals of the input's shape (prices, amounts, quantities): the receipt rule,
/// since a receipt can only add up to the cent from well-formed amounts.
const SHAPE_RULE: &str = "R-DSC-6";

/// Most units one line may carry: keeps every product of price × quantity far from overflow.
const MAX_LINE_QUANTITY: u32 = 9999;

/// What the sale as a whole decides about every line.
struct SaleFacts {
    tier: Option<Tier>,
    birthday: bool,
    group_purchase: bool,
    non_cash_tender: bool,
}

fn validate(policy: &Policy, basket: &Basket) -> Result<(), RuleViolation> {
    if basket.lines.is_empty() {
        return Err(RuleViolation::new(SHAPE_RULE, "the basket has no lines").on_field("lines"));
    }
    for (i, line) in basket.lines.iter().enumerate() {
        if line.quantity == 0 || line.quantity > MAX_LINE_QUANTITY {
            return Err(RuleViolation::new(
                SHAPE_RULE,
                format!("quantity must be 1 to {MAX_LINE_QUANTITY}"),
            )
            .on_field(format!("lines[{i}].quantity")));
        }
        if let Some(fault) = amount_fault(line.unit_price) {
            return Err(
                RuleViolation::new(SHAPE_RULE, format!("the unit price {fault}"))
                    .on_field(format!("lines[{i}].unit_price")),
            );
        }
        if line.class == GoodsClass::Sale {
            let ok = line
                .original_unit_price
                .is_some_and(|orig| is_valid_amount(orig) && orig >= line.unit_price);
            if !ok {
                return Err(RuleViolation::new(
                    SHAPE_RULE,
                    "a sale line needs its original unit price, at least its current price",
                )
                .on_field(format!("lines[{i}].original_unit_price")));
            }
        }
    }
    for (i, tender) in basket.tenders.iter().enumerate() {
        if policy.is_cash_like(&tender.kind).is_none() {
            return Err(RuleViolation::new(
                "R-PAY-1",
                format!("unknown tender kind {:?}", tender.kind),
            )
            .on_field(format!("tenders[{i}].kind")));
        }
        let fault = match amount_fault(tender.amount) {
            None if tender.amount == Decimal::ZERO => Some("must be above zero"),
            fault => fault,
        };
        if let Some(fault) = fault {
            return Err(
                RuleViolation::new(SHAPE_RULE, format!("the tender amount {fault}"))
                    .on_field(format!("tenders[{i}].amount")),
            );
        }
    }
    if basket.redeem_points < 0 {
        return Err(redeem_refusal("points to redeem cannot be negative"));
    }
    Ok(())
}

/// The multiplier for one line and the benefit (or the rule withholding one) behind it.
fn line_rate(policy: &Policy, line: &BasketLine, sale: &SaleFacts) -> (Decimal, LineBenefit) {
    let Some(tier) = sale.tier else {
        return (Decimal::ONE, LineBenefit::None);
    };
    if sale.group_purchase {
        return (Decimal::ONE, LineBenefit::GroupPurchase);
    }
    if sale.non_cash_tender {
        return (Decimal::ONE, LineBenefit::NonCashTender);
    }
    if line.other_promotion {
        return (Decimal::ONE, LineBenefit::OtherPromotion);
    }
    let (rate, benefit) = match line.class {
        GoodsClass::Regular if sale.birthday => (
            policy.birthday_regular_rate.get(tier),
            LineBenefit::Birthday,
        ),
        GoodsClass::Regular => (policy.regular_rate.get(tier), LineBenefit::Tier),
        GoodsClass::SpecialC if sale.birthday => (
            policy.birthday_special_c_rate.get(tier),
            LineBenefit::Birthday,
        ),
        GoodsClass::Sale
            if sale.birthday
                && line.original_unit_price.is_some_and(|orig| {
                    line.unit_price >= policy.birthday_sale_min_price_ratio * orig
                }) =>
        {
            (policy.birthday_sale_rate, LineBenefit::BirthdaySale)
        }
        _ => (Decimal::ONE, LineBenefit::None),
    };
    // A member rate is a discount: a mistyped policy must not raise a price or make it negative.
    (rate.clamp(Decimal::ZERO, Decimal::ONE), benefit)
}

fn redeem_refusal(message: impl Into<String>) -> RuleViolation {
    RuleViolation::new("R-PTS-4", message).on_field("redeem_points")
}

fn too_large() -> RuleViolation {
    RuleViolation::new(SHAPE_RULE, "the basket's amounts are too large to price").on_field("lines")
}

/// R-PTS-4: checks the asked redemption and returns what it pays (¥).
fn check_redemption(
    policy: &Policy,
    member: Option<&MemberContext>,
    points: i64,
    net_total: Decimal,
) -> Result<Decimal, RuleViolation> {
    if points == 0 {
        return Ok(Decimal::ZERO);
    }
    let Some(member) = member else {
        return Err(redeem_refusal("a guest sale cannot redeem points"));
    };
    let unit = policy.redeem_unit_points;
    let unit_value = round_fen(policy.redeem_unit_value);
    if unit <= 0 || unit_value <= Decimal::ZERO {
        return Err(redeem_refusal("the policy allows no redemption"));
    }
    if points % unit != 0 {
        return Err(redeem_refusal(format!(
            "points are redeemed in whole multiples of {unit}"
        )));
    }
    if points > member.redeemable_points {
        // Refused because of today's earnings (R-PTS-5) when the balance would cover it.
        let balance = member.redeemable_points.saturating_add(member.earned_today);
        if member.earned_today > 0 && points <= balance {
            return Err(RuleViolation::new(
                "R-PTS-5",
                format!(
                    "points earned today are redeemable from tomorrow: {} of the {balance} \
                     points can be redeemed today",
                    member.redeemable_points
                ),
            )
            .on_field("redeem_points"));
        }
        if member.redeemable_points < unit {
            return Err(redeem_refusal(format!(
                "a redeemable balance below {unit} points cannot pay for goods (it can be \
                 exchanged for gifts)"
            )));
        }
        return Err(redeem_refusal(format!(
            "only {} points are redeemable today",
            member.redeemable_points
        )));
    }
    let value = Decimal::from(points / unit)
        .checked_mul(unit_value)
        .ok_or_else(too_large)?;
    if value > net_total {
        return Err(redeem_refusal(format!(
            "{points} points pay {value}, more than the net total {net_total}"
        )));
    }
    Ok(value)
}

/// R-PTS-4: the most points this basket could take — whole units, within the redeemable
/// balance and the net total; none for a guest or a balance below one unit.
fn max_redeemable_points(
    policy: &Policy,
    member: Option<&MemberContext>,
    net_total: Decimal,
) -> i64 {
    let unit = policy.redeem_unit_points;
    let unit_value = round_fen(policy.redeem_unit_value);
    let Some(member) = member else {
        return 0;
    };
    if unit <= 0 || unit_value <= Decimal::ZERO || member.redeemable_points < unit {
        return 0;
    }
    let by_balance = member.redeemable_points / unit * unit;
    let units_by_total = net_total
        .checked_div(unit_value)
        .and_then(|u| u.floor().to_i64())
        .unwrap_or(i64::MAX);
    let by_total = units_by_total.saturating_mul(unit);
    by_balance.min(by_total)
}

/// Spreads the redemption over the lines in proportion to their net: each share rounded
/// half-up to the fen, the rounding remainder on the line with the largest net (the first
/// such), so the shares add up to `value` exactly. Should that line be unable to absorb the
/// remainder (share outside 0..=net), the rest goes fen by fen to the next-largest lines.
/// Points are split by largest remainder on the same weights.
fn allocate_redemption(
    lines: &mut [QuotedLine],
    value: Decimal,
    points: i64,
) -> Result<(), RuleViolation> {
    if points == 0 && value == Decimal::ZERO {
        return Ok(());
    }
    let nets = lines
        .iter()
        .map(|l| fen(l.net))
        .collect::<Option<Vec<i128>>>()
        .ok_or_else(too_large)?;
    let total = fen(value).ok_or_else(too_large)?;
    let net_sum: i128 = nets.iter().sum();
    if net_sum <= 0 {
        // check_redemption refuses a positive value over a zero total; nothing to spread.
        return Ok(());
    }

    let mut shares = Vec::with_capacity(nets.len());
    for &n in &nets {
        let exact_twice = total
            .checked_mul(n)
            .and_then(|x| x.checked_mul(2))
            .ok_or_else(too_large)?;
        shares.push((exact_twice + net_sum) / (2 * net_sum));
    }
    let mut by_net: Vec<usize> = (0..nets.len()).collect();
    by_net.sort_by(|&a, &b| nets[b].cmp(&nets[a]).then(a.cmp(&b)));
    let mut left = total - shares.iter().sum::<i128>();
    for &i in &by_net {
        if left == 0 {
            break;
        }
        let moved = left.min(nets[i] - shares[i]).max(-shares[i]);
        shares[i] += moved;
        left -= moved;
    }

    let point_parts = split_largest_remainder(i128::from(points), &nets).ok_or_else(too_large)?;
    for ((line, share), pts) in lines.iter_mut().zip(shares).zip(point_parts) {
        line.redemption_share = from_fen(share)?;
        line.redemption_points = i64::try_from(pts).map_err(|_| too_large())?;
        line.paid = line.net - line.redemption_share;
    }
    Ok(())
}

/// R-PTS-1..3: the points of one pool (the lines whose class `in_pool` picks): the pool's
/// paid amount, scaled by the cash share `cash / payable` when given, in full steps, floored
/// last; then attributed to the pool's lines by paid, largest remainder.
fn earn_pool(
    lines: &mut [QuotedLine],
    in_pool: impl Fn(GoodsClass) -> bool,
    step: Decimal,
    per_step: i64,
    cash_of_payable: Option<(Decimal, Decimal)>,
) -> Result<i64, RuleViolation> {
    let members: Vec<usize> = (0..lines.len())
        .filter(|&i| in_pool(lines[i].class))
        .collect();
    let pool_paid: Decimal = members.iter().map(|&i| lines[i].paid).sum();
    if step <= Decimal::ZERO || per_step <= 0 || pool_paid <= Decimal::ZERO {
        return Ok(0);
    }
    // One division of exact products, so a full step is never lost to a rounded share.
    let (numerator, denominator) = match cash_of_payable {
        Some((cash, payable)) => (pool_paid.checked_mul(cash), payable.checked_mul(step)),
        None => (Some(pool_paid), Some(step)),
    };
    let steps = numerator
        .zip(denominator)
        .and_then(|(n, d)| n.checked_div(d))
        .and_then(|q| q.floor().to_i64())
        .ok_or_else(too_large)?;
    let points = steps.checked_mul(per_step).ok_or_else(too_large)?;

    let weights = members
        .iter()
        .map(|&i| fen(lines[i].paid))
        .collect::<Option<Vec<i128>>>()
        .ok_or_else(too_large)?;
    let parts = split_largest_remainder(i128::from(points), &weights).ok_or_else(too_large)?;
    for (&i, part) in members.iter().zip(parts) {
        lines[i].points_earned = i64::try_from(part).map_err(|_| too_large())?;
    }
    Ok(points)
}

/// Splits `total` over non-negative `weights` in proportion: each part is the floor or the
/// ceiling of its exact share, the leftover units going to the largest remainders (ties to the
/// earlier line), so the parts add up to `total`. All-zero weights get nothing. `None` on
/// overflow.
fn split_largest_remainder(total: i128, weights: &[i128]) -> Option<Vec<i128>> {
    let sum: i128 = weights.iter().sum();
    if total <= 0 || sum <= 0 {
        return Some(vec![0; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = total.checked_mul(w)?;
        parts.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let left = total - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(usize::try_from(left).ok()?) {
        parts[i] += 1;
    }
    Some(parts)
}

/// A 2-place amount in fen (exact, i128 so products of two amounts cannot overflow).
fn fen(amount: Decimal) -> Option<i128> {
    let mut fen = round_fen(amount);
    fen.rescale(2);
    (fen.scale() == 2).then(|| fen.mantissa())
}

fn from_fen(fen: i128) -> Result<Decimal, RuleViolation> {
    Decimal::try_from_i128_with_scale(fen, 2).map_err(|_| too_large())
}
