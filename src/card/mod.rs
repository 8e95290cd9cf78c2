//! Member cards as hardware sees them: the record format and issuer keys, the APDUs of the
//! card profiles, the reader seam with its PC/SC driver and in-memory double, the reader
//! monitor, and the virtual card used for tests and the demo.

pub mod apdu;
pub mod foreign;
pub mod hub;
pub mod iso_card;
pub mod keys;
pub mod memory;
pub mod monitor;
pub mod pcsc_reader;
pub mod private_pcscd;
pub mod reader;
pub mod record;
pub mod tray;
pub mod virtual_card;
