//! Identity documents presented at enrolment (R-ENR-2): PRC resident ID (GB 11643) or other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rule::RuleViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 18-character PRC resident identity card number.
    PrcResident,
    Passport,
    Other,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::PrcResident => "prc_resident",
            IdKind::Passport => "passport",
            IdKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<IdKind> {
        [IdKind::PrcResident, IdKind::Passport, IdKind::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdDocument {
    pub kind: IdKind,
    #[serde(deserialize_with = "super::confidential::text")]
    pub number: String,
}

/// R-ENR-2: the document number is well formed. For a PRC resident ID: 18 characters,
/// 17 digits then a digit or `X`, a valid GB 11643 check character, and the birth date
/// inside it (characters 7–14, `YYYYMMDD`) equal to `birth_date`. Other kinds: 5–20
/// letters/digits. Field: `id_document.number` (or `birth_date` when the dates differ).
/// The number is trimmed and upper-cased. Messages never repeat the number (§10).
pub fn validate(doc: &IdDocument, birth_date: NaiveDate) -> Result<IdDocument, RuleViolation> {
    let number = doc.number.trim().to_ascii_uppercase();
    if number.is_empty() {
        return Err(RuleViolation::new(RULE, "ID document number is missing").on_field(FIELD));
    }
    match doc.kind {
        IdKind::PrcResident => check_prc_resident(&number, birth_date)?,
        IdKind::Passport | IdKind::Other => {
            let len = number.chars().count();
            if !(OTHER_MIN_LEN..=OTHER_MAX_LEN).contains(&len)
                || !number.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(RuleViolation::new(
                    RULE,
                    format!(
                        "ID document number must be {OTHER_MIN_LEN} to {OTHER_MAX_LEN} letters or digits"
                    ),
                )
                .on_field(FIELD));
            }
        }
    }
    Ok(IdDocument {
        kind: doc.kind,
        number,
    })
}

const RULE: &str = "R-ENR-2";
const FIELD: &str = "id_document.number";
const OTHER_MIN_LEN: usize = 5;
const OTHER_MAX_LEN: usize = 20;

/// GB 11643 weights for the first 17 characters.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum mod 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// `number` is already trimmed and upper-cased.
fn check_prc_resident(number: &str, birth_date: NaiveDate) -> Result<(), RuleViolation> {
    let bytes = number.as_bytes();
    let shape_ok = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
    if !shape_ok {
        return Err(RuleViolation::new(
            RULE,
            "PRC resident ID number must be 17 digits followed by a digit or X",
        )
        .on_field(FIELD));
    }
    if check_char(&bytes[..17]) != Some(bytes[17]) {
        return Err(RuleViolation::new(
            RULE,
            "PRC resident ID number check character is wrong (mistyped?)",
        )
        .on_field(FIELD));
    }
    let embedded = embedded_birth_date(&bytes[6..14]).ok_or_else(|| {
        RuleViolation::new(
            RULE,
            "the birth date inside the PRC resident ID number is not a real date",
        )
        .on_field(FIELD)
    })?;
    if embedded != birth_date {
        return Err(RuleViolation::new(
            RULE,
            "birth date does not match the one in the PRC resident ID",
        )
        .on_field("birth_date"));
    }
    Ok(())
}

/// The GB 11643 check character for 17 ASCII digits; `None` if the body is not that.
pub fn check_char(body: &[u8]) -> Option<u8> {
    if body.len() != WEIGHTS.len() || !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// `YYYYMMDD` as 8 ASCII digits → the date, if it exists.
fn embedded_birth_date(digits: &[u8]) -> Option<NaiveDate> {
    let text = std::str::from_utf8(digits).ok()?;
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    let day: u32 = text.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_enr_2_textbook_check_character_is_x() {
        assert_eq!(check_char(b"11010519491231002"), Some(b'X'));
    }

    #[test]
    fn r_enr_2_check_character_rejects_non_digits() {
        assert_eq!(check_char(b"1101051949123100A"), None);
        assert_eq!(check_char(b"1101051949123100"), None);
    }

    #[test]
    fn r_enr_2_embedded_date_must_exist() {
        assert_eq!(embedded_birth_date(b"20230229"), None);
        assert_eq!(
            embedded_birth_date(b"20240229"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }
}
