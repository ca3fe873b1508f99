//! The SHS protocol layer (shs.md): the label, message-list and management documents, the MIME multipart message
//! (writer and tolerant parser), and the mutual-TLS client (send, list, fetch, ack).
//!
//! This layer moves bytes. It knows no Kronofogden format and never imports `formats`, `store` or `engine`.

pub mod client;
pub mod codes;
pub mod label;
pub mod list;
pub mod management;
pub mod mime;
pub mod xml;

pub use client::{
    ClientSettings, FetchedMessage, ListFilter, SendReceipt, ShsClient, ShsClientError,
};
pub use codes::ShsErrorCode;
pub use label::{DataRef, Label, SequenceType, Status, TransferType};
pub use list::{ListEntry, MessageList};
pub use management::{Management, ManagementKind};
pub use mime::{DataPart, MimeError, PartBody, ShsMessage};
pub use xml::DocError;

use chrono::NaiveDateTime;

/// The SHS timestamp pattern `yyyy-MM-ddTHH:mm:ss` (no zone, no fraction; shs.md §2).
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// Formats a timestamp as SHS writes it (`yyyy-MM-ddTHH:mm:ss`).
pub fn format_time(t: NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Parses an SHS timestamp tolerantly: `yyyy-MM-ddTHH:mm:ss`, with optional fraction, or a bare date
/// (`yyyy-MM-dd`, read as midnight), as seen in third-party fixtures (shs.md §2).
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(s, TIME_FORMAT) {
        return Some(t);
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// The URN prefix of SHS addresses and products.
pub const URN_PREFIX: &str = "urn:X-shs:";

/// Drops the `urn:X-shs:` prefix (in any case) from an address or product value, and trims it.
pub fn strip_urn(value: &str) -> &str {
    let v = value.trim();
    match v.get(..URN_PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(URN_PREFIX) => {
            v.get(URN_PREFIX.len()..).unwrap_or("")
        }
        _ => v,
    }
}

/// Writes a value in URN form (`urn:X-shs:VALUE`), whatever form it came in.
pub fn to_urn(value: &str) -> String {
    format!("{URN_PREFIX}{}", strip_urn(value))
}

/// The organisation number of an actor address: the URN prefix and any `.internalId` suffix dropped
/// (shs.md §1: routing uses the part before the first dot).
pub fn actor_org(value: &str) -> &str {
    let v = strip_urn(value);
    v.split('.').next().unwrap_or(v)
}

/// True when `v` is a 10-digit organisation number (the syntax SHS uses for actors).
pub fn is_org_number(v: &str) -> bool {
    v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit())
}

/// The special product names that are not UUIDs (shs.md §1).
pub const SPECIAL_PRODUCTS: [&str; 3] = ["confirm", "error", "agreement"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_prefix_any_case() {
        assert_eq!(strip_urn("urn:X-shs:5565317129"), "5565317129");
        assert_eq!(strip_urn("URN:x-SHS:5565317129"), "5565317129");
        assert_eq!(strip_urn(" 5565317129 "), "5565317129");
        assert_eq!(to_urn("urn:x-shs:confirm"), "urn:X-shs:confirm");
        assert_eq!(actor_org("urn:X-shs:5565317129.avd7"), "5565317129");
        assert!(is_org_number("5565317129"));
        assert!(!is_org_number("556531712"));
    }

    #[test]
    fn times_tolerant() {
        let t = parse_time("2013-06-17T14:57:20").unwrap();
        assert_eq!(format_time(t), "2013-06-17T14:57:20");
        assert_eq!(
            format_time(parse_time("2013-06-17").unwrap()),
            "2013-06-17T00:00:00"
        );
        assert_eq!(
            format_time(parse_time("2013-06-17T14:57:20.123").unwrap()),
            "2013-06-17T14:57:20"
        );
        assert!(parse_time("17/06/2013").is_none());
    }
}
