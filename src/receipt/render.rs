//! STUB (being written by a teammate): renders a `Document` to ESC/POS bytes and to a text
//! preview. Replaced wholesale.
#![allow(unused_variables, clippy::all)]

use serde::{Deserialize, Serialize};

use super::document::Document;

/// Paper width: 58 mm = 32 columns, 80 mm = 48 columns (Font A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    Mm58,
    Mm80,
}

/// Label language: Simplified Chinese (default, GBK on the wire) or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Style {
    pub paper: Paper,
    pub language: Language,
}

/// ESC/POS bytes for `doc` (never fails: text the printer can't encode is replaced visibly).
pub fn escpos(doc: &Document, style: &Style) -> Vec<u8> {
    unimplemented!()
}

/// The same document as monospaced text (CJK counted double width), for the UI preview.
pub fn preview(doc: &Document, style: &Style) -> String {
    unimplemented!()
}
