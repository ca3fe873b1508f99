//! Field-level encoding and decoding for every field kind (kronofogden.md §2.1), shared by builder and parser.

use super::felkod::ErrorClass;
use super::layout::{FieldDef, FieldKind, Layout};
use super::source::Source;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use std::borrow::Cow;

/// A value for (or read from) one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// No value: A → spaces, N/B/D → zeros, K → blank (where allowed), T → zeros.
    None,
    /// Text (A fields; N fields take digit strings such as identity numbers and postal codes).
    Text(Cow<'a, str>),
    /// A number (N fields).
    Num(u64),
    /// An amount in öre (B fields).
    Amount(i64),
    /// A date (D fields).
    Date(NaiveDate),
    /// A time (T fields).
    Time(NaiveTime),
    /// A date and time (D fields take the date, T fields the time).
    DateTime(NaiveDateTime),
    /// A domain name looked up in the field's code table (K fields).
    Code(Cow<'a, str>),
}

impl Value<'_> {
    /// The value as text (for error messages).
    pub fn display(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Text(t) | Value::Code(t) => t.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Amount(a) => a.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::DateTime(d) => d.to_string(),
        }
    }
}

/// Why a value does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError(pub String);

fn write_digits(slot: &mut [u8], mut n: u64) -> Result<(), FitError> {
    let len = slot.len();
    for i in (0..len).rev() {
        slot[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    if n != 0 {
        return Err(FitError(format!("does not fit {len} digits")));
    }
    Ok(())
}

/// Normalises text for an A field: collapse whitespace, transliterate what the layout does not allow, refuse the
/// rest with its position.
pub fn normalise_for(layout: &Layout, text: &str) -> Result<String, FitError> {
    let collapsed = if text.contains(|c: char| c.is_whitespace() && c != ' ')
        || text.contains("  ")
        || text.starts_with(' ')
        || text.ends_with(' ')
    {
        crate::domain::text::collapse_whitespace(text)
    } else {
        text.to_string()
    };
    let t = if collapsed.chars().all(|c| layout.allows_char(c)) {
        collapsed
    } else {
        crate::domain::text::transliterate_with(&collapsed, |c| layout.allows_char(c))
    };
    if let Some((i, ch)) = t.chars().enumerate().find(|(_, c)| !layout.allows_char(*c)) {
        return Err(FitError(format!(
            "character {ch:?} (U+{:04X}) at position {} is not allowed and has no transliteration",
            u32::from(ch),
            i + 1
        )));
    }
    Ok(t)
}

/// Writes `value` into `slot` (the field's bytes in a space-filled record).
pub fn encode_field(
    layout: &Layout,
    f: &FieldDef,
    value: &Value<'_>,
    slot: &mut [u8],
) -> Result<(), FitError> {
    match (f.kind, value) {
        (FieldKind::C, _) => {
            let v = f.value.as_deref().unwrap_or("");
            write_text(slot, v)
        }
        (FieldKind::A, Value::None) => Ok(()),
        (FieldKind::A, Value::Text(t)) => {
            let t = normalise_for(layout, t)?;
            write_text(slot, &t)
        }
        (FieldKind::N, Value::Num(n)) => write_digits(slot, *n),
        (FieldKind::N | FieldKind::B | FieldKind::D | FieldKind::T, Value::None) => {
            slot.fill(b'0');
            Ok(())
        }
        (FieldKind::N, Value::Text(t)) => {
            let t = t.trim();
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FitError("is not digits only".into()));
            }
            if t.len() > slot.len() {
                return Err(FitError(format!(
                    "has {} digits, the field holds {}",
                    t.len(),
                    slot.len()
                )));
            }
            let pad = slot.len() - t.len();
            slot[..pad].fill(b'0');
            slot[pad..].copy_from_slice(t.as_bytes());
            Ok(())
        }
        (FieldKind::B, Value::Amount(a)) => {
            let n = u64::try_from(*a).map_err(|_| FitError("is negative".into()))?;
            write_digits(slot, n)
        }
        (FieldKind::D, Value::Date(d)) => write_date(slot, *d),
        (FieldKind::D, Value::DateTime(d)) => write_date(slot, d.date()),
        (FieldKind::T, Value::Time(t)) => write_time(slot, *t),
        (FieldKind::T, Value::DateTime(d)) => write_time(slot, d.time()),
        (FieldKind::K, Value::None) => {
            if f.blank {
                Ok(())
            } else {
                Err(FitError("is empty and the field has no blank code".into()))
            }
        }
        (FieldKind::K, Value::Code(name)) => match f.code_for(name) {
            Some(code) => write_text(slot, code),
            None => Err(FitError(format!(
                "is not in the code set ({})",
                f.codes.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        },
        (kind, v) => Err(FitError(format!("a {kind:?} field cannot hold {v:?}"))),
    }
}

fn write_text(slot: &mut [u8], t: &str) -> Result<(), FitError> {
    let n = t.chars().count();
    if n > slot.len() {
        return Err(FitError(format!(
            "is {n} characters, the field holds {}",
            slot.len()
        )));
    }
    for (i, c) in t.chars().enumerate() {
        slot[i] = u8::try_from(u32::from(c))
            .map_err(|_| FitError(format!("character {c:?} is not Latin-1")))?;
    }
    Ok(())
}

fn write_date(slot: &mut [u8], d: NaiveDate) -> Result<(), FitError> {
    let y = u64::try_from(d.year()).map_err(|_| FitError("year before 0".into()))?;
    if y > 9999 || slot.len() != 8 {
        return Err(FitError("does not fit YYYYMMDD".into()));
    }
    write_digits(&mut slot[0..4], y)?;
    write_digits(&mut slot[4..6], u64::from(d.month()))?;
    write_digits(&mut slot[6..8], u64::from(d.day()))
}

fn write_time(slot: &mut [u8], t: NaiveTime) -> Result<(), FitError> {
    if slot.len() != 6 {
        return Err(FitError("does not fit HHMMSS".into()));
    }
    write_digits(&mut slot[0..2], u64::from(t.hour()))?;
    write_digits(&mut slot[2..4], u64::from(t.minute()))?;
    write_digits(&mut slot[4..6], u64::from(t.second()))
}

/// A problem with one field's bytes, with its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The class.
    pub class: ErrorClass,
    /// What is wrong.
    pub message: String,
}

fn digits(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 19 || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        raw.iter()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')),
    )
}

fn two(raw: &[u8]) -> u32 {
    u32::from(raw[0] - b'0') * 10 + u32::from(raw[1] - b'0')
}

/// Decodes a field's raw bytes into a value, checking its kind's rules. The text of A fields is trimmed;
/// empty A fields, zero dates, zero N/B fields of id/optional sources and blank K fields read as [`Value::None`]
/// only where the caller decides (see `reader`); here zeros stay numbers.
pub fn decode_field(f: &FieldDef, raw: &[u8]) -> Result<Value<'static>, FieldProblem> {
    let bad = |class, message: String| FieldProblem { class, message };
    let is_blank = raw.iter().all(|&b| b == b' ');
    let zeros = raw.iter().all(|&b| b == b'0');
    if f.required && (is_blank || (zeros && f.kind != FieldKind::A)) {
        return Err(bad(ErrorClass::MandatoryEmpty, "is empty".into()));
    }
    match f.kind {
        FieldKind::C => {
            let want = f.value.as_deref().unwrap_or("");
            let text = crate::domain::text::decode_latin1(raw);
            if text.trim_end() == want.trim_end() {
                Ok(Value::Text(Cow::Owned(want.to_string())))
            } else {
                Err(bad(
                    ErrorClass::ConstantMismatch,
                    format!("holds {:?}, expected {want:?}", text.trim_end()),
                ))
            }
        }
        FieldKind::A => {
            let text = crate::domain::text::decode_latin1(raw);
            let t = text.trim();
            if t.is_empty() {
                Ok(Value::None)
            } else {
                Ok(Value::Text(Cow::Owned(t.to_string())))
            }
        }
        FieldKind::N => {
            if !raw.iter().all(u8::is_ascii_digit) {
                return Err(bad(
                    ErrorClass::InvalidNumber,
                    format!(
                        "{:?} is not digits",
                        crate::domain::text::decode_latin1(raw)
                    ),
                ));
            }
            let id_source = matches!(
                f.source,
                Some(
                    Source::CreditorId | Source::AgentId | Source::DebtorId | Source::FirstDebtorId
                )
            );
            if id_source && !zeros {
                let text = String::from_utf8_lossy(raw).into_owned();
                if let Err(e) = crate::domain::IdNumber::from_digits12(&text) {
                    return Err(bad(
                        ErrorClass::InvalidId,
                        format!("{}: {}", crate::mask::mask_id(&text), e.message),
                    ));
                }
            }
            match digits(raw) {
                Some(n)
                    if raw.len() <= 18
                        && !id_source
                        && !matches!(
                            f.source,
                            Some(Source::DebtorPostalCode | Source::EntryFelkod)
                        ) =>
                {
                    Ok(Value::Num(n))
                }
                _ => Ok(Value::Text(Cow::Owned(
                    String::from_utf8_lossy(raw).into_owned(),
                ))),
            }
        }
        FieldKind::B => match digits(raw).and_then(|n| i64::try_from(n).ok()) {
            Some(n) => Ok(Value::Amount(n)),
            None => Err(bad(
                ErrorClass::InvalidAmount,
                format!(
                    "{:?} is not an amount in öre",
                    crate::domain::text::decode_latin1(raw)
                ),
            )),
        },
        FieldKind::D => {
            if zeros {
                return Ok(Value::None);
            }
            let d = (raw.len() == 8 && raw.iter().all(u8::is_ascii_digit))
                .then(|| {
                    let y = i32::try_from(digits(&raw[0..4])?).ok()?;
                    NaiveDate::from_ymd_opt(y, two(&raw[4..6]), two(&raw[6..8]))
                })
                .flatten();
            d.map(Value::Date).ok_or_else(|| {
                bad(
                    ErrorClass::InvalidDate,
                    format!(
                        "{:?} is not a date YYYYMMDD",
                        crate::domain::text::decode_latin1(raw)
                    ),
                )
            })
        }
        FieldKind::T => {
            let t = (raw.len() == 6 && raw.iter().all(u8::is_ascii_digit))
                .then(|| NaiveTime::from_hms_opt(two(&raw[0..2]), two(&raw[2..4]), two(&raw[4..6])))
                .flatten();
            t.map(Value::Time).ok_or_else(|| {
                bad(
                    ErrorClass::InvalidTime,
                    format!(
                        "{:?} is not a time HHMMSS",
                        crate::domain::text::decode_latin1(raw)
                    ),
                )
            })
        }
        FieldKind::K => {
            let text = crate::domain::text::decode_latin1(raw);
            let t = text.trim_end();
            if t.is_empty() && f.blank {
                return Ok(Value::None);
            }
            match f.name_for(t) {
                Some(n) => Ok(Value::Code(Cow::Owned(n.to_string()))),
                None => Err(bad(
                    ErrorClass::InvalidCode,
                    format!(
                        "{t:?} is not one of {}",
                        f.codes.values().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
    }
}
