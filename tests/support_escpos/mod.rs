//! An ESC/POS decoder for the receipt tests: turns the bytes sent to the printer back into
//! events — text lines (GBK in Chinese mode, code page 437 otherwise), alignment, emphasis and
//! size changes, feeds, cuts, QR codes, the `FS &` Chinese-mode switch — and into a page of
//! aligned text comparable with the renderer's preview. Only the commands a receipt uses are
//! understood; anything else comes back as `Unknown` so a test can refuse it.

#![allow(dead_code)]

use encoding_rs::GBK;
use member_kiosk::receipt::charset::PC437_HIGH;
use member_kiosk::receipt::document::Align;
use member_kiosk::receipt::width::{pad, width, Measure};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `ESC @`
    Init,
    /// `FS &` (true) / `FS .` (false)
    ChineseMode(bool),
    /// `ESC t n`
    CodePage(u8),
    /// `ESC a n`
    Align(Align),
    /// `ESC E n`
    Bold(bool),
    /// `GS ! n`: character width and height multipliers.
    Size {
        width: u8,
        height: u8,
    },
    /// Text ended by `LF` or `ESC d n` (then `n − 1` more `Feed` lines follow).
    Line(String),
    /// Blank lines: `ESC d n` or `LF` with nothing to print.
    Feed(u8),
    /// `GS V A n` (full) / `GS V B n` (partial) / `GS V m`.
    Cut {
        partial: bool,
    },
    /// `GS ( k` QR code printed (function 181): with the model (function 165), module size
    /// (167) and error-correction level (169) set before it, and the stored data (180).
    Qr {
        payload: String,
        model: u8,
        size: u8,
        level: u8,
    },
    Unknown(Vec<u8>),
}

/// Decodes `bytes` into events.
pub fn decode(bytes: &[u8]) -> Vec<Event> {
    let mut d = Decoder::default();
    d.run(bytes);
    d.events
}

#[derive(Default)]
struct Decoder {
    events: Vec<Event>,
    chinese: bool,
    text: Vec<u8>,
    qr_model: u8,
    qr_size: u8,
    qr_level: u8,
    qr_data: Vec<u8>,
}

impl Decoder {
    fn run(&mut self, b: &[u8]) {
        let mut i = 0;
        let arg = |k: usize| b.get(k).copied();
        while i < b.len() {
            let c = b[i];
            match c {
                0x0a => {
                    self.end_line(1);
                    i += 1;
                }
                0x1b => match (arg(i + 1), arg(i + 2)) {
                    (Some(b'@'), _) => {
                        self.text.clear();
                        self.events.push(Event::Init);
                        i += 2;
                    }
                    (Some(b't'), Some(n)) => {
                        self.events.push(Event::CodePage(n));
                        i += 3;
                    }
                    (Some(b'E'), Some(n)) => {
                        self.events.push(Event::Bold(n & 1 == 1));
                        i += 3;
                    }
                    (Some(b'a'), Some(n)) => {
                        let align = match n {
                            0 | 48 => Align::Left,
                            1 | 49 => Align::Center,
                            _ => Align::Right,
                        };
                        self.events.push(Event::Align(align));
                        i += 3;
                    }
                    (Some(b'd'), Some(n)) => {
                        self.end_line(n);
                        i += 3;
                    }
                    _ => {
                        self.unknown(&b[i..(i + 2).min(b.len())]);
                        i += 2;
                    }
                },
                0x1d => match (arg(i + 1), arg(i + 2)) {
                    (Some(b'!'), Some(n)) => {
                        self.events.push(Event::Size {
                            width: (n >> 4) + 1,
                            height: (n & 0x0f) + 1,
                        });
                        i += 3;
                    }
                    (Some(b'V'), Some(m)) if m == b'A' || m == b'B' => {
                        self.events.push(Event::Cut { partial: m == b'B' });
                        i += 4;
                    }
                    (Some(b'V'), Some(m)) => {
                        self.events.push(Event::Cut {
                            partial: m & 1 == 1,
                        });
                        i += 3;
                    }
                    (Some(b'('), Some(b'k')) => {
                        let len = usize::from(arg(i + 3).unwrap_or(0))
                            + 256 * usize::from(arg(i + 4).unwrap_or(0));
                        let end = (i + 5 + len).min(b.len());
                        self.symbol(&b[i + 5..end]);
                        i = end;
                    }
                    _ => {
                        self.unknown(&b[i..(i + 2).min(b.len())]);
                        i += 2;
                    }
                },
                0x1c => {
                    match arg(i + 1) {
                        Some(b'&') => self.chinese_mode(true),
                        Some(b'.') => self.chinese_mode(false),
                        _ => self.unknown(&b[i..(i + 2).min(b.len())]),
                    }
                    i += 2;
                }
                0x00..=0x1f | 0x7f => {
                    self.unknown(&[c]);
                    i += 1;
                }
                0x81..=0xfe if self.chinese => {
                    // A GBK lead byte: its trail byte (0x40–0xFE) is never a command.
                    self.text.extend_from_slice(&b[i..(i + 2).min(b.len())]);
                    i += 2;
                }
                _ => {
                    self.text.push(c);
                    i += 1;
                }
            }
        }
        if !self.text.is_empty() {
            self.end_line(1);
        }
    }

    fn chinese_mode(&mut self, on: bool) {
        self.chinese = on;
        self.events.push(Event::ChineseMode(on));
    }

    fn unknown(&mut self, bytes: &[u8]) {
        self.events.push(Event::Unknown(bytes.to_vec()));
    }

    /// `n` line feeds: the first prints the pending text, if any.
    fn end_line(&mut self, n: u8) {
        let mut blank = n;
        if !self.text.is_empty() {
            let text = if self.chinese {
                GBK.decode_without_bom_handling(&self.text).0.into_owned()
            } else {
                self.text
                    .iter()
                    .map(|&b| {
                        if b < 0x80 {
                            char::from(b)
                        } else {
                            PC437_HIGH[usize::from(b - 0x80)]
                        }
                    })
                    .collect()
            };
            self.text.clear();
            self.events.push(Event::Line(text));
            blank = n.saturating_sub(1);
        }
        if blank > 0 {
            self.events.push(Event::Feed(blank));
        }
    }

    /// `GS ( k` parameters: cn fn [m] data.
    fn symbol(&mut self, p: &[u8]) {
        match (p.first(), p.get(1)) {
            (Some(49), Some(65)) => self.qr_model = p.get(2).copied().unwrap_or(0),
            (Some(49), Some(67)) => self.qr_size = p.get(2).copied().unwrap_or(0),
            (Some(49), Some(69)) => self.qr_level = p.get(2).copied().unwrap_or(0),
            (Some(49), Some(80)) => self.qr_data = p.get(3..).unwrap_or_default().to_vec(),
            (Some(49), Some(81)) => self.events.push(Event::Qr {
                payload: String::from_utf8_lossy(&self.qr_data).into_owned(),
                model: self.qr_model,
                size: self.qr_size,
                level: self.qr_level,
            }),
            _ => self.unknown(p),
        }
    }
}

/// A printed line with the style it was printed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledLine {
    pub text: String,
    pub align: Align,
    pub bold: bool,
    pub width: u8,
    pub height: u8,
}

/// The text lines with their style.
pub fn styled_lines(events: &[Event]) -> Vec<StyledLine> {
    let (mut align, mut bold, mut w, mut h) = (Align::Left, false, 1, 1);
    let mut out = Vec::new();
    for e in events {
        match e {
            Event::Init => (align, bold, w, h) = (Align::Left, false, 1, 1),
            Event::Align(a) => align = *a,
            Event::Bold(b) => bold = *b,
            Event::Size { width, height } => (w, h) = (*width, *height),
            Event::Line(t) => out.push(StyledLine {
                text: t.clone(),
                align,
                bold,
                width: w,
                height: h,
            }),
            _ => {}
        }
    }
    out
}

/// The text lines only.
pub fn lines(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Line(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

pub fn qr_payloads(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Qr { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

pub fn cuts(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Cut { .. }))
        .count()
}

pub fn unknown(events: &[Event]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Unknown(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// The page as the paper shows it, written the way the preview writes it: centred and
/// right-aligned lines padded to `columns` by display width, trailing spaces dropped, blank
/// lines for feeds, `[QR payload]` centred for a QR code, a line of `=` for a cut.
pub fn page(events: &[Event], columns: usize, measure: Measure) -> String {
    let mut out = String::new();
    let mut align = Align::Left;
    let push = |out: &mut String, text: &str, align: Align| {
        out.push_str(pad(text, columns, align, measure).trim_end());
        out.push('\n');
    };
    for e in events {
        match e {
            Event::Init => align = Align::Left,
            Event::Align(a) => align = *a,
            Event::Line(t) => push(&mut out, t, align),
            Event::Feed(n) => (0..*n).for_each(|_| out.push('\n')),
            Event::Qr { payload, .. } => push(&mut out, &format!("[QR {payload}]"), Align::Center),
            Event::Cut { .. } => {
                out.push_str(&"=".repeat(columns));
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// Display width of a decoded line.
pub fn columns_of(text: &str, measure: Measure) -> usize {
    width(text, measure)
}
