//! The typed values of the configuration that are read from text: amounts in kronor, cron schedules (five or six
//! fields) and time-zone names.

use crate::domain::Amount;
use serde::{Deserialize, Serialize};

/// An amount of kronor written as text (`"180"`, `"62.50"`), read into öre at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kronor(pub Amount);

impl Serialize for Kronor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Kronor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kronor, D::Error> {
        let text = String::deserialize(d)?;
        Amount::parse_kronor(&text)
            .map(Kronor)
            .map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}")))
    }
}

/// A crontab expression (5 fields, or 6 with seconds first), parsed when the configuration is read; written back
/// as given.
#[derive(Debug, Clone)]
pub struct CronExpr {
    expr: String,
    schedule: cron::Schedule,
}

impl CronExpr {
    /// Parses `expr` (see [`cron_schedule`]).
    pub fn parse(expr: &str) -> Result<CronExpr, String> {
        Ok(CronExpr {
            expr: expr.trim().to_string(),
            schedule: cron_schedule(expr)?,
        })
    }

    /// A default written in this module; `defaults_validate` reads every one of them.
    #[allow(clippy::expect_used)]
    pub(super) fn builtin(expr: &'static str) -> CronExpr {
        CronExpr::parse(expr).expect("a built-in cron default parses")
    }

    /// The expression as given.
    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The parsed schedule (on a naive wall clock: bind it to a time zone to use it).
    pub fn schedule(&self) -> &cron::Schedule {
        &self.schedule
    }
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &CronExpr) -> bool {
        self.expr == other.expr
    }
}

impl Serialize for CronExpr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expr)
    }
}

impl<'de> Deserialize<'de> for CronExpr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CronExpr, D::Error> {
        let text = String::deserialize(d)?;
        CronExpr::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A time zone written as its IANA name (`Europe/Stockholm`).
pub(super) mod tz_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom(format!("{name:?} is not an IANA time zone")))
    }
}

/// Parses a crontab expression: standard 5 fields (minute hour day month weekday), or 6/7 with seconds first as
/// the `cron` crate wants. 5-field lines get a `0` seconds field.
pub fn cron_schedule(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let full = match fields {
        5 => format!("0 {}", expr.trim()),
        6 | 7 => expr.trim().to_string(),
        n => {
            return Err(format!(
                "{expr:?} has {n} fields; expected 5 (crontab) or 6 (with seconds)"
            ))
        }
    };
    // crontab counts weekdays 0–7 from Sunday; the cron crate counts 1–7 from Sunday. Map numeric weekdays.
    let full = map_weekdays(&full, fields == 5);
    full.parse::<cron::Schedule>()
        .map_err(|e| format!("{expr:?} is not a valid cron expression: {e}"))
}

fn map_weekdays(full: &str, from_crontab: bool) -> String {
    if !from_crontab {
        return full.to_string();
    }
    let mut parts: Vec<String> = full.split_whitespace().map(str::to_string).collect();
    if let Some(dow) = parts.get_mut(5) {
        let mapped: String = dow
            .split(',')
            .map(|item| {
                let (range, step) = match item.split_once('/') {
                    Some((r, s)) => (r, Some(s)),
                    None => (item, None),
                };
                let map_one = |t: &str| match t.parse::<u32>() {
                    Ok(n) if n <= 7 => (if n == 0 || n == 7 { 1 } else { n + 1 }).to_string(),
                    _ => t.to_string(),
                };
                let r = match range.split_once('-') {
                    Some((a, b)) => {
                        // 1-7 in crontab (Mon..Sun) wraps; express Sunday=7 as 1 separately.
                        if b == "7" || b == "0" {
                            format!("{}-7,1", map_one(a))
                        } else {
                            format!("{}-{}", map_one(a), map_one(b))
                        }
                    }
                    None => map_one(range),
                };
                match step {
                    Some(s) => format!("{r}/{s}"),
                    None => r,
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        *dow = mapped;
    }
    parts.join(" ")
}
