//! A USB receipt printer through its device file (`/dev/usb/lp0`): the same `DLE EOT` status
//! requests when the printer answers on the device (many do), else "status unknown,
//! printing". Non-blocking I/O with `poll`, so a stalled printer is held to the time limit.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::status::{PrinterState, OFFLINE_CAUSE, PAPER_SENSOR, PRINTER_STATUS};
use super::{Job, PrintError, PrinterDriver};

/// How long to wait for a first status answer: a USB printer that talks back answers in
/// milliseconds, and one that doesn't must not delay every receipt by the full time limit.
const FIRST_ANSWER: Duration = Duration::from_millis(500);

pub struct DevicePrinter {
    path: PathBuf,
    timeout: Duration,
}

impl DevicePrinter {
    pub fn new(path: PathBuf, timeout: Duration) -> DevicePrinter {
        DevicePrinter { path, timeout }
    }

    fn open(&self, read: bool) -> Result<File, PrintError> {
        OpenOptions::new()
            .read(read)
            .write(true)
            // Non-blocking: every wait goes through `poll` with what is left of the limit.
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&self.path)
            .map_err(|e| self.fault(&e))
    }

    fn fault(&self, e: &std::io::Error) -> PrintError {
        let path = self.path.display();
        match (e.kind(), e.raw_os_error()) {
            (ErrorKind::NotFound, _) | (_, Some(libc::ENODEV)) => PrintError::Io(format!(
                "打印机设备 {path} 不存在：请检查USB线 / printer device {path} not found: check the USB cable"
            )),
            // The usblp driver's answer to a write while the printer is out of paper.
            (_, Some(libc::ENOSPC)) => PrintError::PaperOut,
            _ => PrintError::from_io(&path.to_string(), e),
        }
    }

    /// Waits until `file` is ready for `events` or `deadline` passes (→ false).
    fn wait(
        &self,
        file: &File,
        events: libc::c_short,
        deadline: Instant,
    ) -> Result<bool, PrintError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            let mut fds = libc::pollfd {
                fd: file.as_raw_fd(),
                events,
                revents: 0,
            };
            let ms = libc::c_int::try_from(left.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
            // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
            let rc = unsafe { libc::poll(&mut fds, 1, ms) };
            if rc > 0 {
                // Ready, or an error/hang-up the next read or write reports.
                return Ok(true);
            }
            if rc < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != ErrorKind::Interrupted {
                    return Err(self.fault(&e));
                }
            }
        }
    }

    fn write_all(
        &self,
        file: &mut File,
        mut bytes: &[u8],
        deadline: Instant,
    ) -> Result<(), PrintError> {
        while !bytes.is_empty() {
            match file.write(bytes) {
                Ok(0) => {
                    return Err(PrintError::Io(format!(
                        "{}: wrote nothing",
                        self.path.display()
                    )))
                }
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.wait(file, libc::POLLOUT, deadline)? {
                        return Err(PrintError::Timeout);
                    }
                }
                Err(e) => return Err(self.fault(&e)),
            }
        }
        Ok(())
    }

    /// Sends one `DLE EOT n`; its answer byte, or `None` if the printer says nothing.
    fn ask(
        &self,
        file: &mut File,
        request: &[u8],
        deadline: Instant,
    ) -> Result<Option<u8>, PrintError> {
        self.write_all(file, request, deadline)?;
        let mut answer = [0u8; 1];
        loop {
            match file.read(&mut answer) {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(answer[0])),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.wait(file, libc::POLLIN, deadline)? {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(self.fault(&e)),
            }
        }
    }

    /// Drops answers that came too late for an earlier request, so they aren't taken for ours.
    fn drain(file: &mut File) {
        let mut stale = [0u8; 64];
        for _ in 0..16 {
            match file.read(&mut stale) {
                Ok(n) if n > 0 => {}
                _ => return,
            }
        }
    }
}

impl PrinterDriver for DevicePrinter {
    fn status(&self) -> Result<PrinterState, PrintError> {
        let mut file = match self.open(true) {
            Ok(file) => file,
            // Write-only access: we can print but not ask.
            Err(PrintError::Io(_)) if self.open(false).is_ok() => {
                return Ok(PrinterState::unknown())
            }
            Err(e) => return Err(e),
        };
        // A plain file stands in for a printer (a capture): nothing to ask.
        if file.metadata().map(|m| m.is_file()).unwrap_or(false) {
            return Ok(PrinterState::unknown());
        }
        Self::drain(&mut file);
        let started = Instant::now();
        let Some(printer) = self.ask(
            &mut file,
            &PRINTER_STATUS,
            started + FIRST_ANSWER.min(self.timeout),
        )?
        else {
            return Ok(PrinterState::unknown());
        };
        let deadline = started + self.timeout;
        let (Some(cause), Some(paper)) = (
            self.ask(&mut file, &OFFLINE_CAUSE, deadline)?,
            self.ask(&mut file, &PAPER_SENSOR, deadline)?,
        ) else {
            return Err(PrintError::Timeout);
        };
        PrinterState::parse(printer, cause, paper).map_err(|bad| {
            PrintError::Io(format!(
                "{}: unexpected status byte {:#04x}",
                self.path.display(),
                bad.0
            ))
        })
    }

    fn print(&self, job: &Job<'_>) -> Result<(), PrintError> {
        let deadline = Instant::now() + self.timeout;
        let mut file = self.open(false)?;
        self.write_all(&mut file, job.bytes, deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::os::fd::FromRawFd;

    fn job(bytes: &[u8]) -> Job<'_> {
        Job {
            id: 1,
            bytes,
            preview: "",
        }
    }

    #[test]
    fn a_plain_file_prints_with_status_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").unwrap();
        let p = DevicePrinter::new(path.clone(), Duration::from_millis(500));
        let state = p.status().unwrap();
        assert!(!state.answered && state.check().is_ok());
        assert!(state.message().contains("status unknown"));
        p.print(&job(b"\x1b@hello")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"\x1b@hello");
    }

    #[test]
    fn a_missing_device_says_so() {
        let p = DevicePrinter::new("/nonexistent/usb/lp9".into(), Duration::from_millis(200));
        let e = p.print(&job(b"x")).unwrap_err();
        assert!(e.to_string().contains("not found"), "{e}");
    }

    /// A pseudo-terminal in raw mode as the device: the test answers on the master side.
    fn raw_pty() -> (File, PathBuf, File) {
        // SAFETY: plain libc calls on fds this test owns; ptsname's buffer is copied at once.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0);
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let name = CStr::from_ptr(libc::ptsname(master))
                .to_string_lossy()
                .into_owned();
            let slave = File::options().read(true).write(true).open(&name).unwrap();
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut t), 0);
            libc::cfmakeraw(&mut t);
            assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t), 0);
            (File::from_raw_fd(master), PathBuf::from(name), slave)
        }
    }

    #[test]
    fn a_device_that_answers_reports_paper_out() {
        let (mut master, path, _slave) = raw_pty();
        let printer = std::thread::spawn(move || {
            // Printer status: offline; cause: paper end stop; roll sensor: paper end.
            let mut request = [0u8; 3];
            for answer in [0x1A, 0x32, 0x72] {
                master.read_exact(&mut request).unwrap();
                assert_eq!(&request[..2], &[0x10, 0x04]);
                master.write_all(&[answer]).unwrap();
            }
            // Kept open until joined: closing the master hangs up the line, losing the answer.
            master
        });
        let p = DevicePrinter::new(path, Duration::from_millis(2000));
        let state = p.status().unwrap();
        printer.join().unwrap();
        assert!(state.answered && state.paper_out);
        assert_eq!(state.check(), Err(PrintError::PaperOut));
    }

    #[test]
    fn a_device_that_stays_silent_prints_with_status_unknown() {
        let (_master, path, _slave) = raw_pty();
        let p = DevicePrinter::new(path, Duration::from_millis(3000));
        let started = Instant::now();
        let state = p.status().unwrap();
        assert!(!state.answered);
        assert!(started.elapsed() < Duration::from_millis(1500));
    }
}
