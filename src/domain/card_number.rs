//! Card numbers: issuer prefix + store code + per-store sequence + Luhn check digit, so
//! stores mint unique numbers without coordination and a mistyped number is caught.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A card number that passed its Luhn check. Parse, don't validate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardNumberError {
    #[error("card number must be 12 to 19 digits")]
    Shape,
    #[error("card number check digit is wrong")]
    CheckDigit,
}

impl CardNumber {
    /// Length of the sequence part.
    const SEQUENCE_DIGITS: usize = 8;

    pub fn parse(s: &str) -> Result<CardNumber, CardNumberError> {
        let s = s.trim();
        if !(12..=19).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardNumberError::Shape);
        }
        let (body, check) = s.split_at(s.len() - 1);
        if luhn_digit(body) != check.as_bytes()[0] - b'0' {
            return Err(CardNumberError::CheckDigit);
        }
        Ok(CardNumber(s.to_owned()))
    }

    /// Mints the number for `sequence` at a store. `issuer` and `store` must be digits.
    pub fn compose(
        issuer: &str,
        store: &str,
        sequence: u64,
    ) -> Result<CardNumber, CardNumberError> {
        let body = format!(
            "{issuer}{store}{sequence:0width$}",
            width = Self::SEQUENCE_DIGITS
        );
        if body.len() > 18
            || !body.bytes().all(|b| b.is_ascii_digit())
            || sequence >= 10u64.pow(Self::SEQUENCE_DIGITS as u32)
        {
            return Err(CardNumberError::Shape);
        }
        let check = luhn_digit(&body);
        CardNumber::parse(&format!("{body}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the last 4 digits hidden, for receipts and logs.
    pub fn masked(&self) -> String {
        let keep = &self.0[self.0.len() - 4..];
        format!("{}{keep}", "*".repeat(self.0.len() - 4))
    }
}

/// The Luhn check digit for `body` (all ASCII digits).
fn luhn_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl TryFrom<String> for CardNumber {
    type Error = CardNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CardNumber::parse(&s)
    }
}

impl From<CardNumber> for String {
    fn from(c: CardNumber) -> String {
        c.0
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_numbers_pass_luhn_and_differ_per_store() {
        let a = CardNumber::compose("88", "0001", 1).unwrap();
        let b = CardNumber::compose("88", "0002", 1).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 15);
        assert!(CardNumber::parse(a.as_str()).is_ok());
    }

    #[test]
    fn a_mistyped_digit_is_caught() {
        let a = CardNumber::compose("88", "0001", 42).unwrap();
        let mut s = a.as_str().to_owned().into_bytes();
        s[5] = if s[5] == b'9' { b'0' } else { s[5] + 1 };
        assert_eq!(
            CardNumber::parse(&String::from_utf8(s).unwrap()),
            Err(CardNumberError::CheckDigit)
        );
    }

    #[test]
    fn luhn_known_value() {
        // 7992739871 has check digit 3 (the textbook example).
        assert_eq!(luhn_digit("7992739871"), 3);
    }

    #[test]
    fn masked_keeps_last_four() {
        let a = CardNumber::compose("88", "0001", 42).unwrap();
        assert!(a.masked().ends_with(&a.as_str()[11..]));
        assert!(a.masked().starts_with("***********"));
    }
}
