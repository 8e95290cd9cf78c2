//! Display width on paper: how many printer columns a text takes (a CJK character takes two),
//! and padding, truncating and wrapping by that width, so amounts line up under Chinese names.

use unicode_width::UnicodeWidthChar;

use super::document::Align;

/// How characters are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Unicode display width (`unicode-width`): CJK 2, most others 1 — the English-mode
    /// printer (a single-byte code page) and a terminal.
    Unicode,
    /// A printer in Chinese mode: it prints every GBK double-byte code at full width, so
    /// every non-ASCII character counts 2 — also `é`, `·` or `Ω`, which Unicode counts 1.
    /// (Characters GBK lacks never get here: `charset::printable` replaced them.)
    Gbk,
}

/// Columns `c` takes: 2 for CJK (and, in `Gbk`, any non-ASCII character), 0 for combining
/// marks and control characters (which never reach the layout: see `charset::printable`).
pub fn char_width(c: char, measure: Measure) -> usize {
    if c.is_ascii() {
        // The hot path: most receipt text is ASCII digits and letters.
        return usize::from(!c.is_ascii_control());
    }
    match (c.width(), measure) {
        (None | Some(0), _) => 0,
        (Some(w), Measure::Unicode) => w,
        (Some(_), Measure::Gbk) => 2,
    }
}

/// Columns `text` takes.
pub fn width(text: &str, measure: Measure) -> usize {
    text.chars().map(|c| char_width(c, measure)).sum()
}

/// Appends `text` to `out`, padded with spaces to `columns` as `align` says (left: spaces
/// after, right: spaces before, centre: split, the odd one after). Text wider than `columns`
/// is appended whole: the caller wraps or truncates first.
pub fn push_padded(out: &mut String, text: &str, columns: usize, align: Align, measure: Measure) {
    let gap = columns.saturating_sub(width(text, measure));
    let before = match align {
        Align::Left => 0,
        Align::Right => gap,
        Align::Center => gap / 2,
    };
    push_spaces(out, before);
    out.push_str(text);
    push_spaces(out, gap - before);
}

/// `text` padded to `columns` (see [`push_padded`]).
pub fn pad(text: &str, columns: usize, align: Align, measure: Measure) -> String {
    let mut out = String::with_capacity(text.len() + columns);
    push_padded(&mut out, text, columns, align, measure);
    out
}

/// Appends `n` spaces.
pub fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// `text` cut to at most `columns`, ending in `marker` (e.g. `…`) when something was cut.
/// A wide character that would straddle the limit is dropped whole, never split.
pub fn truncate(text: &str, columns: usize, marker: &str, measure: Measure) -> String {
    if width(text, measure) <= columns {
        return text.to_owned();
    }
    let room = columns.saturating_sub(width(marker, measure));
    let mut out = String::with_capacity(text.len());
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c, measure);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if width(marker, measure) <= columns {
        out.push_str(marker);
    }
    out
}

/// Splits `text` into lines of at most `columns`. Breaks at spaces; a phrase (a run without
/// spaces) that doesn't fit moves to the next line whole if it is Latin and fits a line, or
/// has CJK in it and takes at most half a line (`西单店`); a longer CJK phrase fills the line
/// and breaks between its characters, as Chinese text does; a Latin word is split only when
/// it alone is wider than a line. Continuation lines drop the space they broke at; the first
/// line keeps its indentation. Always at least one line (maybe empty). A single character
/// wider than `columns` gets a line of its own rather than looping.
pub fn wrap(text: &str, columns: usize, measure: Measure) -> Vec<String> {
    if width(text, measure) <= columns {
        return vec![text.trim_end().to_owned()]; // the common case: it fits
    }
    let mut w = Wrapper {
        lines: Vec::new(),
        line: String::new(),
        used: 0,
        columns,
    };
    for (i, phrase) in text.split(' ').enumerate() {
        if i > 0 {
            w.space();
        }
        if phrase.is_empty() {
            continue;
        }
        let pw = width(phrase, measure);
        if w.used + pw <= columns {
            w.push(phrase, pw);
            continue;
        }
        let has_wide = phrase.chars().any(|c| char_width(c, measure) > 1);
        if pw <= columns && (!has_wide || pw <= columns / 2) {
            w.finish();
            w.push(phrase, pw);
            continue;
        }
        let mut rest = phrase;
        while let Some(c) = rest.chars().next() {
            let (word, tail) = rest.split_at(word_end(rest, measure).max(c.len_utf8()));
            rest = tail;
            w.word(word, width(word, measure), measure);
        }
    }
    if w.used > 0 || w.lines.is_empty() {
        w.finish();
    }
    w.lines
}

struct Wrapper {
    lines: Vec<String>,
    line: String,
    used: usize,
    columns: usize,
}

impl Wrapper {
    fn push(&mut self, text: &str, w: usize) {
        self.line.push_str(text);
        self.used += w;
    }

    fn space(&mut self) {
        if self.used == 0 && !self.lines.is_empty() {
            return; // no leading space on a continuation line
        }
        if self.used < self.columns {
            self.push(" ", 1);
        } else {
            self.finish();
        }
    }

    fn finish(&mut self) {
        let trimmed = self.line.trim_end().len();
        self.line.truncate(trimmed);
        self.lines.push(std::mem::take(&mut self.line));
        self.used = 0;
    }

    /// A narrow word or one wide character, inside a phrase that is being broken up.
    fn word(&mut self, word: &str, w: usize, measure: Measure) {
        if self.used + w <= self.columns {
            return self.push(word, w);
        }
        if self.used > 0 {
            self.finish();
        }
        if w <= self.columns {
            return self.push(word, w);
        }
        // A word longer than a whole line: split it where the line is full.
        for c in word.chars() {
            let cw = char_width(c, measure);
            if self.used > 0 && self.used + cw > self.columns {
                self.finish();
            }
            let mut buf = [0u8; 4];
            self.push(c.encode_utf8(&mut buf), cw);
        }
    }
}

/// Byte length of the word at the start of `text` (which has no spaces): a run of narrow
/// characters, or one wide character.
fn word_end(text: &str, measure: Measure) -> usize {
    let mut end = 0;
    for c in text.chars() {
        if char_width(c, measure) > 1 {
            return if end == 0 { c.len_utf8() } else { end };
        }
        end += c.len_utf8();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Measure = Measure::Gbk;
    const N: Measure = Measure::Unicode;

    #[test]
    fn cjk_counts_double() {
        assert_eq!(width("abc", W), 3);
        assert_eq!(width("会员卡", W), 6);
        assert_eq!(width("纯棉T恤 L", W), 9);
        assert_eq!(width("￥12.50", W), 7);
    }

    #[test]
    fn gbk_counts_every_non_ascii_character_double() {
        assert_eq!(width("·…é", W), 6);
        assert_eq!(width("·…é", N), 3);
        assert_eq!(width("e\u{301}", N), 1);
    }

    #[test]
    fn pads_by_display_width() {
        assert_eq!(pad("会员", 6, Align::Left, W), "会员  ");
        assert_eq!(pad("会员", 6, Align::Right, W), "  会员");
        assert_eq!(pad("会员", 7, Align::Center, W), " 会员  ");
        assert_eq!(pad("toolong", 3, Align::Right, W), "toolong");
    }

    #[test]
    fn truncates_with_marker_without_splitting_a_wide_character() {
        assert_eq!(truncate("会员卡积分", 7, "…", W), "会员…");
        assert_eq!(truncate("abcdefgh", 6, "...", N), "abc...");
        assert_eq!(truncate("short", 6, "…", W), "short");
        assert!(width(&truncate("纯棉T恤白色加大码", 9, "…", W), W) <= 9);
    }

    #[test]
    fn wraps_words_and_cjk() {
        assert_eq!(wrap("hello big world", 9, N), vec!["hello big", "world"]);
        assert_eq!(wrap("纯棉T恤白色", 6, W), vec!["纯棉T", "恤白色"]);
        // A short CJK phrase moves whole; a long one fills the line.
        assert_eq!(
            wrap("新世界百货 西单店", 16, W),
            vec!["新世界百货", "西单店"]
        );
        assert_eq!(
            wrap("ab 雅诗兰黛特润修护", 10, W),
            vec!["ab 雅诗兰", "黛特润修护"]
        );
        assert_eq!(wrap("  indented text", 10, N), vec!["  indented", "text"]);
        assert_eq!(wrap("abcdefghij", 4, N), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4, N), vec![""]);
        assert_eq!(wrap("会", 1, W), vec!["会"]);
    }

    #[test]
    fn wrapped_lines_never_exceed_the_width() {
        let text = "Cashmere 羊绒围巾 100% wool 超长商品名称 with many words 和中文混排";
        for columns in 2..40 {
            for line in wrap(text, columns, W) {
                assert!(width(&line, W) <= columns, "{line:?} at {columns}");
            }
        }
    }
}
