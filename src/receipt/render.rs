//! Renders a `Document` to ESC/POS bytes (through the `escpos` crate's command builder and an
//! in-memory driver) and to a monospaced text preview; both from the same laid-out lines.

use std::cell::RefCell;

use encoding_rs::GBK;
use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    Encoder, JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use serde::{Deserialize, Serialize};

use super::charset::{measure, printable};
use super::document::{Align, Document};
use super::layout::{lay_out, LineStyle, Sink, Size};
use super::width::{push_padded, Measure};

/// Paper width: 58 mm = 32 columns, 80 mm = 48 columns (Font A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    Mm58,
    #[default]
    Mm80,
}

impl Paper {
    /// Font A characters (half-width cells) per line.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }
}

/// Label language: Simplified Chinese (default, GBK on the wire) or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Style {
    pub paper: Paper,
    pub language: Language,
}

/// `FS &`: the printer's Chinese (double-byte) character mode.
pub const FS_CHINESE_MODE: [u8; 2] = [0x1c, 0x26];

/// QR codes: model 2, module size 6, error correction M.
const QR_MODULE_SIZE: u8 = 6;

/// ESC/POS bytes for `doc` (never fails: text the printer can't encode is replaced visibly).
///
/// The stream: `ESC @`; then `FS &` in Chinese mode (text in GBK) or `ESC t 0` in English
/// mode (code page 437); then the lines, with `ESC a` / `ESC E` / `GS !` only where the
/// alignment, emphasis or size changes, each line ended by `ESC d 1`; QR codes as
/// `GS ( k` (model, size, level, store data, print); cuts as `GS V A 0`.
pub fn escpos(doc: &Document, style: &Style) -> Vec<u8> {
    let mut sink = EscposSink::new(style);
    lay_out(doc, style, &mut sink);
    sink.finish()
}

/// The same document as monospaced text (CJK counted double width), for the UI preview:
/// `columns` wide, centred and right-aligned lines padded, QR codes as `[QR payload]`, cuts as
/// a line of `=`, the COPY banner and titles as plain text lines.
pub fn preview(doc: &Document, style: &Style) -> String {
    let mut sink = PreviewSink::new(style);
    lay_out(doc, style, &mut sink);
    sink.out
}

/// [`preview`] and [`escpos`] of the same document from one layout pass (what printing a job
/// needs: the bytes for the printer, the text for the operator's screen).
pub fn preview_and_escpos(doc: &Document, style: &Style) -> (String, Vec<u8>) {
    let mut both = Both {
        preview: PreviewSink::new(style),
        escpos: EscposSink::new(style),
    };
    lay_out(doc, style, &mut both);
    (both.preview.out, both.escpos.finish())
}

/// Hands every laid-out line to both sinks.
struct Both {
    preview: PreviewSink,
    escpos: EscposSink,
}

impl Sink for Both {
    fn line(&mut self, text: &str, style: LineStyle) {
        self.preview.line(text, style);
        self.escpos.line(text, style);
    }

    fn qr(&mut self, payload: &str) {
        self.preview.qr(payload);
        self.escpos.qr(payload);
    }

    fn feed(&mut self, lines: u8) {
        self.preview.feed(lines);
        self.escpos.feed(lines);
    }

    fn cut(&mut self) {
        self.preview.cut();
        self.escpos.cut();
    }
}

/// Collects what the printer would be sent.
#[derive(Default)]
struct MemoryDriver {
    bytes: RefCell<Vec<u8>>,
}

impl Driver for MemoryDriver {
    fn name(&self) -> String {
        "memory".to_owned()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.bytes.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

struct EscposSink {
    printer: Printer<MemoryDriver>,
    /// The printer's current style, so commands are sent only on a change.
    current: LineStyle,
}

// The results below are dropped on purpose: the driver is in memory and cannot fail, text is
// `printable` (encodable) before it gets here, and sizes are in range. `line` still has a
// fallback, because a print must never fail.
impl EscposSink {
    fn new(style: &Style) -> EscposSink {
        let columns = u8::try_from(style.paper.columns()).unwrap_or(u8::MAX);
        let (protocol, page_code) = match style.language {
            Language::Zh => (Protocol::new(Encoder::new(GBK)), None),
            Language::En => (Protocol::new(Encoder::default()), Some(PageCode::PC437)),
        };
        let options = PrinterOptions::new(page_code, None, columns);
        let mut printer = Printer::new(MemoryDriver::default(), protocol, Some(options));
        let _ = printer.init();
        if style.language == Language::Zh {
            let _ = printer.custom(&FS_CHINESE_MODE);
        }
        EscposSink {
            printer,
            current: LineStyle::PLAIN,
        }
    }

    fn set_style(&mut self, style: LineStyle) {
        if style.align != self.current.align {
            let _ = self.printer.justify(match style.align {
                Align::Left => JustifyMode::LEFT,
                Align::Center => JustifyMode::CENTER,
                Align::Right => JustifyMode::RIGHT,
            });
        }
        if style.bold != self.current.bold {
            let _ = self.printer.bold(style.bold);
        }
        if style.size != self.current.size {
            let _ = match style.size {
                Size::Normal => self.printer.reset_size(),
                Size::Tall => self.printer.size(1, 2),
                Size::Big => self.printer.size(2, 2),
            };
        }
        self.current = style;
    }

    fn finish(mut self) -> Vec<u8> {
        let _ = self.printer.print();
        self.printer.driver().bytes.into_inner()
    }
}

impl Sink for EscposSink {
    fn line(&mut self, text: &str, style: LineStyle) {
        self.set_style(style);
        if text.is_empty() {
            let _ = self.printer.feed();
        } else if self.printer.writeln(text).is_err() {
            let ascii: String = text
                .chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect();
            let _ = self.printer.custom(ascii.as_bytes());
            let _ = self.printer.feed();
        }
    }

    fn qr(&mut self, payload: &str) {
        if payload.is_empty() {
            return;
        }
        self.set_style(LineStyle {
            align: Align::Center,
            ..self.current
        });
        let option = QRCodeOption::new(
            QRCodeModel::Model2,
            QR_MODULE_SIZE,
            QRCodeCorrectionLevel::M,
        );
        if self.printer.qrcode_option(payload, option).is_err() {
            // Too long for a QR code: print the id instead of losing it.
            let text = printable(payload, Language::En).into_owned();
            self.line(&text, self.current);
        }
    }

    fn feed(&mut self, lines: u8) {
        if lines > 0 {
            let _ = self.printer.feeds(lines);
        }
    }

    fn cut(&mut self) {
        let _ = self.printer.cut();
    }
}

struct PreviewSink {
    out: String,
    columns: usize,
    measure: Measure,
    language: Language,
}

impl PreviewSink {
    fn new(style: &Style) -> PreviewSink {
        PreviewSink {
            out: String::with_capacity(2048),
            columns: style.paper.columns(),
            measure: measure(style.language),
            language: style.language,
        }
    }

    fn end_line(&mut self) {
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
        self.out.push('\n');
    }
}

impl Sink for PreviewSink {
    fn line(&mut self, text: &str, style: LineStyle) {
        push_padded(&mut self.out, text, self.columns, style.align, self.measure);
        self.end_line();
    }

    fn qr(&mut self, payload: &str) {
        if payload.is_empty() {
            return;
        }
        let text = format!("[QR {}]", printable(payload, self.language));
        push_padded(
            &mut self.out,
            &text,
            self.columns,
            Align::Center,
            self.measure,
        );
        self.end_line();
    }

    fn feed(&mut self, lines: u8) {
        for _ in 0..lines {
            self.out.push('\n');
        }
    }

    fn cut(&mut self) {
        self.out.extend(std::iter::repeat_n('=', self.columns));
        self.out.push('\n');
    }
}
