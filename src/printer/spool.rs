//! The file spool, the demo and training default: each job becomes `<id>.bin` (the ESC/POS
//! bytes a printer would get) and `<id>.txt` (the preview) in a folder. Always ready. The
//! `.bin` is the paper: it is written first, and a crash before its `.txt` is made whole at
//! start.

use std::path::{Path, PathBuf};

use super::status::PrinterState;
use super::{Evidence, Job, PrintError, PrinterDriver};

pub struct SpoolPrinter {
    dir: PathBuf,
}

impl SpoolPrinter {
    pub fn new(dir: PathBuf) -> SpoolPrinter {
        SpoolPrinter { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes through a temporary name, so a reader never sees half a file (a reprint of the
    /// same id replaces it whole).
    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        let fault =
            |e: std::io::Error| PrintError::Io(format!("spool {}: {e}", self.dir.display()));
        let path = self.dir.join(name);
        let partial = self.dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, bytes).map_err(fault)?;
        std::fs::rename(&partial, &path).map_err(fault)
    }
}

impl PrinterDriver for SpoolPrinter {
    fn status(&self) -> Result<PrinterState, PrintError> {
        Ok(PrinterState::ready())
    }

    fn print(&self, job: &Job<'_>) -> Result<(), PrintError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| PrintError::Io(format!("spool {}: {e}", self.dir.display())))?;
        self.write(&format!("{}.bin", job.id), job.bytes)?;
        self.write(&format!("{}.txt", job.id), job.preview.as_bytes())
    }

    /// The `.bin` says it printed: its missing preview is written. Without it, a preview
    /// alone (from before the `.bin` went first) is removed: the job did not print.
    fn settle(&self, job: &Job<'_>) -> Option<Evidence> {
        let (bin, txt) = (
            self.dir.join(format!("{}.bin", job.id)),
            self.dir.join(format!("{}.txt", job.id)),
        );
        if bin.exists() {
            if !txt.exists() {
                if let Err(e) = self.write(&format!("{}.txt", job.id), job.preview.as_bytes()) {
                    tracing::warn!(job_id = job.id, "spool preview not restored: {e}");
                }
            }
            Some(Evidence::Sent)
        } else {
            // Already gone is fine.
            let _ = std::fs::remove_file(txt);
            Some(Evidence::NotSent)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_lands_as_bin_and_txt() {
        let dir = tempfile::tempdir().unwrap();
        let spool = SpoolPrinter::new(dir.path().join("spool"));
        assert_eq!(spool.status(), Ok(PrinterState::ready()));
        spool
            .print(&Job {
                id: 42,
                bytes: b"\x1b@x",
                preview: "会员 x",
            })
            .unwrap();
        assert_eq!(
            std::fs::read(spool.dir().join("42.bin")).unwrap(),
            b"\x1b@x"
        );
        assert_eq!(
            std::fs::read_to_string(spool.dir().join("42.txt")).unwrap(),
            "会员 x"
        );
    }
}
