//! Fault injection for the simulated node: HTTP 500/503, delays, timeouts, a connection reset mid-body,
//! duplicate list entries, and a message withheld from the first list that would show it (a kvittens "lost until
//! re-listed").
//!
//! Spec string (for `fogd sim --faults` and `POST /sim/v1/faults {"spec": …}`): comma-separated items
//! `KIND[=ARG][@ENDPOINT][*COUNT]`, where KIND is `status=CODE`, `delay=MS`, `timeout`, `reset`, `duplicate`,
//! `withhold` or `reject=FELKOD` (the behaviour rejects the next received file whole with that four-digit felkod,
//! e.g. `reject=0021*1`; the demo uses it to show the löpnummer reset); ENDPOINT is `rs`, `list`, `fetch`, `ack` or `any` (default `any`); COUNT limits how many times the
//! rule fires (default: until cleared). Examples: `status=503@rs*2`, `delay=500@list`, `reset@fetch*1`,
//! `withhold*1`. `timeout` on `rs` stores the message and then never answers (for [`TIMEOUT_HANG`]); `reset` on `rs`
//! stores the message and then drops the connection without an answer; on `fetch` it sends half the body and
//! drops the connection (the message stays listed).

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// How long a `timeout` fault keeps a request hanging (longer than any sane client timeout).
pub const TIMEOUT_HANG: Duration = Duration::from_secs(3600);

/// Which endpoint a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// Every SHS endpoint.
    Any,
    /// `POST /shs/rs`.
    Rs,
    /// `GET /shs/ds/{outbox}`.
    List,
    /// `GET /shs/ds/{outbox}/{tx.id}`.
    Fetch,
    /// `POST …?action=ack`.
    Ack,
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "arg")]
pub enum FaultKind {
    /// Answer with this HTTP status (e.g. 500, 503).
    Status(u16),
    /// Wait this many milliseconds before answering.
    Delay(u64),
    /// Never answer (see [`TIMEOUT_HANG`]).
    Timeout,
    /// Drop the connection (mid-body on fetch).
    Reset,
    /// List every entry twice.
    Duplicate,
    /// Hide the next new outbound message from the first list that would show it.
    Withhold,
    /// Have the behaviour reject the next received message's file whole with this felkod (0–9999, written with
    /// four digits).
    Reject(u16),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// What.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Where.
    pub endpoint: Endpoint,
    /// How many more times; `None` = until cleared.
    pub remaining: Option<u32>,
}

/// Parses a fault spec string (see the module doc); errors name the bad item.
pub fn parse_spec(spec: &str) -> Result<Vec<FaultRule>, String> {
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = |why: &str| format!("fault {item:?}: {why}");
        let (rest, count) = match item.split_once('*') {
            Some((r, c)) => (
                r,
                Some(
                    c.trim()
                        .parse::<u32>()
                        .map_err(|_| bad("count after * must be a number"))?,
                ),
            ),
            None => (item, None),
        };
        let (rest, endpoint) = match rest.split_once('@') {
            Some((r, e)) => (
                r,
                match e.trim() {
                    "any" => Endpoint::Any,
                    "rs" => Endpoint::Rs,
                    "list" => Endpoint::List,
                    "fetch" => Endpoint::Fetch,
                    "ack" => Endpoint::Ack,
                    _ => return Err(bad("endpoint must be rs, list, fetch, ack or any")),
                },
            ),
            None => (rest, Endpoint::Any),
        };
        let (name, arg) = match rest.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (rest.trim(), None),
        };
        let num = |a: Option<&str>| -> Result<u64, String> {
            a.ok_or_else(|| bad("needs =NUMBER"))?
                .parse::<u64>()
                .map_err(|_| bad("argument must be a number"))
        };
        let kind = match name {
            "status" => {
                let code = num(arg)?;
                if !(400..=599).contains(&code) {
                    return Err(bad("status must be 400..599"));
                }
                FaultKind::Status(code as u16)
            }
            "delay" => FaultKind::Delay(num(arg)?),
            "timeout" => FaultKind::Timeout,
            "reset" => FaultKind::Reset,
            "duplicate" => FaultKind::Duplicate,
            "withhold" => FaultKind::Withhold,
            "reject" => {
                let a = arg.ok_or_else(|| bad("needs =FELKOD (four digits)"))?;
                if a.len() != 4 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("felkod must be four digits"));
                }
                FaultKind::Reject(num(Some(a))? as u16)
            }
            _ => {
                return Err(bad(
                    "kind must be status, delay, timeout, reset, duplicate, withhold or reject",
                ))
            }
        };
        out.push(FaultRule {
            kind,
            endpoint,
            remaining: count,
        });
    }
    Ok(out)
}

/// The active faults (shared by all connections).
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Adds rules.
    pub fn add(&self, rules: Vec<FaultRule>) {
        if let Ok(mut g) = self.rules.lock() {
            g.extend(rules);
        }
    }
    /// Removes every rule.
    pub fn clear(&self) {
        if let Ok(mut g) = self.rules.lock() {
            g.clear();
        }
    }
    /// The active rules.
    pub fn snapshot(&self) -> Vec<FaultRule> {
        self.rules.lock().map(|g| g.clone()).unwrap_or_default()
    }
    /// Takes the faults that fire now for `endpoint` (request faults only: not `Withhold` or `Reject`), using up
    /// counts.
    pub fn take(&self, endpoint: Endpoint) -> Vec<FaultKind> {
        self.take_where(|r| {
            (r.endpoint == Endpoint::Any || r.endpoint == endpoint)
                && r.kind != FaultKind::Withhold
                && !matches!(r.kind, FaultKind::Reject(_))
        })
    }
    /// Takes one `Reject` (for a message about to be handed to the behaviour): its felkod as four digits.
    pub fn take_reject(&self) -> Option<String> {
        let mut code = None;
        let _ = self.take_where(|r| match r.kind {
            FaultKind::Reject(c) if code.is_none() => {
                code = Some(format!("{c:04}"));
                true
            }
            _ => false,
        });
        code
    }
    /// Takes one `Withhold` (for a new outbound message), if any.
    pub fn take_withhold(&self) -> bool {
        let mut taken = false;
        let _ = self.take_where(|r| {
            if !taken && r.kind == FaultKind::Withhold {
                taken = true;
                true
            } else {
                false
            }
        });
        taken
    }
    fn take_where(&self, mut pred: impl FnMut(&FaultRule) -> bool) -> Vec<FaultKind> {
        let Ok(mut g) = self.rules.lock() else {
            return Vec::new();
        };
        let mut fired = Vec::new();
        for r in g.iter_mut() {
            if r.remaining != Some(0) && pred(r) {
                fired.push(r.kind);
                if let Some(n) = r.remaining.as_mut() {
                    *n -= 1;
                }
            }
        }
        g.retain(|r| r.remaining != Some(0));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing_and_counts() {
        let rules = parse_spec(
            "status=503@rs*2, delay=10@list,reset@fetch*1,duplicate@list,withhold*1,timeout@ack",
        )
        .unwrap();
        assert_eq!(rules.len(), 6);
        let f = Faults::default();
        f.add(rules);
        assert_eq!(f.take(Endpoint::Rs), vec![FaultKind::Status(503)]);
        assert_eq!(f.take(Endpoint::Rs), vec![FaultKind::Status(503)]);
        assert!(f.take(Endpoint::Rs).is_empty());
        assert_eq!(
            f.take(Endpoint::List),
            vec![FaultKind::Delay(10), FaultKind::Duplicate]
        );
        assert!(f.take_withhold());
        assert!(!f.take_withhold());
        assert_eq!(f.take(Endpoint::Fetch), vec![FaultKind::Reset]);
        assert!(f.take(Endpoint::Fetch).is_empty());
        f.clear();
        assert!(f.snapshot().is_empty());
        f.add(parse_spec("reject=0021*1,status=500@list*1").unwrap());
        assert!(
            f.take(Endpoint::Rs).is_empty(),
            "reject is not a request fault"
        );
        assert_eq!(f.take_reject().as_deref(), Some("0021"));
        assert_eq!(f.take_reject(), None);
        assert_eq!(f.snapshot().len(), 1);
        for bad in [
            "status=200",
            "delay",
            "nope",
            "reset@x",
            "reset*x",
            "reject",
            "reject=21",
            "reject=00x1",
        ] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }
}
