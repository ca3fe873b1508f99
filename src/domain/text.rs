//! Text normalisation and the ISO-8859-1 representability check (kronofogden.md §2.1).
//!
//! Text is normalised first: trimmed, inner whitespace collapsed to one space, characters outside printable
//! ISO-8859-1 transliterated where [`TRANSLITERATIONS`] says how, and otherwise refused with the character and its
//! position. The layout may narrow the allowed set further; `formats` checks that.

/// Characters outside printable ISO-8859-1 that have an agreed replacement. One place to change.
pub const TRANSLITERATIONS: &[(char, &str)] = &[
    ('ł', "l"),
    ('Ł', "L"),
    ('ø', "ö"),
    ('Ø', "Ö"),
    ('æ', "ä"),
    ('Æ', "Ä"),
    ('œ', "oe"),
    ('Œ', "OE"),
    ('š', "s"),
    ('Š', "S"),
    ('ž', "z"),
    ('Ž', "Z"),
    ('č', "c"),
    ('Č', "C"),
    ('ć', "c"),
    ('Ć', "C"),
    ('ř', "r"),
    ('Ř', "R"),
    ('ń', "n"),
    ('Ń', "N"),
    ('ś', "s"),
    ('Ś', "S"),
    ('ź', "z"),
    ('ż', "z"),
    ('Ż', "Z"),
    ('ą', "a"),
    ('ę', "e"),
    ('ğ', "g"),
    ('ş', "s"),
    ('Ş', "S"),
    ('ı', "i"),
    ('İ', "I"),
    ('ő', "ö"),
    ('ű', "ü"),
    ('\u{2018}', "'"),
    ('\u{2019}', "'"),
    ('\u{201A}', "'"),
    ('\u{201C}', "\""),
    ('\u{201D}', "\""),
    ('\u{201E}', "\""),
    ('\u{2013}', "-"),
    ('\u{2014}', "-"),
    ('\u{2026}', "..."),
    ('\u{20AC}', "EUR"),
];

/// A character that cannot be written in ISO-8859-1 and has no transliteration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "character {ch:?} (U+{code:04X}) at position {position} is not representable in ISO-8859-1"
)]
pub struct UnrepresentableChar {
    /// The character.
    pub ch: char,
    /// Its code point.
    pub code: u32,
    /// 1-based character position in the normalised text.
    pub position: usize,
}

/// True when `c` is printable ISO-8859-1 (0x20–0x7E, 0xA0–0xFF).
pub fn is_printable_latin1(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF)
}

/// Trims and collapses inner whitespace (any Unicode whitespace, tabs, newlines) to single spaces.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces characters outside printable ISO-8859-1 through [`TRANSLITERATIONS`]; others stay as they are.
pub fn transliterate(text: &str) -> String {
    transliterate_with(text, is_printable_latin1)
}

/// Replaces characters that `allowed` refuses through [`TRANSLITERATIONS`] (a layout may allow fewer characters
/// than printable ISO-8859-1, e.g. no `ø`, which then becomes `ö`); others stay as they are.
pub fn transliterate_with(text: &str, allowed: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if allowed(c) {
            out.push(c);
        } else if let Some((_, rep)) = TRANSLITERATIONS.iter().find(|(k, _)| *k == c) {
            out.push_str(rep);
        } else {
            out.push(c);
        }
    }
    out
}

/// Normalises `text` (collapse whitespace, transliterate) and checks that every character is printable ISO-8859-1.
pub fn normalise(text: &str) -> Result<String, UnrepresentableChar> {
    // Most text is normal already: then one pass and one copy instead of splitting, joining and transliterating.
    if is_normal(text) {
        return Ok(text.to_string());
    }
    normalise_slowly(text)
}

/// True when [`normalise`] would return `text` unchanged: printable ISO-8859-1 only, words separated by single
/// spaces, nothing before the first or after the last.
fn is_normal(text: &str) -> bool {
    // Byte by byte while the text is ASCII (most values are); the characters decide as soon as one is not.
    let mut after_space = true; // a leading space is not normal
    for &b in text.as_bytes() {
        if b == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if (0x21..=0x7e).contains(&b) {
            after_space = false;
        } else if b.is_ascii() {
            return false; // a control character, tab, line end or DEL
        } else {
            return is_normal_by_chars(text);
        }
    }
    !after_space || text.is_empty()
}

/// [`is_normal`] character by character (for text that is not all ASCII).
fn is_normal_by_chars(text: &str) -> bool {
    let mut after_space = true; // a leading space is not normal
    for c in text.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if c.is_whitespace() || !is_printable_latin1(c) {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || text.is_empty()
}

/// [`normalise`] for text that is not normal already.
fn normalise_slowly(text: &str) -> Result<String, UnrepresentableChar> {
    let t = transliterate(&collapse_whitespace(text));
    if let Some((i, ch)) = t
        .chars()
        .enumerate()
        .find(|(_, c)| !is_printable_latin1(*c))
    {
        return Err(UnrepresentableChar {
            ch,
            code: ch as u32,
            position: i + 1,
        });
    }
    Ok(t)
}

/// Encodes text to ISO-8859-1 by code point (never through a WHATWG "iso-8859-1" = windows-1252 encoder).
/// Returns the first unrepresentable character.
pub fn encode_latin1(text: &str) -> Result<Vec<u8>, UnrepresentableChar> {
    let mut out = Vec::with_capacity(text.len());
    for (i, ch) in text.chars().enumerate() {
        let code = ch as u32;
        if code > 0xFF {
            return Err(UnrepresentableChar {
                ch,
                code,
                position: i + 1,
            });
        }
        out.push(code as u8);
    }
    Ok(out)
}

/// Decodes ISO-8859-1 bytes by code point (every byte is a character).
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(normalise("  Łukasz \t Møller  ").unwrap(), "Lukasz Møller");
        assert_eq!(transliterate_with("Møller", |c| c != 'ø'), "Möller");
        assert_eq!(normalise("\u{201C}Bolaget\u{201D}").unwrap(), "\"Bolaget\"");
        let e = normalise("Ab 日本").unwrap_err();
        assert_eq!(e.ch, '日');
        assert_eq!(e.position, 4);
        assert_eq!(encode_latin1("åäö").unwrap(), vec![0xE5, 0xE4, 0xF6]);
        assert_eq!(decode_latin1(&[0xC5, 0x80]), "Å\u{80}");
    }

    proptest! {
        #[test]
        fn the_fast_path_changes_nothing(s in "[ -~\u{a0}-\u{ff}\t\n\u{2013}\u{2019}\u{20ac}\u{3000}\u{85}]{0,40}") {
            prop_assert_eq!(normalise(&s), normalise_slowly(&s));
        }

        #[test]
        fn ascii_bytes_and_characters_agree_on_normal(s in "[ -~\u{0}-\u{1f}\u{7f}\u{85}\u{a0}-\u{ff}\u{2013}\u{3000}]{0,40}") {
            prop_assert_eq!(is_normal(&s), is_normal_by_chars(&s));
        }

        #[test]
        fn latin1_round_trip(s in "[ -~\u{a0}-\u{ff}]{0,80}") {
            let bytes = encode_latin1(&s).unwrap();
            prop_assert_eq!(decode_latin1(&bytes), s);
        }
    }
}
