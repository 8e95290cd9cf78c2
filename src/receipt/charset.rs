//! What the printer can print: GBK in Chinese mode, code page 437 in English mode. Any other
//! character is replaced by a visible `?` before layout, so a print never fails, the preview
//! shows exactly what the paper will, and column widths match the printer's.

use std::borrow::Cow;

use encoding_rs::{EncoderResult, GBK};

use super::render::Language;
use super::width::Measure;

/// The visible stand-in for a character the printer cannot print.
pub const REPLACEMENT: char = '?';

/// The upper half (0x80–0xFF) of code page 437, the English-mode code page (`ESC t 0`).
pub const PC437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// How the printer in `language` mode counts columns.
pub fn measure(language: Language) -> Measure {
    match language {
        Language::Zh => Measure::Gbk,
        Language::En => Measure::Unicode,
    }
}

/// `text` as the printer in `language` mode will print it: control characters (which could
/// smuggle printer commands in) become `?` (tab and line break become a space), characters the
/// code page lacks become `?`, and a few have a printable stand-in — in Chinese mode `¥` is
/// the full-width `￥` (GBK has no half-width yen), in English mode typographic dashes,
/// quotes and `…` become ASCII. In Chinese mode a kept non-ASCII character is always a GBK
/// double-byte code, which `Measure::Gbk` counts 2 columns: the layout's widths are the
/// printer's.
pub fn printable(text: &str, language: Language) -> Cow<'_, str> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut changed = false;
    for c in text.chars() {
        let kept = match c {
            ' '..='~' => Some(c),
            '\t' | '\n' | '\r' => None,
            _ if c.is_control() => None,
            _ => match language {
                Language::Zh => zh_char(c),
                Language::En => {
                    if let Some(s) = en_stand_in(c) {
                        out.push_str(s);
                        changed = true;
                        continue;
                    }
                    en_char(c)
                }
            },
        };
        match kept {
            Some(k) => {
                changed |= k != c;
                out.push(k);
            }
            None => {
                changed = true;
                out.push(if matches!(c, '\t' | '\n' | '\r') {
                    ' '
                } else {
                    REPLACEMENT
                });
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// A non-ASCII character in Chinese mode: kept if GBK has a double-byte code for it (the
/// printer prints those full width), `¥` mapped to `￥`, otherwise nothing.
fn zh_char(c: char) -> Option<char> {
    let c = match c {
        '¥' => '￥',
        '\u{a0}' => return Some(' '),
        _ => c,
    };
    // Every CJK Unified Ideograph up to U+9FA5 and every full-width form is in GBK.
    if ('\u{4e00}'..='\u{9fa5}').contains(&c) || ('\u{ff01}'..='\u{ff5e}').contains(&c) {
        return Some(c);
    }
    gbk_double_byte(c).then_some(c)
}

/// True if GBK encodes `c` as exactly two bytes (not the one-byte `€`, not unmappable).
pub fn gbk_double_byte(c: char) -> bool {
    let mut utf8 = [0u8; 4];
    let mut out = [0u8; 8];
    let (result, _, written) = GBK.new_encoder().encode_from_utf8_without_replacement(
        c.encode_utf8(&mut utf8),
        &mut out,
        true,
    );
    result == EncoderResult::InputEmpty && written == 2
}

fn en_char(c: char) -> Option<char> {
    match c {
        '\u{a0}' => Some(' '),
        '￥' => Some('¥'),
        _ => PC437_HIGH.contains(&c).then_some(c),
    }
}

fn en_stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        '…' => "...",
        '–' | '—' | '―' | '－' => "-",
        '‘' | '’' | '′' => "'",
        '“' | '”' | '″' => "\"",
        '×' => "x",
        '•' => "*",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::width::width;

    #[test]
    fn ascii_is_borrowed() {
        assert!(matches!(
            printable("Total 12.50", Language::Zh),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            printable("会员卡", Language::Zh),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn chinese_mode_keeps_gbk_and_replaces_the_rest_visibly() {
        assert_eq!(printable("会员 VIP", Language::Zh), "会员 VIP");
        assert_eq!(printable("¥12.50", Language::Zh), "￥12.50");
        assert_eq!(printable("Señor Café 😀 €", Language::Zh), "Se?or Café ? ?");
        assert_eq!(printable("韓国", Language::Zh), "韓国"); // traditional form, in GBK
        assert_eq!(printable("·…—", Language::Zh), "·…—");
    }

    #[test]
    fn control_characters_never_reach_the_printer() {
        assert_eq!(printable("a\x1b@b\x1dV", Language::Zh), "a?@b?V");
        assert_eq!(printable("a\tb\nc", Language::En), "a b c");
    }

    #[test]
    fn english_mode_is_code_page_437() {
        assert_eq!(printable("¥12.50 café", Language::En), "¥12.50 café");
        assert_eq!(printable("会员 card…", Language::En), "?? card...");
        assert_eq!(printable("“a”—b", Language::En), "\"a\"-b");
    }

    #[test]
    fn chinese_widths_are_gbk_byte_counts() {
        let text = "纯棉T恤·白色 L… ¥99 Ω Ж é ① ㈠ ☆ ℃ ‰ ＡＢ";
        let p = printable(text, Language::Zh);
        let (bytes, _, unmappable) = GBK.encode(&p);
        assert!(!unmappable);
        assert_eq!(width(&p, Measure::Gbk), bytes.len(), "{p}");
    }
}
