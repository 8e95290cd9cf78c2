//! Real PC/SC middleware for tests: the process's private pcscd (member_kiosk's
//! `private_pcscd`), and `vicc`, an independent ISO 7816-4 card OS. Missing middleware fails
//! the test with what to install — these tests never skip.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub use member_kiosk::card::private_pcscd::Pcscd;

static PCSCD: OnceLock<(tempfile::TempDir, Mutex<Pcscd>)> = OnceLock::new();

/// The test binary's pcscd (started on first use, on `port`), locked for one test: tests
/// that use readers run one at a time. libpcsclite reads `PCSCLITE_CSOCK_NAME` once per
/// process, so a process has one pcscd.
pub fn pcscd(port: u16) -> MutexGuard<'static, Pcscd> {
    let (_, cell) = PCSCD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = Pcscd::start_in(dir.path(), port).unwrap_or_else(|e| panic!("{e}"));
        // Safe here: set before any PC/SC call of this process, and never changed after.
        unsafe { std::env::set_var("PCSCLITE_CSOCK_NAME", p.socket()) };
        (dir, Mutex::new(p))
    });
    cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the Debian package `{package}` (scripts/test-all.sh does)"
    );
}

/// A `vicc -t iso7816` card inserted in `addr`'s reader until dropped (removed).
pub struct Vicc {
    child: Child,
    _shim: tempfile::TempDir,
}

impl Vicc {
    pub fn insert(addr: &str) -> Vicc {
        require("/usr/bin/vicc", "python3-virtualsmartcard");
        require(
            "/usr/lib/python3/dist-packages/Cryptodome",
            "python3-pycryptodome",
        );
        // vicc imports `Crypto`; Debian ships it as `Cryptodome`.
        let shim = tempfile::tempdir().expect("shim dir");
        std::os::unix::fs::symlink(
            "/usr/lib/python3/dist-packages/Cryptodome",
            shim.path().join("Crypto"),
        )
        .expect("Crypto shim");
        let (host, port) = addr.split_once(':').expect("host:port");
        let child = Command::new("vicc")
            .args(["-t", "iso7816", "-H", host, "-P", port])
            .env(
                "PYTHONPATH",
                format!(
                    "/usr/lib/python3/site-packages/virtualsmartcard:{}",
                    shim.path().display()
                ),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vicc starts");
        Vicc { child, _shim: shim }
    }
}

impl Drop for Vicc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
