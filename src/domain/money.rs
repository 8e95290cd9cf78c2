//! Money arithmetic: CNY as `Decimal` with 2 places, rounded half-up (R-DSC-6).

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to the fen (¥0.01), half away from zero — the charter's "四捨五入".
pub fn round_fen(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The amount written with exactly 2 decimal places (`120` → `120.00`), for receipts and
/// the API. Amounts here never have more than 2 places, so nothing is rounded away.
pub fn two_places(amount: Decimal) -> Decimal {
    let mut a = round_fen(amount);
    a.rescale(2);
    a
}

/// Amount in fen (minor units) for storage; `None` if it has more than 2 places or overflows.
pub fn to_fen(amount: Decimal) -> Option<i64> {
    if amount.scale() > 2 && amount != round_fen(amount) {
        return None;
    }
    i64::try_from(amount * Decimal::ONE_HUNDRED).ok()
}

/// Amount from fen (minor units).
pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// True if `amount` is a valid price/amount: not negative, at most 2 decimal places,
/// below ¥100,000,000.
pub fn is_valid_amount(amount: Decimal) -> bool {
    amount_fault(amount).is_none()
}

/// What is wrong with `amount` as a price/amount, to end "the unit price …" / "the tender
/// amount …"; `None` when it is valid. Each fault is named on its own, so a till sending
/// ¥100,000,000 is told it is too large, not to mind its decimals.
pub fn amount_fault(amount: Decimal) -> Option<&'static str> {
    if amount < Decimal::ZERO {
        Some("cannot be negative")
    } else if amount != round_fen(amount) {
        Some("must have at most 2 decimal places")
    } else if amount >= Decimal::new(100_000_000, 0) {
        Some("must be below ¥100,000,000")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_up_to_the_fen() {
        assert_eq!(round_fen(dec!(0.005)), dec!(0.01));
        assert_eq!(round_fen(dec!(0.0049)), dec!(0.00));
        assert_eq!(round_fen(dec!(94.525)), dec!(94.53));
    }

    #[test]
    fn two_places_pads_without_rounding() {
        assert_eq!(two_places(dec!(120)).to_string(), "120.00");
        assert_eq!(two_places(dec!(0.5)).to_string(), "0.50");
        assert_eq!(two_places(dec!(94.05)).to_string(), "94.05");
    }

    #[test]
    fn fen_round_trip() {
        assert_eq!(to_fen(dec!(12.34)), Some(1234));
        assert_eq!(to_fen(dec!(12.345)), None);
        assert_eq!(from_fen(1234), dec!(12.34));
    }
}
