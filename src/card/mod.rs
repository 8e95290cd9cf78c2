//! Member cards as hardware sees them: the record written to a card and the writer seam.

pub mod memory;
pub mod writer;

pub use writer::{CardRecord, CardWriteError, CardWriter};
