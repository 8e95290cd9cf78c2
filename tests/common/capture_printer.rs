//! A capture printer for tests: a TCP listener on 127.0.0.1 that records every byte each
//! connection sends and answers `DLE EOT n` status requests from a script (ready, paper out,
//! cover open, offline, or silent: it hangs). It can refuse connections (its listener closed)
//! and take them again on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the printer answers status requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    /// Offline for an error (neither paper nor cover).
    Offline,
    /// Reads everything, answers nothing.
    Silent,
}

impl Script {
    /// The answer to `DLE EOT n` (ESC/POS: fixed bits 0x12, plus the flags of the state).
    fn answer(self, n: u8) -> Option<u8> {
        let (printer, cause, paper) = match self {
            Script::Ready => (0x12, 0x12, 0x12),
            Script::PaperNearEnd => (0x12, 0x12, 0x1E),
            Script::PaperOut => (0x1A, 0x32, 0x72),
            Script::CoverOpen => (0x1A, 0x16, 0x12),
            Script::Offline => (0x1A, 0x52, 0x12),
            Script::Silent => return None,
        };
        match n {
            1 => Some(printer),
            2 => Some(cause),
            4 => Some(paper),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Recorded {
    /// Every connection's bytes, in the order the connections were accepted.
    connections: Vec<Arc<Mutex<Vec<u8>>>>,
}

pub struct CapturePrinter {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    recorded: Arc<Mutex<Recorded>>,
    accepting: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl CapturePrinter {
    /// A ready printer on a free port.
    pub async fn start() -> CapturePrinter {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind capture printer");
        let addr = listener.local_addr().expect("capture printer address");
        let printer = CapturePrinter {
            addr,
            script: Arc::new(Mutex::new(Script::Ready)),
            recorded: Arc::new(Mutex::new(Recorded::default())),
            accepting: Mutex::new(None),
        };
        printer.serve(listener);
        printer
    }

    /// `host:port`, for `PrinterConfig::address`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn set(&self, script: Script) {
        *lock(&self.script) = script;
    }

    /// Closes the listener: connections are refused until `accept_again`.
    pub async fn refuse(&self) {
        let handle = lock(&self.accepting).take();
        if let Some(handle) = handle {
            handle.abort();
            let _ = handle.await;
        }
    }

    /// Listens on the same port again.
    pub async fn accept_again(&self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("rebind capture printer");
        self.serve(listener);
    }

    /// Every connection's bytes so far.
    pub fn connections(&self) -> Vec<Vec<u8>> {
        lock(&self.recorded)
            .connections
            .iter()
            .map(|c| lock(c).clone())
            .collect()
    }

    /// The print jobs received: connections that carried more than status requests.
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        self.connections()
            .into_iter()
            .filter(|c| !c.is_empty() && !only_status_requests(c))
            .collect()
    }

    /// How many `DLE EOT n` requests arrived on status-only connections.
    pub fn status_requests(&self) -> usize {
        self.connections()
            .iter()
            .filter(|c| only_status_requests(c))
            .map(|c| c.len() / 3)
            .sum()
    }

    /// Waits (up to 2 s) until `n` jobs have arrived completely (the driver closed its side).
    pub async fn wait_jobs(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            let jobs = self.jobs();
            if jobs.len() >= n || std::time::Instant::now() > deadline {
                return jobs;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    fn serve(&self, listener: TcpListener) {
        let (script, recorded) = (self.script.clone(), self.recorded.clone());
        let handle = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let bytes = Arc::new(Mutex::new(Vec::new()));
                lock(&recorded).connections.push(bytes.clone());
                tokio::spawn(connection(stream, script.clone(), bytes));
            }
        });
        *lock(&self.accepting) = Some(handle);
    }
}

impl Drop for CapturePrinter {
    fn drop(&mut self) {
        if let Some(handle) = lock(&self.accepting).take() {
            handle.abort();
        }
    }
}

fn only_status_requests(bytes: &[u8]) -> bool {
    bytes
        .chunks(3)
        .all(|c| c.len() == 3 && c[0] == 0x10 && c[1] == 0x04)
}

/// Records the connection's bytes until it closes, answering each `10 04 n` as scripted.
async fn connection(mut stream: TcpStream, script: Arc<Mutex<Script>>, bytes: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 4096];
    let mut scanned = 0;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut answers = Vec::new();
        {
            let mut all = lock(&bytes);
            all.extend_from_slice(&buf[..n]);
            while scanned + 3 <= all.len() {
                if all[scanned] == 0x10 && all[scanned + 1] == 0x04 {
                    if let Some(a) = lock(&script).answer(all[scanned + 2]) {
                        answers.push(a);
                    }
                    scanned += 3;
                } else {
                    scanned += 1;
                }
            }
        }
        if !answers.is_empty() && stream.write_all(&answers).await.is_err() {
            return;
        }
    }
}
