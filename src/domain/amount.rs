//! Money as integer öre. Never floating point.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount of money in öre (1 krona = 100 öre). Signed so sums and differences are safe; the layouts refuse
/// negative values where the format says "never negative".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub i64);

/// Why a text could not be read as an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Empty text.
    #[error("empty amount")]
    Empty,
    /// More than two decimals.
    #[error("more than two decimals in {0:?}")]
    TooManyDecimals(String),
    /// Not a decimal number.
    #[error("not a decimal amount: {0:?}")]
    Invalid(String),
    /// Too large for the store.
    #[error("amount too large: {0:?}")]
    Overflow(String),
}

impl Amount {
    /// Zero öre.
    pub const ZERO: Amount = Amount(0);

    /// The amount in öre.
    pub fn ore(self) -> i64 {
        self.0
    }

    /// Parses a decimal amount in kronor: `"1250"`, `"1250.5"`, `"1 250,50"`, `"-3.10"`. At most two decimals.
    /// Spaces (also non-breaking) are allowed as thousands separators; `,` or `.` is the decimal separator.
    ///
    /// One pass over the characters, without allocating (every claim of an import has an amount). The rules, in
    /// the order they are checked: nothing but separators is `Empty`; no digit before or after the sign and
    /// separator is `Invalid`, as is any other character, or a second decimal separator; more than two decimals
    /// is `TooManyDecimals`; more than `i64` öre is `Overflow`.
    pub fn parse_kronor(text: &str) -> Result<Amount, AmountError> {
        let mut chars = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
            .peekable();
        let neg = match chars.peek() {
            None => return Err(AmountError::Empty),
            Some('-') => {
                chars.next();
                true
            }
            Some('+') => {
                chars.next();
                false
            }
            Some(_) => false,
        };
        // Kronor before the separator, öre after it; counts of characters (digits or not) on each side.
        let (mut whole, mut whole_chars, mut whole_overflow) = (0i64, 0usize, false);
        let (mut frac, mut frac_chars) = (0i64, 0usize);
        let (mut separator, mut bad) = (false, false);
        for c in chars {
            let digit = c.to_digit(10).map(i64::from);
            if !separator {
                whole_chars += 1;
                match digit {
                    Some(d) => match whole.checked_mul(10).and_then(|v| v.checked_add(d)) {
                        Some(v) => whole = v,
                        None => whole_overflow = true,
                    },
                    None if c == '.' || c == ',' => {
                        whole_chars -= 1;
                        separator = true;
                    }
                    None => bad = true,
                }
            } else {
                frac_chars += 1;
                match digit {
                    Some(d) if frac_chars <= 2 => frac = frac * 10 + d,
                    Some(_) => {}
                    None => bad = true,
                }
            }
        }
        if bad || (whole_chars == 0 && frac_chars == 0) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        if frac_chars > 2 {
            return Err(AmountError::TooManyDecimals(text.to_string()));
        }
        if frac_chars == 1 {
            frac *= 10;
        }
        let ore = if whole_overflow {
            None
        } else {
            whole.checked_mul(100).and_then(|v| v.checked_add(frac))
        }
        .ok_or_else(|| AmountError::Overflow(text.to_string()))?;
        Ok(Amount(if neg { -ore } else { ore }))
    }

    /// Checked sum.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
}

impl fmt::Display for Amount {
    /// Kronor with two decimals and a point: `1250.00`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse_kronor(s)
    }
}

impl Amount {
    /// The text [`Display`](fmt::Display) writes (`1250.00`), written into `buf` from its end without allocating;
    /// returns where it starts. `buf` holds any `i64` (19 digits, sign and point).
    fn write_text(self, buf: &mut [u8; 24]) -> usize {
        let mut at = buf.len();
        let mut push = |b: u8| {
            at -= 1;
            buf[at] = b;
        };
        let abs = self.0.unsigned_abs();
        let (mut kronor, ore) = (abs / 100, abs % 100);
        push(b'0' + (ore % 10) as u8);
        push(b'0' + (ore / 10) as u8);
        push(b'.');
        loop {
            push(b'0' + (kronor % 10) as u8);
            kronor /= 10;
            if kronor == 0 {
                break;
            }
        }
        if self.0 < 0 {
            push(b'-');
        }
        at
    }
}

impl Serialize for Amount {
    /// Serialised as a decimal string in kronor (`"1250.00"`), as intake.md writes amounts (the text of
    /// [`Display`](fmt::Display), formatted without allocating: every claim of a case has amounts).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        let start = self.write_text(&mut buf);
        match buf.get(start..).map(std::str::from_utf8) {
            Some(Ok(text)) => s.serialize_str(text),
            _ => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Accepts a decimal string in kronor or a JSON number (integers exact; fractions through their shortest text).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "amount must be a string, got {other}"
                )))
            }
        };
        Amount::parse_kronor(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_intake_notations() {
        assert_eq!(Amount::parse_kronor("1250"), Ok(Amount(125_000)));
        assert_eq!(Amount::parse_kronor("1250.5"), Ok(Amount(125_050)));
        assert_eq!(Amount::parse_kronor("1 250,50"), Ok(Amount(125_050)));
        assert_eq!(Amount::parse_kronor("0.05"), Ok(Amount(5)));
        assert_eq!(Amount::parse_kronor(",5"), Ok(Amount(50)));
        assert_eq!(Amount::parse_kronor("-3.10"), Ok(Amount(-310)));
        assert!(matches!(
            Amount::parse_kronor("1.234"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("12a"),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("1.2.3"),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(Amount::parse_kronor(""), Err(AmountError::Empty)));
        assert!(matches!(
            Amount::parse_kronor("."),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("99999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
    }

    /// The allocating parser `parse_kronor` replaced (filter into a `String`, replace `,`, split at the first
    /// `.`), kept as the reference the one-pass parser must agree with on every text.
    fn parse_kronor_reference(text: &str) -> Result<Amount, AmountError> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
            .collect();
        if cleaned.is_empty() {
            return Err(AmountError::Empty);
        }
        let (neg, body) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
        };
        let body = body.replace(',', ".");
        let mut parts = body.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        let frac = parts.next();
        if whole.is_empty() && frac.is_none_or(|f| f.is_empty()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        let frac = frac.unwrap_or("");
        if !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        if frac.len() > 2 {
            return Err(AmountError::TooManyDecimals(text.to_string()));
        }
        let whole_v: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse::<i64>()
                .map_err(|_| AmountError::Overflow(text.to_string()))?
        };
        let frac_v: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse::<i64>().unwrap_or(0),
        };
        let ore = whole_v
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac_v))
            .ok_or_else(|| AmountError::Overflow(text.to_string()))?;
        Ok(Amount(if neg { -ore } else { ore }))
    }

    #[test]
    fn parser_agrees_with_the_reference_on_edge_cases() {
        for text in [
            "",
            " ",
            "-",
            "+",
            "--1",
            "-+1",
            "+-1",
            ".",
            ",",
            "1.",
            ",5",
            "-.5",
            "1.2.3",
            "1,2.3",
            "1 000,5",
            "1\u{a0}000",
            "1_000.00",
            "١٢",
            "１２",
            "12a",
            "a",
            "1.2a",
            "1.234",
            "1.23a",
            "9223372036854775807",
            "92233720368547758",
            "92233720368547758.07",
            "92233720368547758.08",
            "-92233720368547758.08",
            "99999999999999999999",
            "99999999999999999999.123",
            "0000000000000000000000001",
            " 7 ",
            "\t7,50\n",
        ] {
            assert_eq!(
                Amount::parse_kronor(text),
                parse_kronor_reference(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn serialises_as_its_display_text() {
        for ore in [
            0,
            5,
            -5,
            99,
            100,
            -100,
            125_050,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let a = Amount(ore);
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{a}\""),
                "{ore}"
            );
        }
    }

    proptest! {
        #[test]
        fn parser_agrees_with_the_reference(text in "[-+ 0-9.,_a\u{a0}]{0,24}") {
            prop_assert_eq!(Amount::parse_kronor(&text), parse_kronor_reference(&text));
        }

        #[test]
        fn serialised_text_is_the_display_text(ore in any::<i64>()) {
            let a = Amount(ore);
            prop_assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }

        #[test]
        fn display_parse_round_trip(ore in -10_000_000_000_000i64..10_000_000_000_000i64) {
            let a = Amount(ore);
            prop_assert_eq!(Amount::parse_kronor(&a.to_string()), Ok(a));
        }
    }
}
