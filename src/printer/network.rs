//! An Ethernet receipt printer on its raw port (TCP 9100): one connection for the status
//! request, one for the job, every connect, read and write bounded by the time limit.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::status::{PrinterState, OFFLINE_CAUSE, PAPER_SENSOR, PRINTER_STATUS};
use super::{Job, PrintError, PrinterDriver};

pub struct NetworkPrinter {
    /// `host:port`.
    address: String,
    /// Limit of one status request (all three bytes) and of one send.
    timeout: Duration,
}

/// What is left of the time limit; a zero left is a time-out (sockets take no zero timeout).
fn left(deadline: Instant) -> Result<Duration, PrintError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(PrintError::Timeout)
    } else {
        Ok(left)
    }
}

impl NetworkPrinter {
    pub fn new(address: String, timeout: Duration) -> NetworkPrinter {
        NetworkPrinter { address, timeout }
    }

    fn io(&self, e: &std::io::Error) -> PrintError {
        PrintError::from_io(&self.address, e)
    }

    fn connect(&self, deadline: Instant) -> Result<TcpStream, PrintError> {
        let addrs = self
            .address
            .to_socket_addrs()
            .map_err(|e| PrintError::Io(format!("{}: {e}", self.address)))?;
        let mut last = PrintError::Io(format!("{}: no address", self.address));
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, left(deadline)?) {
                Ok(stream) => {
                    // Status requests are 3 bytes: send them now, not after Nagle's delay.
                    stream.set_nodelay(true).map_err(|e| self.io(&e))?;
                    return Ok(stream);
                }
                Err(e) => last = self.io(&e),
            }
        }
        Err(last)
    }

    /// Sends one `DLE EOT n` and reads its one-byte answer.
    fn ask(
        &self,
        stream: &mut TcpStream,
        request: &[u8],
        deadline: Instant,
    ) -> Result<u8, PrintError> {
        stream
            .set_write_timeout(Some(left(deadline)?))
            .map_err(|e| self.io(&e))?;
        stream.write_all(request).map_err(|e| self.io(&e))?;
        let mut answer = [0u8; 1];
        loop {
            stream
                .set_read_timeout(Some(left(deadline)?))
                .map_err(|e| self.io(&e))?;
            match stream.read(&mut answer) {
                Ok(0) => {
                    return Err(PrintError::Io(format!(
                        "{}: the printer closed the connection",
                        self.address
                    )))
                }
                Ok(_) => return Ok(answer[0]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(&e)),
            }
        }
    }
}

impl PrinterDriver for NetworkPrinter {
    fn status(&self) -> Result<PrinterState, PrintError> {
        let deadline = Instant::now() + self.timeout;
        let mut stream = self.connect(deadline)?;
        let printer = self.ask(&mut stream, &PRINTER_STATUS, deadline)?;
        let cause = self.ask(&mut stream, &OFFLINE_CAUSE, deadline)?;
        let paper = self.ask(&mut stream, &PAPER_SENSOR, deadline)?;
        let _ = stream.shutdown(Shutdown::Both);
        PrinterState::parse(printer, cause, paper).map_err(|bad| {
            PrintError::Io(format!(
                "{}: unexpected status byte {:#04x}",
                self.address, bad.0
            ))
        })
    }

    fn print(&self, job: &Job<'_>) -> Result<(), PrintError> {
        let deadline = Instant::now() + self.timeout;
        let mut stream = self.connect(deadline)?;
        // Chunks, so a slow printer is held to the whole job's limit, not one write's.
        for chunk in job.bytes.chunks(4096) {
            stream
                .set_write_timeout(Some(left(deadline)?))
                .map_err(|e| self.io(&e))?;
            stream.write_all(chunk).map_err(|e| self.io(&e))?;
        }
        stream.flush().map_err(|e| self.io(&e))?;
        // A clean end of stream: the printer has the whole job before the socket closes.
        stream.shutdown(Shutdown::Write).map_err(|e| self.io(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_closed_port_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let p = NetworkPrinter::new(addr.to_string(), Duration::from_millis(500));
        assert_eq!(p.status(), Err(PrintError::Refused));
    }

    #[test]
    fn a_silent_printer_times_out_within_the_limit() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = NetworkPrinter::new(
            listener.local_addr().unwrap().to_string(),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        assert_eq!(p.status(), Err(PrintError::Timeout));
        assert!(started.elapsed() < Duration::from_millis(1000));
    }

    #[test]
    fn an_address_without_a_port_is_an_io_fault() {
        let p = NetworkPrinter::new("printer-1".into(), Duration::from_millis(300));
        assert!(matches!(p.status(), Err(PrintError::Io(_))));
    }
}
