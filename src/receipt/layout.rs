//! Lays a `Document` out in printer columns — wrapping, padding and aligning by display width
//! — and hands the finished lines to a `Sink`: the ESC/POS encoder or the text preview. Both
//! see the very same lines, so the preview is what the paper shows.

use std::borrow::Cow;

use super::charset::{measure, printable};
use super::document::{Align, Block, Document};
use super::labels::labels;
use super::render::Style;
use super::width::{push_padded, push_spaces, width, wrap, Measure};

/// Character size of a line: `Big` is double width and height (titles), `Tall` double
/// height only (the COPY banner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Size {
    Normal,
    Tall,
    Big,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineStyle {
    pub align: Align,
    pub bold: bool,
    pub size: Size,
}

impl LineStyle {
    pub const PLAIN: LineStyle = LineStyle {
        align: Align::Left,
        bold: false,
        size: Size::Normal,
    };
}

/// Where laid-out lines go. A `Left` line is already padded to its columns (trailing spaces
/// trimmed); a centred or right-aligned line is the bare text and the sink aligns it.
pub(super) trait Sink {
    fn line(&mut self, text: &str, style: LineStyle);
    fn qr(&mut self, payload: &str);
    fn feed(&mut self, lines: u8);
    fn cut(&mut self);
}

/// Lays out `doc` for `style` into `sink`. With `doc.copy` every piece of paper (the parts
/// between cuts) starts and ends with the COPY banner.
pub(super) fn lay_out(doc: &Document, style: &Style, sink: &mut dyn Sink) {
    let mut page = Page {
        columns: style.paper.columns(),
        measure: measure(style.language),
        language: style.language,
        line: String::with_capacity(64),
    };
    let banner = labels(style.language).copy;
    let blocks = &doc.blocks;
    let mut start = 0;
    while start < blocks.len() {
        // One piece: up to and including the next cut.
        let end = blocks[start..]
            .iter()
            .position(|b| matches!(b, Block::Cut))
            .map_or(blocks.len(), |i| start + i + 1);
        // The trailing feeds and cut stay after the bottom banner.
        let tail = blocks[start..end]
            .iter()
            .rposition(|b| !matches!(b, Block::Cut | Block::Feed { .. }))
            .map_or(start, |i| start + i + 1);
        let marked = doc.copy && tail > start;
        if marked {
            page.banner(banner, sink);
        }
        for block in &blocks[start..tail] {
            page.block(block, sink);
        }
        if marked {
            page.banner(banner, sink);
        }
        for block in &blocks[tail..end] {
            page.block(block, sink);
        }
        start = end;
    }
}

struct Page {
    columns: usize,
    measure: Measure,
    language: super::render::Language,
    /// Scratch buffer for composing one line.
    line: String,
}

impl Page {
    fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        printable(text, self.language)
    }

    fn banner(&mut self, banner: &str, sink: &mut dyn Sink) {
        let text = self.text(banner);
        sink.line(
            &format!("*** {text} ***"),
            LineStyle {
                align: Align::Center,
                bold: true,
                size: Size::Tall,
            },
        );
    }

    fn block(&mut self, block: &Block, sink: &mut dyn Sink) {
        match block {
            Block::Title { text } => {
                let style = LineStyle {
                    align: Align::Center,
                    bold: true,
                    size: Size::Big,
                };
                // Double-width characters: half as many fit.
                for line in wrap(&self.text(text), self.columns / 2, self.measure) {
                    sink.line(&line, style);
                }
            }
            Block::Text { text, align, bold } => {
                let style = LineStyle {
                    align: *align,
                    bold: *bold,
                    size: Size::Normal,
                };
                for line in wrap(&self.text(text), self.columns, self.measure) {
                    sink.line(&line, style);
                }
            }
            Block::Pair { left, right, bold } => {
                let style = LineStyle {
                    bold: *bold,
                    ..LineStyle::PLAIN
                };
                self.pair(&self.text(left), &self.text(right), style, sink);
            }
            Block::Row {
                cells,
                widths,
                right_aligned,
            } => self.row(cells, widths, right_aligned, sink),
            Block::Rule => {
                self.line.clear();
                self.line.extend(std::iter::repeat_n('-', self.columns));
                sink.line(&self.line, LineStyle::PLAIN);
            }
            Block::Qr { payload } => sink.qr(payload),
            Block::Feed { lines } => sink.feed(*lines),
            Block::Cut => sink.cut(),
        }
    }

    /// Label left, value flush right. Too long for one line: the label wraps, and the value
    /// goes on the label's last line if it fits there, else on lines of its own, flush right.
    fn pair(&mut self, left: &str, right: &str, style: LineStyle, sink: &mut dyn Sink) {
        let (cols, amb) = (self.columns, self.measure);
        if right.is_empty() {
            for line in wrap(left, cols, amb) {
                sink.line(&line, style);
            }
            return;
        }
        let (lw, rw) = (width(left, amb), width(right, amb));
        if lw + rw < cols || (left.is_empty() && rw <= cols) {
            self.line.clear();
            self.line.push_str(left);
            push_spaces(&mut self.line, cols - lw - rw);
            self.line.push_str(right);
            sink.line(&self.line, style);
            return;
        }
        let mut lefts = wrap(left, cols, amb);
        let last = lefts.pop().unwrap_or_default();
        for line in &lefts {
            sink.line(line, style);
        }
        let last_w = width(&last, amb);
        if last_w + rw < cols {
            self.line.clear();
            self.line.push_str(&last);
            push_spaces(&mut self.line, cols - last_w - rw);
            self.line.push_str(right);
            sink.line(&self.line, style);
            return;
        }
        sink.line(&last, style);
        for line in wrap(right, cols, amb) {
            self.line.clear();
            push_padded(&mut self.line, &line, cols, Align::Right, amb);
            sink.line(&self.line, style);
        }
    }

    /// Cells in columns sized by their relative widths, one space between columns. The first
    /// left-aligned column is the flexible one: it takes the rounding remainder, and gives
    /// room to a right-aligned cell (an amount) too wide for its column, so numbers never
    /// wrap and still end in the last column. Left-aligned cells wrap inside their column;
    /// right-aligned cells sit on the row's first line.
    fn row(&mut self, cells: &[String], weights: &[u8], right: &[bool], sink: &mut dyn Sink) {
        let n = cells.len();
        if n == 0 {
            return;
        }
        let (cols, amb) = (self.columns, self.measure);
        let texts: Vec<Cow<str>> = cells.iter().map(|c| self.text(c)).collect();
        let right_of = |i: usize| right.get(i).copied().unwrap_or(false);
        let mut weights: Vec<usize> = (0..n)
            .map(|i| usize::from(weights.get(i).copied().unwrap_or(1)))
            .collect();
        if weights.iter().all(|&w| w == 0) {
            weights.iter_mut().for_each(|w| *w = 1);
        }
        let total: usize = weights.iter().sum();
        let avail = cols.saturating_sub(n - 1);
        let mut widths: Vec<usize> = weights.iter().map(|w| avail * w / total).collect();
        let flex = (0..n).find(|&i| !right_of(i)).unwrap_or(0);
        widths[flex] += avail - widths.iter().sum::<usize>();
        for i in (0..n).filter(|&i| right_of(i) && i != flex) {
            let need = width(&texts[i], amb);
            if need > widths[i] {
                let take = (need - widths[i]).min(widths[flex].saturating_sub(1));
                widths[flex] -= take;
                widths[i] += take;
            }
        }
        let wrapped: Vec<Vec<String>> = texts
            .iter()
            .zip(&widths)
            .map(|(t, &w)| wrap(t, w, amb))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for r in 0..height {
            self.line.clear();
            for (i, lines) in wrapped.iter().enumerate() {
                if i > 0 {
                    self.line.push(' ');
                }
                let text = lines.get(r).map_or("", String::as_str);
                let align = if right_of(i) {
                    Align::Right
                } else {
                    Align::Left
                };
                push_padded(&mut self.line, text, widths[i], align, amb);
            }
            let trimmed = self.line.trim_end().len();
            self.line.truncate(trimmed);
            sink.line(&self.line, LineStyle::PLAIN);
        }
    }
}
