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
    pub number: String,
}

/// R-ENR-2: the document number is well formed. For a PRC resident ID: 18 characters,
/// 17 digits then a digit or `X`, a valid GB 11643 check character, and the birth date
/// inside it equal to `birth_date`. Other kinds: 5–20 letters/digits. Field:
/// `id_document.number` (or `birth_date` when the dates differ). The number is upper-cased.
pub fn validate(doc: &IdDocument, birth_date: NaiveDate) -> Result<IdDocument, RuleViolation> {
    let _ = (doc, birth_date);
    unimplemented!("id_document::validate")
}
