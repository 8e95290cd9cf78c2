//! Renders a `Document` to ESC/POS bytes and to a monospaced text preview; both from the same
//! laid-out lines. The bytes are written straight into one buffer: they are the very bytes the
//! `escpos` crate's command builder sends for the same calls (its test here checks that), at
//! a fraction of its cost (it allocates a labelled instruction per command), which every
//! receipt paid at the till.

use encoding_rs::{EncoderResult, GBK};
use serde::{Deserialize, Serialize};

use super::charset::{measure, printable, PC437_HIGH};
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

/// The longest QR payload the printer takes (bytes).
const QR_MAX_BYTES: usize = 7089;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// ESC/POS bytes for `doc` (never fails: text the printer can't encode is replaced visibly).
///
/// The stream: `ESC @`; then `FS &` in Chinese mode (text in GBK) or `ESC t 0` in English
/// mode (code page 437); then the lines, with `ESC a` / `ESC E` / `GS !` only where the
/// alignment, emphasis or size changes, each line ended by `ESC d 1`; QR codes as
/// `GS ( k` (model, size, level, store data, print); cuts as `GS V A 0`.
pub fn escpos(doc: &Document, style: &Style) -> Vec<u8> {
    let mut sink = EscposSink::new(style);
    lay_out(doc, style, &mut sink);
    sink.out
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
    (both.preview.out, both.escpos.out)
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

/// Writes what the printer is sent.
struct EscposSink {
    out: Vec<u8>,
    language: Language,
    /// The printer's current style, so commands are sent only on a change.
    current: LineStyle,
}

impl EscposSink {
    fn new(style: &Style) -> EscposSink {
        let mut out = Vec::with_capacity(2048);
        out.extend_from_slice(&[ESC, b'@']);
        match style.language {
            Language::Zh => out.extend_from_slice(&FS_CHINESE_MODE),
            Language::En => out.extend_from_slice(&[ESC, b't', 0]),
        }
        EscposSink {
            out,
            language: style.language,
            current: LineStyle::PLAIN,
        }
    }

    fn set_style(&mut self, style: LineStyle) {
        if style.align != self.current.align {
            let n = match style.align {
                Align::Left => 0,
                Align::Center => 1,
                Align::Right => 2,
            };
            self.out.extend_from_slice(&[ESC, b'a', n]);
        }
        if style.bold != self.current.bold {
            self.out
                .extend_from_slice(&[ESC, b'E', u8::from(style.bold)]);
        }
        if style.size != self.current.size {
            // (width − 1) << 4 | (height − 1)
            let n = match style.size {
                Size::Normal => 0x00,
                Size::Tall => 0x01,
                Size::Big => 0x11,
            };
            self.out.extend_from_slice(&[GS, b'!', n]);
        }
        self.current = style;
    }

    /// `text` in the printer's encoding; false (nothing written) if a character has no code.
    /// Text is `printable` before it gets here, so that is a fallback only.
    fn text(&mut self, text: &str) -> bool {
        let start = self.out.len();
        let ok = match self.language {
            Language::Zh => {
                let mut encoder = GBK.new_encoder();
                let mut rest = text;
                loop {
                    let mut buf = [0u8; 256];
                    let (result, read, written) =
                        encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
                    self.out.extend_from_slice(&buf[..written]);
                    rest = &rest[read..];
                    match result {
                        EncoderResult::InputEmpty => break true,
                        EncoderResult::OutputFull => continue,
                        EncoderResult::Unmappable(_) => break false,
                    }
                }
            }
            Language::En => text.chars().all(|c| match c {
                ' '..='~' => {
                    self.out.push(c as u8);
                    true
                }
                _ => match PC437_HIGH.iter().position(|&h| h == c) {
                    Some(i) => {
                        self.out.push(0x80 + i as u8);
                        true
                    }
                    None => false,
                },
            }),
        };
        if !ok {
            self.out.truncate(start);
        }
        ok
    }
}

impl Sink for EscposSink {
    fn line(&mut self, text: &str, style: LineStyle) {
        self.set_style(style);
        if !text.is_empty() && !self.text(text) {
            let ascii: String = text
                .chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect();
            self.out.extend_from_slice(ascii.as_bytes());
        }
        self.feed(1);
    }

    fn qr(&mut self, payload: &str) {
        if payload.is_empty() {
            return;
        }
        self.set_style(LineStyle {
            align: Align::Center,
            ..self.current
        });
        if payload.len() > QR_MAX_BYTES {
            // Too long for a QR code: print the id instead of losing it.
            let text = printable(payload, Language::En).into_owned();
            self.line(&text, self.current);
            return;
        }
        // Model 2, module size, error correction M, store the data, print it.
        let stored = payload.len() + 3;
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, QR_MODULE_SIZE]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, 49]);
        self.out.extend_from_slice(&[
            GS,
            b'(',
            b'k',
            (stored % 256) as u8,
            (stored / 256) as u8,
            49,
            80,
            48,
        ]);
        self.out.extend_from_slice(payload.as_bytes());
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
    }

    fn feed(&mut self, lines: u8) {
        if lines > 0 {
            self.out.extend_from_slice(&[ESC, b'd', lines]);
        }
    }

    fn cut(&mut self) {
        self.out.extend_from_slice(&[GS, b'V', b'A', 0]);
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

#[cfg(test)]
mod tests {
    //! The bytes are checked against the `escpos` crate's command builder, sent the same calls.

    use std::cell::RefCell;

    use escpos::driver::Driver;
    use escpos::printer::Printer;
    use escpos::printer_options::PrinterOptions;
    use escpos::utils::{
        Encoder, JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
    };

    use super::*;
    use crate::receipt::document::{Block, DocumentKind};

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

    /// The crate's builder, called as the sink's commands say.
    struct CrateSink {
        printer: Printer<MemoryDriver>,
        current: LineStyle,
    }

    impl CrateSink {
        fn new(style: &Style) -> CrateSink {
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
            CrateSink {
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

    impl Sink for CrateSink {
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

    fn text(text: &str, align: Align, bold: bool) -> Block {
        Block::Text {
            text: text.into(),
            align,
            bold,
        }
    }

    /// Every kind of block, in both scripts, with characters each code page lacks.
    fn every_block() -> Document {
        let mut blocks = vec![
            Block::Title {
                text: "百货商店 Store".into(),
            },
            text("左 left", Align::Left, false),
            text("中 centre ½ Señor", Align::Center, true),
            text("右 right 😀 Café", Align::Right, false),
            text("", Align::Left, false),
            Block::Pair {
                left: "合计 Total".into(),
                right: "¥1,234.50".into(),
                bold: true,
            },
            Block::Row {
                cells: vec![
                    "大衣 COAT long name that wraps".into(),
                    "2".into(),
                    "900.00".into(),
                ],
                widths: vec![3, 1, 2],
                right_aligned: vec![false, true, true],
            },
            Block::Rule,
            Block::Qr {
                payload: "0001-S-1".into(),
            },
            Block::Qr {
                payload: String::new(),
            },
            Block::Qr {
                payload: "X".repeat(7089),
            },
            Block::Qr {
                payload: "Y".repeat(7090),
            },
            Block::Feed { lines: 3 },
            Block::Cut,
            text("\x1bp\x00 evil", Align::Left, false),
            Block::Feed { lines: 0 },
            Block::Cut,
        ];
        blocks.push(text("— “quoted” …", Align::Left, false));
        Document {
            kind: DocumentKind::SaleReceipt,
            blocks,
            copy: false,
        }
    }

    #[test]
    fn the_bytes_are_the_escpos_crates_for_the_same_commands() {
        let doc = every_block();
        let copy = Document {
            copy: true,
            ..doc.clone()
        };
        for paper in [Paper::Mm58, Paper::Mm80] {
            for language in [Language::Zh, Language::En] {
                let style = Style { paper, language };
                for doc in [&doc, &copy] {
                    let mut reference = CrateSink::new(&style);
                    lay_out(doc, &style, &mut reference);
                    let bytes = escpos(doc, &style);
                    assert_eq!(bytes, reference.finish(), "{style:?}");
                    assert_eq!(preview_and_escpos(doc, &style).1, bytes);
                }
            }
        }
    }
}
