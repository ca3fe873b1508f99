//! How the console writes times and amounts: Stockholm local time to the minute (`2026-11-30 19:05`) and Swedish
//! amounts (`1 234,50 kr`, with non-breaking spaces so a number never breaks across lines).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Stockholm;

/// Non-breaking space.
const NBSP: char = '\u{a0}';

/// An instant as Stockholm local time to the minute.
pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A stored RFC 3339 time as [`time`]; text that does not parse is shown as it is, nothing as empty.
pub fn stored_time(text: Option<&str>) -> String {
    match text {
        None => String::new(),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| time(d.with_timezone(&Utc)))
            .unwrap_or_else(|_| t.to_string()),
    }
}

/// Öre as Swedish kronor: `1 234,50 kr` (thousands grouped by non-breaking spaces, decimal comma).
pub fn amount(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    let abs = ore.unsigned_abs();
    let kronor = (abs / 100).to_string();
    let mut grouped = String::with_capacity(kronor.len() + kronor.len() / 3 * 2);
    for (i, c) in kronor.chars().enumerate() {
        if i > 0 && (kronor.len() - i) % 3 == 0 {
            grouped.push(NBSP);
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}{NBSP}kr", abs % 100)
}

/// The start of Stockholm day `d` in UTC (the first instant of the day; a day always has one).
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    Stockholm
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

/// The Stockholm calendar day of an instant.
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Stockholm).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_swedish() {
        assert_eq!(amount(123_450), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(amount(5), "0,05\u{a0}kr");
        assert_eq!(amount(-100_000_000), "-1\u{a0}000\u{a0}000,00\u{a0}kr");
        assert_eq!(amount(99_999), "999,99\u{a0}kr");
    }

    #[test]
    fn times_are_stockholm_to_the_minute() {
        let winter = Utc.with_ymd_and_hms(2026, 11, 30, 18, 5, 59).unwrap();
        assert_eq!(time(winter), "2026-11-30 19:05");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap();
        assert_eq!(time(summer), "2026-07-01 12:00");
        assert_eq!(
            stored_time(Some("2026-11-30T18:05:00.000000Z")),
            "2026-11-30 19:05"
        );
        assert_eq!(stored_time(Some("garbage")), "garbage");
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            day_start(d),
            Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap()
        );
        assert_eq!(
            day_of(Utc.with_ymd_and_hms(2026, 11, 29, 23, 30, 0).unwrap()),
            d
        );
    }
}
