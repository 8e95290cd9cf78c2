//! Receipt printers: the small driver seam (status, print), its three drivers — network
//! (TCP 9100), USB device file, file spool (the demo default) — the faults an operator can
//! clear, and the registry that gives each workstation its printer from config.
//! Every driver call blocks (hardware does): callers run it on a blocking thread.

pub mod device;
pub mod journal;
pub mod network;
pub mod spool;
pub mod status;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::receipt::render::{Language, Paper, Style};
pub use journal::{Evidence, SendJournal};
pub use status::PrinterState;

/// One document on its way to paper: the job id (the spool names its files by it), the
/// ESC/POS bytes, and the text preview.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub id: i64,
    pub bytes: &'a [u8],
    pub preview: &'a str,
}

/// The printer seam: real drivers plus the spool. Both calls block, bounded by the driver's
/// time limit.
pub trait PrinterDriver: Send + Sync {
    /// Asks the printer how it is (real-time status, answered even when offline).
    fn status(&self) -> Result<PrinterState, PrintError>;
    /// Sends the job's bytes. The spool also keeps the preview.
    fn print(&self, job: &Job<'_>) -> Result<(), PrintError>;
    /// After a crash: whether `job` reached this printer, if the driver can tell from its
    /// own records (making them whole); `None` leaves it to the send journal.
    fn settle(&self, _job: &Job<'_>) -> Option<Evidence> {
        None
    }
}

/// Why a job did not print. The message is for the operator, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("打印机拒绝连接：请检查打印机电源和网线 / Printer refused the connection: check it is switched on and connected")]
    Refused,
    #[error(
        "打印机无响应：请检查打印机电源和连接 / Printer not responding: check its power and cable"
    )]
    Timeout,
    #[error("打印机脱机：请检查打印机指示灯 / Printer offline: check the printer's lights")]
    Offline,
    #[error("打印机缺纸：请装纸后重试 / Printer out of paper: load paper, then retry")]
    PaperOut,
    #[error("打印机盖未关：请合上后重试 / Printer cover open: close it, then retry")]
    CoverOpen,
    #[error("打印机故障 / Printer fault: {0}")]
    Io(String),
    /// The kiosk stopped before the job reached the printer.
    #[error("打印中断，未送达打印机：请重试 / Printing was interrupted before the job reached the printer: retry it")]
    Interrupted,
    /// The kiosk stopped while sending: the paper may hold all or part of it.
    #[error("打印中断，可能已打印：重试将打印副本 / Printing was interrupted while sending; it may have printed: a retry prints a COPY")]
    MaybePrinted,
}

/// The fault of a failed job as a code for the UI and the queue (`paper_out`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrintFault {
    Refused,
    Timeout,
    Offline,
    PaperOut,
    CoverOpen,
    Io,
    Interrupted,
    MaybePrinted,
}

impl PrintFault {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintFault::Refused => "refused",
            PrintFault::Timeout => "timeout",
            PrintFault::Offline => "offline",
            PrintFault::PaperOut => "paper_out",
            PrintFault::CoverOpen => "cover_open",
            PrintFault::Io => "io",
            PrintFault::Interrupted => "interrupted",
            PrintFault::MaybePrinted => "maybe_printed",
        }
    }

    pub fn parse(s: &str) -> Option<PrintFault> {
        [
            PrintFault::Refused,
            PrintFault::Timeout,
            PrintFault::Offline,
            PrintFault::PaperOut,
            PrintFault::CoverOpen,
            PrintFault::Io,
            PrintFault::Interrupted,
            PrintFault::MaybePrinted,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

impl PrintError {
    pub fn fault(&self) -> PrintFault {
        match self {
            PrintError::Refused => PrintFault::Refused,
            PrintError::Timeout => PrintFault::Timeout,
            PrintError::Offline => PrintFault::Offline,
            PrintError::PaperOut => PrintFault::PaperOut,
            PrintError::CoverOpen => PrintFault::CoverOpen,
            PrintError::Io(_) => PrintFault::Io,
            PrintError::Interrupted => PrintFault::Interrupted,
            PrintError::MaybePrinted => PrintFault::MaybePrinted,
        }
    }

    /// An I/O error of talking to the printer: a refusal and a time-out have their own states.
    pub fn from_io(what: &str, e: &std::io::Error) -> PrintError {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::ConnectionRefused => PrintError::Refused,
            ErrorKind::TimedOut | ErrorKind::WouldBlock => PrintError::Timeout,
            _ => PrintError::Io(format!("{what}: {e}")),
        }
    }
}

/// Which driver a workstation's printer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriverKind {
    /// An Ethernet printer on its raw port (9100).
    Network,
    /// A USB printer's device file, e.g. `/dev/usb/lp0`.
    Device,
    /// Files in a folder: `<job>.bin` and the `<job>.txt` preview (demo, training).
    #[default]
    Spool,
}

/// A `[[printers]]` entry: the printer serving one workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// `checkout-1`, `lounge`, `desk`, …
    pub workstation: String,
    #[serde(default)]
    pub driver: DriverKind,
    /// `host:port` of a network printer (port 9100 on most).
    #[serde(default)]
    pub address: Option<String>,
    /// Device file of a USB printer.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub device: Option<PathBuf>,
    /// Spool folder (default: the top-level `spool_dir`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub spool_dir: Option<PathBuf>,
    #[serde(default = "default_paper")]
    #[schema(value_type = String, example = "mm80")]
    pub paper: Paper,
    #[serde(default = "default_language")]
    #[schema(value_type = String, example = "zh")]
    pub language: Language,
    /// Time limit of one status request and of one send, milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_paper() -> Paper {
    Paper::Mm80
}

fn default_language() -> Language {
    Language::Zh
}

fn default_timeout_ms() -> u64 {
    3000
}

impl PrinterConfig {
    /// The spool printer of a workstation with no `[[printers]]` entry.
    pub fn spool(workstation: &str) -> PrinterConfig {
        PrinterConfig {
            workstation: workstation.to_owned(),
            driver: DriverKind::Spool,
            address: None,
            device: None,
            spool_dir: None,
            paper: default_paper(),
            language: default_language(),
            timeout_ms: default_timeout_ms(),
        }
    }

    /// What is wrong with the entry, if anything (checked when the config loads).
    pub fn problem(&self) -> Option<&'static str> {
        match self.driver {
            _ if self.workstation.trim().is_empty() => Some("workstation is required"),
            _ if self.timeout_ms == 0 => Some("timeout_ms must be at least 1"),
            DriverKind::Network if self.address.as_deref().is_none_or(str::is_empty) => {
                Some("driver = \"network\" needs address = \"host:port\"")
            }
            DriverKind::Device if self.device.is_none() => {
                Some("driver = \"device\" needs device = \"/dev/usb/lp0\"")
            }
            _ => None,
        }
    }
}

/// One workstation's printer: its config, the layout style, the driver, and a lock so two
/// jobs never interleave on the paper.
pub struct Printer {
    pub config: PrinterConfig,
    pub driver: Arc<dyn PrinterDriver>,
    journal: Arc<SendJournal>,
    lock: Mutex<()>,
}

/// Set when the caller stopped waiting: a job still queued behind the lock then never prints
/// (it was already reported as timed out).
pub type Abandoned = Arc<AtomicBool>;

impl Printer {
    pub fn new(
        config: PrinterConfig,
        driver: Arc<dyn PrinterDriver>,
        journal: Arc<SendJournal>,
    ) -> Printer {
        Printer {
            config,
            driver,
            journal,
            lock: Mutex::new(()),
        }
    }

    fn from_config(
        config: PrinterConfig,
        default_spool: &Path,
        journal: Arc<SendJournal>,
    ) -> Printer {
        let timeout = Duration::from_millis(config.timeout_ms);
        let driver: Arc<dyn PrinterDriver> = match config.driver {
            DriverKind::Network => Arc::new(network::NetworkPrinter::new(
                config.address.clone().unwrap_or_default(),
                timeout,
            )),
            DriverKind::Device => Arc::new(device::DevicePrinter::new(
                config.device.clone().unwrap_or_default(),
                timeout,
            )),
            DriverKind::Spool => Arc::new(spool::SpoolPrinter::new(
                config
                    .spool_dir
                    .clone()
                    .unwrap_or_else(|| default_spool.to_path_buf()),
            )),
        };
        Printer::new(config, driver, journal)
    }

    pub fn style(&self) -> Style {
        Style {
            paper: self.config.paper,
            language: self.config.language,
        }
    }

    /// Where the printer is, for the operator: `network 10.0.0.5:9100`, `device /dev/usb/lp0`,
    /// `spool var/spool`.
    pub fn describe(&self, default_spool: &Path) -> String {
        match self.config.driver {
            DriverKind::Network => {
                format!("network {}", self.config.address.as_deref().unwrap_or(""))
            }
            DriverKind::Device => format!(
                "device {}",
                self.config
                    .device
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .display()
            ),
            DriverKind::Spool => format!(
                "spool {}",
                self.config
                    .spool_dir
                    .as_deref()
                    .unwrap_or(default_spool)
                    .display()
            ),
        }
    }

    /// The most a `run` or `status` call can take, lock wait included: after it the caller
    /// gives up and marks the job abandoned.
    pub fn time_limit(&self) -> Duration {
        Duration::from_millis(
            self.config
                .timeout_ms
                .saturating_mul(3)
                .saturating_add(1000),
        )
    }

    /// Blocking: the printer's status, taken between jobs. Not asked once `abandoned`.
    pub fn status(&self, abandoned: &Abandoned) -> Result<PrinterState, PrintError> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if abandoned.load(Ordering::SeqCst) {
            return Err(PrintError::Timeout);
        }
        self.driver.status()
    }

    /// Blocking: checks the status and, if the printer is ready, sends the job between the
    /// journal's two markers. Returns the state it printed in (paper near end, status
    /// unknown). Does nothing once `abandoned`.
    pub fn run(&self, job: &Job<'_>, abandoned: &Abandoned) -> Result<PrinterState, PrintError> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if abandoned.load(Ordering::SeqCst) {
            return Err(PrintError::Timeout);
        }
        let state = self.driver.status()?;
        state.check()?;
        if abandoned.load(Ordering::SeqCst) {
            return Err(PrintError::Timeout);
        }
        self.journal
            .sending(job.id)
            .map_err(|e| PrintError::Io(format!("print journal: {e}")))?;
        self.driver.print(job)?;
        // The paper has it; a failed marker only makes a restart print a COPY, never twice.
        if let Err(e) = self.journal.sent(job.id) {
            tracing::warn!(job_id = job.id, "print journal: {e}");
        }
        Ok(state)
    }
}

/// The printer of every workstation (a workstation without a `[[printers]]` entry prints to
/// the spool), and the jobs being printed right now.
pub struct Printers {
    configured: HashMap<String, Arc<Printer>>,
    fallback: Arc<Printer>,
    spool_dir: PathBuf,
    /// Shared by every printer; beside the database (`kiosk.print-journal/`), as it is the
    /// database's record that it completes.
    pub journal: Arc<SendJournal>,
    printing: Mutex<HashSet<i64>>,
}

/// A job marked as being printed; unmarked when dropped.
pub struct Printing<'a> {
    printers: &'a Printers,
    job_id: i64,
}

impl Drop for Printing<'_> {
    fn drop(&mut self) {
        let mut set = self
            .printers
            .printing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        set.remove(&self.job_id);
    }
}

impl Printers {
    /// The printers of `printers` (others spool to `spool_dir`), journaling their sends in
    /// `journal_dir`.
    pub fn new(printers: &[PrinterConfig], spool_dir: &Path, journal_dir: &Path) -> Printers {
        let journal = Arc::new(SendJournal::new(journal_dir.to_path_buf()));
        let configured = printers
            .iter()
            .map(|c| {
                (
                    c.workstation.clone(),
                    Arc::new(Printer::from_config(c.clone(), spool_dir, journal.clone())),
                )
            })
            .collect();
        Printers {
            configured,
            fallback: Arc::new(Printer::from_config(
                PrinterConfig::spool("*"),
                spool_dir,
                journal.clone(),
            )),
            spool_dir: spool_dir.to_path_buf(),
            journal,
            printing: Mutex::new(HashSet::new()),
        }
    }

    /// The printer serving `workstation`.
    pub fn for_workstation(&self, workstation: &str) -> Arc<Printer> {
        self.configured
            .get(workstation)
            .unwrap_or(&self.fallback)
            .clone()
    }

    /// Every configured printer by workstation, then the spool for the others (`*`).
    pub fn all(&self) -> Vec<Arc<Printer>> {
        let mut all: Vec<_> = self.configured.values().cloned().collect();
        all.sort_by(|a, b| a.config.workstation.cmp(&b.config.workstation));
        all.push(self.fallback.clone());
        all
    }

    pub fn describe(&self, printer: &Printer) -> String {
        printer.describe(&self.spool_dir)
    }

    /// Marks `job_id` as being printed; `None` if it already is (a second retry click).
    pub fn begin(&self, job_id: i64) -> Option<Printing<'_>> {
        let mut set = self.printing.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(job_id) {
            return None;
        }
        Some(Printing {
            printers: self,
            job_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workstation_without_a_printer_gets_the_spool() {
        let net = PrinterConfig {
            driver: DriverKind::Network,
            address: Some("127.0.0.1:9100".into()),
            ..PrinterConfig::spool("checkout-1")
        };
        let printers = Printers::new(&[net], Path::new("var/spool"), Path::new("var/j"));
        assert_eq!(
            printers.for_workstation("checkout-1").config.driver,
            DriverKind::Network
        );
        let lounge = printers.for_workstation("lounge");
        assert_eq!(lounge.config.driver, DriverKind::Spool);
        assert_eq!(printers.describe(&lounge), "spool var/spool");
    }

    #[test]
    fn one_print_of_a_job_at_a_time() {
        let printers = Printers::new(&[], Path::new("var/spool"), Path::new("var/j"));
        let first = printers.begin(7);
        assert!(first.is_some());
        assert!(printers.begin(7).is_none());
        drop(first);
        assert!(printers.begin(7).is_some());
    }

    #[test]
    fn config_problems_are_named() {
        let mut c = PrinterConfig::spool("desk");
        assert_eq!(c.problem(), None);
        c.driver = DriverKind::Network;
        assert!(c.problem().is_some_and(|p| p.contains("address")));
        c.driver = DriverKind::Device;
        assert!(c.problem().is_some_and(|p| p.contains("device")));
    }

    #[test]
    fn faults_round_trip_as_codes() {
        for e in [
            PrintError::Refused,
            PrintError::Timeout,
            PrintError::Offline,
            PrintError::PaperOut,
            PrintError::CoverOpen,
            PrintError::Io("x".into()),
            PrintError::Interrupted,
            PrintError::MaybePrinted,
        ] {
            let f = e.fault();
            assert_eq!(PrintFault::parse(f.as_str()), Some(f));
            assert!(e.to_string().contains(" / "), "bilingual: {e}");
        }
    }
}
