//! A fault-injecting TCP proxy between a store and head office, on 127.0.0.1:0, whose mode
//! the test switches at run time: pass, down, drop (black hole), delay, cut the answer after
//! head office sent it, duplicate, reorder. It works at TCP level, so TLS passes through
//! untouched; the modes that must know where a request starts read only the TLS record
//! headers (5 bytes: type, version, length), never the encrypted contents.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// What the proxy does to connections accepted from now on (a switch also closes every
/// connection already open, as a link that flaps does, so a pooled connection can't carry
/// on in the old mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Head office is down: every new connection is reset at once.
    Down,
    /// A black hole: connections are accepted, everything sent is swallowed, nothing ever
    /// comes back and nothing is closed (the client's own timeout must end it).
    Drop,
    /// Every chunk, both ways, is held this long before it is forwarded.
    Delay(Duration),
    /// The request reaches head office; once head office's answer starts to arrive, the
    /// connection is cut both ways before the client gets a byte of it: head office has
    /// committed, the client does not know.
    CutAnswer,
    /// Forward as `Pass`, and replay every byte the client sent a second time on a new
    /// upstream connection (its answer discarded). Over TLS the replayed session can't be
    /// decrypted by head office, so it only exercises the refusal of a replayed handshake;
    /// an application-level duplicate is a resent push (see the harness).
    Duplicate,
    /// A connection's request is held back until the next connection's request has gone
    /// through (or [`REORDER_HOLD`] passes), then delivered late, even if its client gave up.
    Reorder,
}

/// Longest a request is held in [`Mode::Reorder`] when no other request comes.
pub const REORDER_HOLD: Duration = Duration::from_secs(3);
/// In `CutAnswer`, head office must be quiet this long after the client's TLS Finished
/// before the request is let through, so session tickets are not taken for the answer.
const QUIET: Duration = Duration::from_millis(100);

/// What the proxy did, for the test's figures and assertions.
#[derive(Debug, Default)]
pub struct Stats {
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
    pub swallowed: AtomicU64,
    pub answers_cut: AtomicU64,
    pub duplicated: AtomicU64,
    pub reordered: AtomicU64,
}

struct Shared {
    /// Where connections go: in turn, one connection each (a load balancer in front of
    /// several head-office processes).
    upstream: Mutex<Vec<SocketAddr>>,
    next_upstream: AtomicU64,
    mode: Mutex<Mode>,
    conns: Mutex<Vec<AbortHandle>>,
    /// The request held in reorder mode: sending releases it.
    held: Mutex<Option<oneshot::Sender<()>>>,
    stats: Stats,
}

/// The proxy: its address, and a handle to switch its mode.
pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: AbortHandle,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.close_all();
    }
}

impl FaultProxy {
    /// A proxy on a free loopback port in front of `upstream`, in `Pass` mode.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream: Mutex::new(vec![upstream]),
            next_upstream: AtomicU64::new(0),
            mode: Mutex::new(Mode::Pass),
            conns: Mutex::new(Vec::new()),
            held: Mutex::new(None),
            stats: Stats::default(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone())).abort_handle();
        FaultProxy {
            addr,
            shared,
            accept,
        }
    }

    pub fn mode(&self) -> Mode {
        *self.shared.mode.lock().expect("mode")
    }

    /// Switches the mode for new connections and closes every open one.
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("mode") = mode;
        self.close_all();
    }

    /// Points the proxy at another upstream (head office restarted elsewhere).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        self.set_upstreams(vec![upstream]);
    }

    /// Spreads connections over several upstreams in turn.
    pub fn set_upstreams(&self, upstreams: Vec<SocketAddr>) {
        assert!(!upstreams.is_empty(), "at least one upstream");
        *self.shared.upstream.lock().expect("upstream") = upstreams;
        self.close_all();
    }

    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    fn close_all(&self) {
        for conn in self.shared.conns.lock().expect("conns").drain(..) {
            conn.abort();
        }
        // A held request is released rather than lost: the link came back or changed.
        if let Some(release) = self.shared.held.lock().expect("held").take() {
            let _ = release.send(());
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let _ = client.set_nodelay(true);
        shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
        let mode = *shared.mode.lock().expect("mode");
        let upstream = {
            let all = shared.upstream.lock().expect("upstream");
            let turn = shared.next_upstream.fetch_add(1, Ordering::Relaxed) as usize;
            all[turn % all.len()]
        };
        let task = tokio::spawn(handle(shared.clone(), client, upstream, mode)).abort_handle();
        let mut conns = shared.conns.lock().expect("conns");
        conns.retain(|c| !c.is_finished());
        conns.push(task);
    }
}

async fn handle(shared: Arc<Shared>, mut client: TcpStream, upstream: SocketAddr, mode: Mode) {
    match mode {
        Mode::Down => {
            shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            // Linger 0: the close is a reset, as a refused connection looks to the client
            // (a zero linger never blocks the drop, which is what the deprecation is about).
            #[allow(deprecated)]
            let _ = client.set_linger(Some(Duration::ZERO));
            drop(client);
        }
        Mode::Drop => {
            shared.stats.swallowed.fetch_add(1, Ordering::Relaxed);
            let mut sink = vec![0u8; 16 * 1024];
            while let Ok(n) = client.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            // Never close from our side: a black hole; the client ends it.
            std::future::pending::<()>().await;
        }
        Mode::Pass => {
            let Ok(mut up) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = up.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
        }
        Mode::Delay(delay) => {
            let Ok(up) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = up.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (ur, uw) = up.into_split();
            tokio::join!(delayed_pump(cr, uw, delay), delayed_pump(ur, cw, delay));
        }
        Mode::CutAnswer | Mode::Duplicate | Mode::Reorder => {
            framed(shared, client, upstream, mode).await;
        }
    }
}

async fn delayed_pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        tokio::time::sleep(delay).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Splits a byte stream into TLS records (or, for a plain stream, into the chunks as read).
#[derive(Default)]
struct Records {
    buf: Vec<u8>,
    /// Decided on the first byte: 0x16 is a TLS handshake record.
    tls: Option<bool>,
}

/// TLS record types that matter here.
const APPLICATION_DATA: u8 = 0x17;

impl Records {
    fn push(&mut self, bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
        if self.tls.is_none() && !bytes.is_empty() {
            self.tls = Some(bytes[0] == 0x16);
        }
        if self.tls == Some(false) {
            return vec![(APPLICATION_DATA, bytes.to_vec())];
        }
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            if self.buf.len() < 5 {
                break;
            }
            let len = 5 + usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]));
            if self.buf.len() < len {
                break;
            }
            let record: Vec<u8> = self.buf.drain(..len).collect();
            out.push((record[0], record));
        }
        out
    }
}

/// Where a connection stands, read from record types only.
struct Framing {
    client: Records,
    server: Records,
    /// Head office sent application data before the client did: TLS 1.3, whose first
    /// client application-data record is its Finished, not the request.
    server_data_first: bool,
    client_data_records: u64,
}

impl Framing {
    /// Whether this client record is (part of) the request.
    fn is_request(&mut self, kind: u8) -> bool {
        if self.client.tls == Some(false) {
            return true;
        }
        if kind != APPLICATION_DATA {
            return false;
        }
        self.client_data_records += 1;
        let skip = u64::from(self.server_data_first);
        self.client_data_records > skip
    }
}

/// The record-aware modes: one task drives both directions.
async fn framed(shared: Arc<Shared>, client: TcpStream, upstream: SocketAddr, mode: Mode) {
    let Ok(up) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = up.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    let mut f = Framing {
        client: Records::default(),
        server: Records::default(),
        server_data_first: false,
        client_data_records: 0,
    };
    let mut cbuf = vec![0u8; 64 * 1024];
    let mut ubuf = vec![0u8; 64 * 1024];
    // Client records waiting to go up (cut: until head office is quiet; reorder: held).
    let mut pending: std::collections::VecDeque<(bool, Vec<u8>)> = Default::default();
    let mut request_sent = false;
    let mut last_upstream = Instant::now();
    let mut client_open = true;
    let mut upstream_shut = false;
    let mut everything_sent: Vec<u8> = Vec::new();
    // Reorder: None = not decided; Some(rx) = holding until released.
    let mut hold: Option<oneshot::Receiver<()>> = None;
    let mut hold_until: Option<Instant> = None;
    let mut released = mode != Mode::Reorder;
    loop {
        // What may be flushed now.
        while let Some((is_request, _)) = pending.front() {
            let is_request = *is_request;
            if is_request && !request_sent {
                if mode == Mode::CutAnswer && f.server_data_first && last_upstream.elapsed() < QUIET
                {
                    break;
                }
                if mode == Mode::Reorder && !released {
                    if hold.is_none() {
                        let waiting = shared.held.lock().expect("held").take();
                        match waiting {
                            // Another request is held: this one overtakes it, then lets
                            // it go.
                            Some(release) => {
                                released = true;
                                let (_, bytes) = pending.pop_front().expect("front");
                                if uw.write_all(&bytes).await.is_err() {
                                    return;
                                }
                                request_sent = true;
                                shared.stats.reordered.fetch_add(1, Ordering::Relaxed);
                                let _ = release.send(());
                                continue;
                            }
                            None => {
                                let (tx, rx) = oneshot::channel();
                                *shared.held.lock().expect("held") = Some(tx);
                                hold = Some(rx);
                                hold_until = Some(Instant::now() + REORDER_HOLD);
                            }
                        }
                    }
                    break;
                }
            }
            let (is_request, bytes) = pending.pop_front().expect("front");
            if uw.write_all(&bytes).await.is_err() {
                return;
            }
            if mode == Mode::Duplicate {
                everything_sent.extend_from_slice(&bytes);
            }
            if is_request {
                request_sent = true;
            }
        }
        let quiet_at = if mode == Mode::CutAnswer && !pending.is_empty() {
            Some(last_upstream + QUIET)
        } else {
            None
        };
        tokio::select! {
            read = cr.read(&mut cbuf), if client_open => {
                match read {
                    Ok(0) | Err(_) => client_open = false,
                    Ok(n) => {
                        for (kind, bytes) in f.client.push(&cbuf[..n]) {
                            let is_request = f.is_request(kind);
                            pending.push_back((is_request, bytes));
                        }
                    }
                }
            }
            read = ur.read(&mut ubuf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                last_upstream = Instant::now();
                if mode == Mode::CutAnswer && request_sent {
                    // Head office answered: it committed. The client never hears it.
                    shared.stats.answers_cut.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                for (kind, bytes) in f.server.push(&ubuf[..n]) {
                    if kind == APPLICATION_DATA && f.client_data_records == 0 {
                        f.server_data_first = true;
                    }
                    if client_open && cw.write_all(&bytes).await.is_err() {
                        client_open = false;
                    }
                }
                if mode == Mode::Duplicate && request_sent && !everything_sent.is_empty() {
                    let replay = std::mem::take(&mut everything_sent);
                    shared.stats.duplicated.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(replay_on_new_connection(upstream, replay));
                }
            }
            _ = async { if let Some(at) = quiet_at { tokio::time::sleep_until(at).await } }, if quiet_at.is_some() => {}
            _ = async {
                match (&mut hold, hold_until) {
                    (Some(rx), Some(until)) => { let _ = tokio::time::timeout_at(until, rx).await; }
                    _ => std::future::pending::<()>().await,
                }
            }, if hold.is_some() => {
                hold = None;
                released = true;
                // Nobody overtook within the hold: forget the slot so no later request
                // waits on a connection that already went.
                shared.held.lock().expect("held").take();
            }
        }
        if !client_open && pending.is_empty() && released && !upstream_shut {
            // The client is gone and everything it sent went up: say so to head office,
            // which answers what it has and closes.
            upstream_shut = true;
            let _ = uw.shutdown().await;
        }
    }
}

/// The client's bytes sent again on a fresh upstream connection; the answer is read and
/// thrown away.
async fn replay_on_new_connection(upstream: SocketAddr, bytes: Vec<u8>) {
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return;
    };
    if up.write_all(&bytes).await.is_err() {
        return;
    }
    let mut sink = vec![0u8; 16 * 1024];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = up.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    //! The proxy over plain TCP: a tiny upstream that answers each request line with
    //! "ok <line>\n" and counts what it received.
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Echo {
        addr: SocketAddr,
        received: Arc<Mutex<Vec<String>>>,
        connections: Arc<AtomicUsize>,
    }

    async fn echo_server() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (r, c) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    continue;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    loop {
                        let n = match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                            let line: Vec<u8> = buf.drain(..=i).collect();
                            let line = String::from_utf8_lossy(&line).trim().to_owned();
                            r.lock().expect("received").push(line.clone());
                            if s.write_all(format!("ok {line}\n").as_bytes())
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Echo {
            addr,
            received,
            connections,
        }
    }

    /// Sends a line, reads the answer line (`None`: closed, reset or timed out).
    async fn ask(proxy: SocketAddr, line: &str, wait: Duration) -> Option<String> {
        let mut s = tokio::time::timeout(wait, TcpStream::connect(proxy))
            .await
            .ok()?
            .ok()?;
        s.write_all(format!("{line}\n").as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 256];
        tokio::time::timeout(wait, async {
            loop {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                answer.extend_from_slice(&chunk[..n]);
                if answer.ends_with(b"\n") {
                    return Some(String::from_utf8_lossy(&answer).trim().to_owned());
                }
            }
        })
        .await
        .ok()?
    }

    fn received(e: &Echo) -> Vec<String> {
        e.received.lock().expect("received").clone()
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    #[tokio::test]
    async fn proxy_passes_both_ways() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        let wait = Duration::from_secs(2);
        assert_eq!(ask(p.addr, "a", wait).await.as_deref(), Some("ok a"));
        assert_eq!(received(&e), ["a"]);
    }

    #[tokio::test]
    async fn proxy_down_refuses_and_reaches_nothing() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Down);
        assert_eq!(ask(p.addr, "a", Duration::from_secs(2)).await, None);
        settle().await;
        assert!(received(&e).is_empty());
        assert_eq!(e.connections.load(Ordering::SeqCst), 0);
        p.set_mode(Mode::Pass);
        assert_eq!(
            ask(p.addr, "b", Duration::from_secs(2)).await.as_deref(),
            Some("ok b")
        );
    }

    #[tokio::test]
    async fn proxy_drop_swallows_and_never_answers() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Drop);
        let started = std::time::Instant::now();
        assert_eq!(ask(p.addr, "a", Duration::from_millis(400)).await, None);
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "a black hole is a timeout, not a quick refusal"
        );
        assert!(received(&e).is_empty());
    }

    #[tokio::test]
    async fn proxy_delay_holds_each_way() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Delay(Duration::from_millis(150)));
        let started = std::time::Instant::now();
        assert_eq!(
            ask(p.addr, "a", Duration::from_secs(3)).await.as_deref(),
            Some("ok a")
        );
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn proxy_cut_answer_delivers_the_request_but_not_the_answer() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::CutAnswer);
        assert_eq!(ask(p.addr, "a", Duration::from_secs(2)).await, None);
        assert_eq!(received(&e), ["a"], "upstream got and answered the request");
        assert_eq!(p.stats().answers_cut.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn proxy_duplicate_sends_the_request_twice() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Duplicate);
        assert_eq!(
            ask(p.addr, "a", Duration::from_secs(2)).await.as_deref(),
            Some("ok a")
        );
        settle().await;
        assert_eq!(received(&e), ["a", "a"]);
        assert_eq!(e.connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn proxy_reorder_lets_the_next_request_overtake() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Reorder);
        let wait = Duration::from_secs(5);
        let addr = p.addr;
        let first = tokio::spawn(async move { ask(addr, "first", wait).await });
        settle().await;
        assert!(received(&e).is_empty(), "the first request is held");
        let second = ask(p.addr, "second", wait).await;
        assert_eq!(second.as_deref(), Some("ok second"));
        assert_eq!(first.await.expect("join").as_deref(), Some("ok first"));
        assert_eq!(received(&e), ["second", "first"]);
        assert_eq!(p.stats().reordered.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn proxy_reorder_releases_a_lone_request_after_the_hold() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        p.set_mode(Mode::Reorder);
        let answer = ask(p.addr, "alone", REORDER_HOLD + Duration::from_secs(2)).await;
        assert_eq!(answer.as_deref(), Some("ok alone"));
    }

    #[tokio::test]
    async fn proxy_spreads_connections_over_its_upstreams() {
        let (e1, e2) = (echo_server().await, echo_server().await);
        let p = FaultProxy::start(e1.addr).await;
        p.set_upstreams(vec![e1.addr, e2.addr]);
        let wait = Duration::from_secs(2);
        for line in ["a", "b", "c", "d"] {
            assert!(ask(p.addr, line, wait).await.is_some());
        }
        assert_eq!(received(&e1).len(), 2);
        assert_eq!(received(&e2).len(), 2);
    }

    #[tokio::test]
    async fn proxy_switch_closes_open_connections() {
        let e = echo_server().await;
        let p = FaultProxy::start(e.addr).await;
        let mut s = TcpStream::connect(p.addr).await.expect("connect");
        s.write_all(b"a\n").await.expect("write");
        let mut chunk = [0u8; 16];
        let n = s.read(&mut chunk).await.expect("read");
        assert_eq!(&chunk[..n], b"ok a\n");
        p.set_mode(Mode::Pass);
        let closed = tokio::time::timeout(Duration::from_secs(2), s.read(&mut chunk)).await;
        assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    }
}
