//! How fogd writes an instant wherever it shows or keeps one as text (stored columns, JSON, CSV, the ops page):
//! RFC 3339 in UTC with microseconds and `Z`, so that text order is time order.

use chrono::{DateTime, SecondsFormat, Utc};

/// The text of an instant.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serde for a `DateTime<Utc>` field written as [`stamp`] (reads any RFC 3339).
pub mod serde_stamp {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the stamp.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::stamp(*t))
    }

    /// Reads RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Serde for an `Option<DateTime<Utc>>` field written as [`stamp`] or `null`.
pub mod serde_stamp_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the stamp or `null`.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::stamp(*t)),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}
