//! Real-time printer status (ESC/POS `DLE EOT n`): the three requests we send, the answer
//! bytes parsed into a `PrinterState`, and the operator's message for it (Chinese + English).

use serde::Serialize;
use utoipa::ToSchema;

use super::PrintError;

/// `DLE EOT 1`: printer status (online / offline).
pub const PRINTER_STATUS: [u8; 3] = [0x10, 0x04, 0x01];
/// `DLE EOT 2`: offline cause (cover open, paper end stop, error).
pub const OFFLINE_CAUSE: [u8; 3] = [0x10, 0x04, 0x02];
/// `DLE EOT 4`: roll paper sensor (near end, end).
pub const PAPER_SENSOR: [u8; 3] = [0x10, 0x04, 0x04];

/// The printer as its status bytes describe it. `answered` is false when the printer gave no
/// status at all (a USB printer that doesn't talk back): it is then assumed ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrinterState {
    pub ready: bool,
    pub offline: bool,
    pub cover_open: bool,
    pub paper_out: bool,
    pub paper_near_end: bool,
    pub answered: bool,
}

/// A status byte that breaks the fixed bits of every `DLE EOT` answer (bit 1 and 4 set, bits
/// 0 and 7 clear): line noise, or not an ESC/POS printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadStatusByte(pub u8);

fn checked(b: u8) -> Result<u8, BadStatusByte> {
    if b & 0x93 == 0x12 {
        Ok(b)
    } else {
        Err(BadStatusByte(b))
    }
}

impl PrinterState {
    /// A printer that needs no status request (the file spool).
    pub fn ready() -> PrinterState {
        PrinterState {
            ready: true,
            offline: false,
            cover_open: false,
            paper_out: false,
            paper_near_end: false,
            answered: true,
        }
    }

    /// A printer that did not answer the status request: we print and hope.
    pub fn unknown() -> PrinterState {
        PrinterState {
            answered: false,
            ..PrinterState::ready()
        }
    }

    /// Parses the answers to `DLE EOT 1`, `DLE EOT 2` and `DLE EOT 4`.
    pub fn parse(printer: u8, offline_cause: u8, paper: u8) -> Result<PrinterState, BadStatusByte> {
        let (printer, cause, paper) = (checked(printer)?, checked(offline_cause)?, checked(paper)?);
        let offline = printer & 0x08 != 0;
        let cover_open = cause & 0x04 != 0;
        // Paper end shows in the offline cause (printing stopped) or the roll sensor (bits 5-6).
        let paper_out = cause & 0x20 != 0 || paper & 0x60 != 0;
        let paper_near_end = paper & 0x0C != 0;
        Ok(PrinterState {
            ready: !(offline || cover_open || paper_out),
            offline,
            cover_open,
            paper_out,
            paper_near_end,
            answered: true,
        })
    }

    /// `Ok` when a job may be sent; otherwise the fault the operator must clear first (paper
    /// before cover: an empty printer is often opened to load it).
    pub fn check(&self) -> Result<(), PrintError> {
        if self.paper_out {
            Err(PrintError::PaperOut)
        } else if self.cover_open {
            Err(PrintError::CoverOpen)
        } else if self.offline || !self.ready {
            Err(PrintError::Offline)
        } else {
            Ok(())
        }
    }

    /// What the operator reads on screen.
    pub fn message(&self) -> String {
        match self.check() {
            Err(e) => e.to_string(),
            Ok(()) if !self.answered => {
                "打印机未回报状态，照常打印 / Printer status unknown, printing".into()
            }
            Ok(()) if self.paper_near_end => {
                "打印纸将用完，请准备换纸 / Printer ready, paper running low".into()
            }
            Ok(()) => "打印机就绪 / Printer ready".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_clear_is_ready() {
        let s = PrinterState::parse(0x12, 0x12, 0x12).unwrap();
        assert_eq!(s, PrinterState::ready());
        assert!(s.check().is_ok());
    }

    #[test]
    fn paper_end_from_either_byte() {
        let s = PrinterState::parse(0x1A, 0x32, 0x72).unwrap();
        assert!(s.paper_out && s.offline && !s.ready);
        assert!(matches!(s.check(), Err(PrintError::PaperOut)));
        let s = PrinterState::parse(0x12, 0x12, 0x72).unwrap();
        assert!(s.paper_out);
    }

    #[test]
    fn cover_open_and_offline() {
        let s = PrinterState::parse(0x1A, 0x16, 0x12).unwrap();
        assert!(matches!(s.check(), Err(PrintError::CoverOpen)));
        let s = PrinterState::parse(0x1A, 0x52, 0x12).unwrap();
        assert!(matches!(s.check(), Err(PrintError::Offline)));
    }

    #[test]
    fn near_end_still_prints() {
        let s = PrinterState::parse(0x12, 0x12, 0x1E).unwrap();
        assert!(s.ready && s.paper_near_end);
        assert!(s.message().contains("paper running low"));
    }

    #[test]
    fn bytes_breaking_the_fixed_bits_are_refused() {
        assert_eq!(
            PrinterState::parse(0x00, 0x12, 0x12),
            Err(BadStatusByte(0x00))
        );
        assert_eq!(
            PrinterState::parse(0x12, 0x12, 0x92),
            Err(BadStatusByte(0x92))
        );
    }
}
