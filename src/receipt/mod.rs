//! Receipts and slips: one layout model per printed document, rendered to ESC/POS bytes for
//! the printer and to a plain-text preview for the UI (Chinese by default, 58 or 80 mm).

pub mod charset;
pub mod document;
pub mod documents;
pub mod labels;
mod layout;
pub mod render;
pub mod width;
