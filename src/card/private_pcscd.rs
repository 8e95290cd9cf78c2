//! A private `pcscd` with the vsmartcard `vpcd` driver, for tests and benchmarks: it runs in
//! a mount namespace whose /run/pcscd is a folder of its own (pcscd's socket path is fixed;
//! the client library follows `PCSCLITE_CSOCK_NAME`), so it never clashes with a system
//! pcscd. Needs root (unshare, mount) and the Debian packages pcscd and vsmartcard-vpcd; a
//! missing piece is reported with what to install.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PcscdError {
    #[error("{0} is missing: install the Debian package `{1}`")]
    Missing(String, &'static str),
    #[error("cannot start pcscd: {0} (root is needed for unshare and mount)")]
    Start(String),
    #[error("private pcscd did not come up within 10 s")]
    Timeout,
}

pub struct Pcscd {
    dir: PathBuf,
    /// pcscd's pid and the thread that spawned it and waits for it.
    child: Option<(i32, std::thread::JoinHandle<()>)>,
    /// vpcd port of "Virtual PCD 00 00"; "00 01" is `port + 1`.
    pub port: u16,
}

impl Pcscd {
    /// Prepares `dir` (a reader.conf for vpcd on `port` and `port + 1`) and starts pcscd.
    /// Clients of this process reach it once `PCSCLITE_CSOCK_NAME` is `socket()` (set it
    /// before the first PC/SC call: the library reads it once).
    pub fn start_in(dir: &Path, port: u16) -> Result<Pcscd, PcscdError> {
        let io = |e: std::io::Error| PcscdError::Start(e.to_string());
        std::fs::create_dir_all(dir.join("run")).map_err(io)?;
        std::fs::create_dir_all(dir.join("conf")).map_err(io)?;
        std::fs::write(
            dir.join("conf/vpcd"),
            format!("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:04X}\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x{port:04X}\n"),
        )
        .map_err(io)?;
        let mut p = Pcscd {
            dir: dir.to_owned(),
            child: None,
            port,
        };
        p.start()?;
        Ok(p)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("run/pcscd.comm")
    }

    /// The PC/SC name of vpcd reader `slot` (0 or 1).
    pub fn reader(&self, slot: u16) -> String {
        format!("Virtual PCD 00 {slot:02}")
    }

    /// Where a virtual card connects to be "inserted" in reader `slot`.
    pub fn card_addr(&self, slot: u16) -> String {
        format!("127.0.0.1:{}", self.port + slot)
    }

    /// (Re)starts pcscd and waits for its socket and the vpcd ports.
    pub fn start(&mut self) -> Result<(), PcscdError> {
        require("/usr/sbin/pcscd", "pcscd")?;
        require(
            "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
            "vsmartcard-vpcd",
        )?;
        std::fs::create_dir_all("/run/pcscd")
            .map_err(|e| PcscdError::Start(format!("/run/pcscd: {e}")))?;
        let _ = std::fs::remove_file(self.socket());
        let dir = self.dir.display().to_string();
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(format!(
                "mount --bind {dir}/run /run/pcscd && exec pcscd -f -c {dir}/conf"
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // pcscd must not outlive this process (a leftover would hold the vpcd ports). The
        // kernel kills it when the thread that spawned it ends, so that thread lives as long
        // as pcscd does: it spawns, then waits.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let (started, pid) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || match command.spawn() {
            Ok(mut child) => {
                let _ = started.send(Ok(child.id() as i32));
                let _ = child.wait();
            }
            Err(e) => {
                let _ = started.send(Err(e));
            }
        });
        let pid = pid
            .recv()
            .map_err(|e| PcscdError::Start(e.to_string()))?
            .map_err(|e| PcscdError::Start(e.to_string()))?;
        self.child = Some((pid, waiter));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(self.socket().exists() && std::net::TcpStream::connect(self.card_addr(1)).is_ok()) {
            if Instant::now() >= deadline {
                self.stop();
                return Err(PcscdError::Timeout);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The probe connection above looked like a card to vpcd: let it settle.
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    }

    pub fn stop(&mut self) {
        if let Some((pid, waiter)) = self.child.take() {
            // SAFETY: plain kill(2) of our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = waiter.join();
        }
        let _ = std::fs::remove_file(self.socket());
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn require(path: &str, package: &'static str) -> Result<(), PcscdError> {
    if Path::new(path).exists() {
        Ok(())
    } else {
        Err(PcscdError::Missing(path.to_owned(), package))
    }
}
