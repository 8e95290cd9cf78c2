//! Deserialising personal data (ID numbers, phones, addresses) from request bodies without
//! ever quoting it back (R-SVC-1): serde's own "invalid type" errors repeat the value they
//! got (`invalid type: integer `13812345678`, expected a string`), and those errors become
//! API answers and log lines.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A string field holding personal data: anything but a string is refused with a message
/// that names the expected type only.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    ConfidentialText::deserialize(d).map(|t| t.0)
}

/// As [`text`], for an optional field (`null` or absent is `None`).
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<ConfidentialText>::deserialize(d).map(|t| t.map(|t| t.0))
}

struct ConfidentialText(String);

impl<'de> Deserialize<'de> for ConfidentialText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `deserialize_any`, not `deserialize_string`: serde_json answers the latter for a
        // number with its own error, which quotes the number.
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

const NOT_TEXT: &str = "invalid type: expected a string";

impl<'de> Visitor<'de> for TextVisitor {
    type Value = ConfidentialText;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ConfidentialText(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(ConfidentialText(v))
    }

    // Numbers are where a phone or ID number typed without quotes would be echoed.
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Form {
        #[serde(deserialize_with = "super::text")]
        phone: String,
        #[serde(default, deserialize_with = "super::optional_text")]
        address: Option<String>,
    }

    #[test]
    fn strings_pass_and_other_types_are_refused_without_the_value() {
        let ok: Form = serde_json::from_str(r#"{"phone":"13812345678"}"#).expect("parses");
        assert_eq!(ok.phone, "13812345678");
        assert_eq!(ok.address, None);
        let ok: Form = serde_json::from_str(r#"{"phone":"1","address":"上海"}"#).expect("parses");
        assert_eq!(ok.address.as_deref(), Some("上海"));
        for body in [
            r#"{"phone":13812345678}"#,
            r#"{"phone":-13812345678}"#,
            r#"{"phone":13812345678.5}"#,
            r#"{"phone":"1","address":13812345678}"#,
        ] {
            let err = serde_json::from_str::<Form>(body).expect_err(body);
            assert!(!err.to_string().contains("13812345678"), "{err}");
        }
    }
}
