//! The lexical forms of XML values and their checks, shared by the reader (text → value) and the builder
//! (value → text, then checked by the same function, so that what it writes reads back).

use super::layout::{XmlFieldDef, XmlKind};
use crate::formats::codec::Value;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::borrow::Cow;

/// The machine-readable rule an XML problem broke (`xml.amount`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum XmlRule {
    /// Not well-formed XML (syntax, an undeclared prefix, an unknown entity, content after the root).
    #[serde(rename = "xml.syntax")]
    Syntax,
    /// An encoding other than UTF-8, or bytes that are not UTF-8.
    #[serde(rename = "xml.encoding")]
    Encoding,
    /// A document type declaration (refused: entities could expand without bound).
    #[serde(rename = "xml.doctype")]
    Doctype,
    /// A bound of the layout's `limits` was passed.
    #[serde(rename = "xml.limit")]
    Limit,
    /// The root element is not the layout's.
    #[serde(rename = "xml.root")]
    Root,
    /// An element in another namespace than the layout's.
    #[serde(rename = "xml.namespace")]
    Namespace,
    /// An attribute missing, unexpected, or with a wrong value.
    #[serde(rename = "xml.attribute")]
    Attribute,
    /// A required element is missing (or another element stands where it should).
    #[serde(rename = "xml.missing_element")]
    MissingElement,
    /// An element the mapping does not have at that place.
    #[serde(rename = "xml.unexpected_element")]
    UnexpectedElement,
    /// Text where only elements may stand, or an element inside a value.
    #[serde(rename = "xml.text_content")]
    TextContent,
    /// A text value breaks its length or pattern, or holds a character XML does not allow.
    #[serde(rename = "xml.text")]
    Text,
    /// A code not in the field's set.
    #[serde(rename = "xml.code")]
    Code,
    /// Not a date `YYYY-MM-DD`.
    #[serde(rename = "xml.date")]
    Date,
    /// Not a date and time `YYYY-MM-DDThh:mm:ss`.
    #[serde(rename = "xml.datetime")]
    DateTime,
    /// Not an amount in kronor with two decimals (`2500.00`).
    #[serde(rename = "xml.amount")]
    Amount,
}

impl XmlRule {
    /// The rule's name (`xml.amount`).
    pub fn as_str(self) -> &'static str {
        match self {
            XmlRule::Syntax => "xml.syntax",
            XmlRule::Encoding => "xml.encoding",
            XmlRule::Doctype => "xml.doctype",
            XmlRule::Limit => "xml.limit",
            XmlRule::Root => "xml.root",
            XmlRule::Namespace => "xml.namespace",
            XmlRule::Attribute => "xml.attribute",
            XmlRule::MissingElement => "xml.missing_element",
            XmlRule::UnexpectedElement => "xml.unexpected_element",
            XmlRule::TextContent => "xml.text_content",
            XmlRule::Text => "xml.text",
            XmlRule::Code => "xml.code",
            XmlRule::Date => "xml.date",
            XmlRule::DateTime => "xml.datetime",
            XmlRule::Amount => "xml.amount",
        }
    }
}

/// A value that breaks its field's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueProblem {
    /// The rule.
    pub rule: XmlRule,
    /// What is wrong.
    pub message: String,
}

/// XML's white space (the characters `xs:decimal` collapses away).
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character XML 1.0 allows in a document (production `Char`).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Strips a time-zone suffix (`Z`, `+hh:mm`, `-hh:mm`, at most 14:00) from an `xs:date`/`xs:dateTime` text.
fn strip_zone(s: &str, min_len: usize) -> Option<&str> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Some(rest);
    }
    if s.len() >= min_len + 6 && s.is_char_boundary(s.len() - 6) {
        let (rest, zone) = s.split_at(s.len() - 6);
        let b = zone.as_bytes();
        if matches!(b[0], b'+' | b'-') && b[3] == b':' {
            let (h, m) = (digits(&zone[1..3])?, digits(&zone[4..6])?);
            return (h < 14 && m < 60 || h == 14 && m == 0).then_some(rest);
        }
    }
    Some(s)
}

/// `YYYY-MM-DD`, a year 0001–9999 (XSD also allows longer and negative years; the reader refuses them).
fn date_part(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = i32::try_from(digits(&s[0..4])?).ok()?;
    if y == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, digits(&s[5..7])?, digits(&s[8..10])?)
}

/// Reads an `xs:date`; an optional time zone is accepted and not applied (a calendar date). White space around
/// the date is refused: XSD collapses it, but libxml2 (2.9) refuses it, and the stricter reading accepts nothing
/// that a peer validating with libxml2 would refuse.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    date_part(strip_zone(text, 10)?)
}

/// Reads an `xs:dateTime` as the local date and time written: `YYYY-MM-DDThh:mm:ss`, optional fraction of a second
/// (to nanoseconds), optional time zone (accepted, not applied). `24:00:00` is refused (XSD allows it as the end
/// of the day; no Kronofogden document writes it), and so is white space around it (as for [`parse_date`]).
pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let t = strip_zone(text, 19)?;
    let (date, time) = t.split_once('T')?;
    let date = date_part(date)?;
    let (hms, frac) = match time.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (time, None),
    };
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) => {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let nine: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            nine.parse().ok()?
        }
    };
    let time = NaiveTime::from_hms_nano_opt(
        digits(&hms[0..2])?,
        digits(&hms[3..5])?,
        digits(&hms[6..8])?,
        nanos,
    )?;
    Some(date.and_time(time))
}

/// Reads an amount in kronor, `-?[0-9]+\.[0-9]{2}` (the schema's `Belopp`), as öre; `None` beyond `i64` öre.
pub fn parse_amount(text: &str) -> Option<i64> {
    let t = text.trim_matches(is_xml_space);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.')?;
    if whole.is_empty()
        || frac.len() != 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    let kronor: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let ore = kronor
        .checked_mul(100)?
        .checked_add(i64::from(frac.parse::<u8>().ok()?))?;
    Some(if neg { -ore } else { ore })
}

/// Checks `text` (as the document holds it, after entities are resolved) against the field's kind and facets.
pub fn read_value(f: &XmlFieldDef, text: &str) -> Result<Value<'static>, ValueProblem> {
    let bad = |rule, message: String| ValueProblem { rule, message };
    match f.kind {
        XmlKind::Text => {
            if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| !is_xml_char(*c)) {
                return Err(bad(
                    XmlRule::Text,
                    format!(
                        "character U+{:04X} at position {} is not allowed in XML",
                        u32::from(c),
                        i + 1
                    ),
                ));
            }
            let n = text.chars().count();
            if f.min_length.is_some_and(|m| n < m) || f.max_length.is_some_and(|m| n > m) {
                return Err(bad(
                    XmlRule::Text,
                    format!(
                        "{text:?} is {n} characters long, the field takes {}..={}",
                        f.min_length.unwrap_or(0),
                        f.max_length.map_or("".to_string(), |m| m.to_string())
                    ),
                ));
            }
            if let Some(p) = &f.pattern {
                if !p.matches(text) {
                    return Err(bad(
                        XmlRule::Text,
                        format!("{text:?} does not match the pattern {}", p.text),
                    ));
                }
            }
            Ok(Value::Text(Cow::Owned(text.to_string())))
        }
        XmlKind::Code => match f.name_for(text) {
            Some(n) => Ok(Value::Code(Cow::Owned(n.to_string()))),
            None => Err(bad(
                XmlRule::Code,
                format!(
                    "{text:?} is not one of {}",
                    f.codes.values().cloned().collect::<Vec<_>>().join(", ")
                ),
            )),
        },
        XmlKind::Date => parse_date(text).map(Value::Date).ok_or_else(|| {
            bad(
                XmlRule::Date,
                format!("{text:?} is not a date YYYY-MM-DD"),
            )
        }),
        XmlKind::DateTime => parse_datetime(text).map(Value::DateTime).ok_or_else(|| {
            bad(
                XmlRule::DateTime,
                format!("{text:?} is not a date and time YYYY-MM-DDThh:mm:ss"),
            )
        }),
        XmlKind::Amount => parse_amount(text).map(Value::Amount).ok_or_else(|| {
            bad(
                XmlRule::Amount,
                format!("{text:?} is not an amount in kronor with two decimals and a point, like 2500.00"),
            )
        }),
    }
}

/// The lexical form of `value` for field `f` (checked with [`read_value`], so it reads back to the same value);
/// `Ok(None)` for [`Value::None`] in an optional field.
pub fn write_value(f: &XmlFieldDef, value: &Value<'_>) -> Result<Option<String>, ValueProblem> {
    let wrong = |v: &Value<'_>| ValueProblem {
        rule: match f.kind {
            XmlKind::Text => XmlRule::Text,
            XmlKind::Code => XmlRule::Code,
            XmlKind::Date => XmlRule::Date,
            XmlKind::DateTime => XmlRule::DateTime,
            XmlKind::Amount => XmlRule::Amount,
        },
        message: format!("a {} field cannot hold {v:?}", f.kind.as_str()),
    };
    let text = match (f.kind, value) {
        (_, Value::None) if f.optional => return Ok(None),
        (_, Value::None) => {
            return Err(ValueProblem {
                rule: XmlRule::MissingElement,
                message: "has no value and is not optional".into(),
            })
        }
        (XmlKind::Text, Value::Text(t)) => t.to_string(),
        (XmlKind::Text, Value::Num(n)) => n.to_string(),
        (XmlKind::Code, Value::Code(name)) => match f.codes.get(name.as_ref()) {
            Some(c) => c.clone(),
            None => {
                return Err(ValueProblem {
                    rule: XmlRule::Code,
                    message: format!(
                        "{name:?} is not in the code set ({})",
                        f.codes.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        },
        (XmlKind::Code, Value::Text(t)) => t.to_string(),
        (XmlKind::Date, Value::Date(d)) => d.format("%Y-%m-%d").to_string(),
        (XmlKind::Date, Value::DateTime(d)) => d.date().format("%Y-%m-%d").to_string(),
        (XmlKind::DateTime, Value::DateTime(d)) => {
            let mut s = d.format("%Y-%m-%dT%H:%M:%S").to_string();
            let nanos = chrono::Timelike::nanosecond(d);
            if nanos != 0 {
                s.push_str(format!(".{nanos:09}").trim_end_matches('0'));
            }
            s
        }
        (XmlKind::Amount, Value::Amount(a)) => crate::domain::Amount(*a).to_string(),
        (_, v) => return Err(wrong(v)),
    };
    let back = read_value(f, &text)?;
    let same = match (&back, value) {
        (Value::Code(n), Value::Text(t)) => f.codes.get(n.as_ref()).map(String::as_str) == Some(t),
        (Value::Text(a), Value::Num(n)) => a.as_ref() == n.to_string(),
        (Value::Date(a), Value::DateTime(b)) => *a == b.date(),
        (a, b) => a == b,
    };
    if !same {
        return Err(wrong(value));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_forms() {
        assert_eq!(parse_amount("2500.00"), Some(250_000));
        assert_eq!(parse_amount(" -0.05\n"), Some(-5));
        assert_eq!(parse_amount("0002500.10"), Some(250_010));
        for bad in [
            "2500",
            "2500.0",
            "2500.000",
            "+1.00",
            "1,00",
            ".50",
            "1 000.00",
            "",
            "92233720368547758.08",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(parse_date("2026-11-30"), Some(d));
        assert_eq!(parse_date("2026-11-30Z"), Some(d));
        assert_eq!(parse_date(" 2026-11-30"), None);
        assert_eq!(parse_date("2026-11-30+14:00"), Some(d));
        for bad in [
            "2026-11-31",
            "26-11-30",
            "2026-1-30",
            "0000-01-01",
            "2026-11-30+14:01",
            "2026-11-30 x",
            "20261130",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let dt = d.and_hms_opt(19, 5, 0).unwrap();
        assert_eq!(parse_datetime("2026-11-30T19:05:00"), Some(dt));
        assert_eq!(parse_datetime("2026-11-30T19:05:00-05:00"), Some(dt));
        assert_eq!(
            parse_datetime("2026-11-30T19:05:00.25Z"),
            Some(d.and_hms_milli_opt(19, 5, 0, 250).unwrap())
        );
        for bad in [
            "2026-11-30 19:05:00",
            "2026-11-30T24:00:00",
            "2026-11-30T19:05",
            "2026-11-30T19:05:60",
            "2026-11-30T19:05:00.",
            "2026-11-30T19:05:00.x",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
