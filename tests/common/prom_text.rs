//! A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line is a `# HELP`, a
//! `# TYPE` right after its HELP, or a sample of the family just declared; names, label syntax and escapes, values,
//! duplicates and histogram shape are checked. Anything else is an error naming the line.
#![allow(dead_code)]

use std::collections::HashSet;

/// One metric family as exposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: String,
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn metric_name_ok(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_' || ch == ':')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')
}

fn label_name_ok(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !s.starts_with("__")
}

/// Undoes the escapes allowed in `text` (`\\`, `\n`, and `\"` when `quote`); any other backslash is an error.
fn unescape(text: &str, quote: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut it = text.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quote => out.push('"'),
            other => return Err(format!("bad escape \\{other:?} in {text:?}")),
        }
    }
    Ok(out)
}

fn value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// Parses `name{k="v",…} value` (no timestamp: fogd writes none).
fn sample(line: &str) -> Result<Sample, String> {
    let (head, val) = line
        .rsplit_once(' ')
        .ok_or_else(|| "no value".to_string())?;
    let (name, labels) = match head.split_once('{') {
        None => (head, Vec::new()),
        Some((name, rest)) => {
            let body = rest
                .strip_suffix('}')
                .ok_or_else(|| "labels not closed by }".to_string())?;
            (name, labels_of(body)?)
        }
    };
    if !metric_name_ok(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value: value(val)?,
    })
}

/// Parses `k="v",k2="v2"` (no trailing comma, no spaces), rejecting duplicate names.
fn labels_of(mut body: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    while !body.is_empty() {
        let (key, rest) = body
            .split_once("=\"")
            .ok_or_else(|| format!("label without =\" in {body:?}"))?;
        if !label_name_ok(key) {
            return Err(format!("bad label name {key:?}"));
        }
        // The value ends at the first quote not escaped.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| format!("label {key} not closed"))?;
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("label {key} twice"));
        }
        out.push((key.to_string(), unescape(&rest[..end], true)?));
        body = &rest[end + 1..];
        if let Some(r) = body.strip_prefix(',') {
            if r.is_empty() {
                return Err("trailing comma in labels".into());
            }
            body = r;
        } else if !body.is_empty() {
            return Err(format!("junk after label {key}: {body:?}"));
        }
    }
    Ok(out)
}

/// Checks a histogram family: buckets by ascending `le` ending in `+Inf`, cumulative, and `_count` equal to the
/// `+Inf` bucket, with one `_sum`.
fn check_histogram(f: &Family) -> Result<(), String> {
    let name = &f.name;
    let bucket = format!("{name}_bucket");
    let mut last_le = f64::NEG_INFINITY;
    let mut last_n = 0.0;
    let mut inf = None;
    for s in f.samples.iter().filter(|s| s.name == bucket) {
        let le = value(s.label("le").ok_or("bucket without le")?)?;
        if le <= last_le || s.value < last_n {
            return Err(format!(
                "{name}: buckets not ascending/cumulative at le={le}"
            ));
        }
        (last_le, last_n) = (le, s.value);
        if le == f64::INFINITY {
            inf = Some(s.value);
        }
    }
    let inf = inf.ok_or_else(|| format!("{name}: no +Inf bucket"))?;
    let one = |suffix: &str| {
        let n = format!("{name}{suffix}");
        let v: Vec<_> = f.samples.iter().filter(|s| s.name == n).collect();
        match v.as_slice() {
            [s] => Ok(s.value),
            _ => Err(format!("{name}: {} {n} samples", v.len())),
        }
    };
    let count = one("_count")?;
    one("_sum")?;
    if count != inf {
        return Err(format!("{name}: _count {count} != +Inf bucket {inf}"));
    }
    Ok(())
}

/// Parses the whole text strictly.
pub fn parse(text: &str) -> Result<Vec<Family>, String> {
    let body = text
        .strip_suffix('\n')
        .ok_or("the text does not end with a newline")?;
    let mut fams: Vec<Family> = Vec::new();
    let mut seen_samples = HashSet::new();
    for (i, line) in body.split('\n').enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", i + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest
                .split_once(' ')
                .ok_or_else(|| at("HELP without text".into()))?;
            if !metric_name_ok(name) || fams.iter().any(|f| f.name == name) {
                return Err(at("bad or repeated family name".into()));
            }
            fams.push(Family {
                name: name.into(),
                help: unescape(help, false).map_err(at)?,
                kind: String::new(),
                samples: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let f = fams
                .last_mut()
                .filter(|f| f.kind.is_empty())
                .ok_or_else(|| at("TYPE not right after its HELP".into()))?;
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| at("TYPE without type".into()))?;
            if name != f.name {
                return Err(at(format!("TYPE for {name} after HELP for {}", f.name)));
            }
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(at(format!("unknown type {kind}")));
            }
            f.kind = kind.into();
        } else if line.starts_with('#') || line.is_empty() {
            return Err(at("unexpected comment or empty line".into()));
        } else {
            let s = sample(line).map_err(at)?;
            let f = fams
                .last_mut()
                .filter(|f| !f.kind.is_empty())
                .ok_or_else(|| at("sample before any HELP/TYPE".into()))?;
            let suffixes: &[&str] = match f.kind.as_str() {
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            if !suffixes.iter().any(|x| s.name == format!("{}{x}", f.name)) {
                return Err(at(format!("sample not of family {}", f.name)));
            }
            if f.kind == "counter" && !f.name.ends_with("_total") {
                return Err(at(format!("counter {} without _total", f.name)));
            }
            if !seen_samples.insert(format!("{}{:?}", s.name, s.labels)) {
                return Err(at("sample repeated".into()));
            }
            f.samples.push(s);
        }
    }
    for f in &fams {
        if f.kind.is_empty() {
            return Err(format!("{}: HELP without TYPE", f.name));
        }
        if f.kind == "histogram" {
            check_histogram(f)?;
        }
    }
    Ok(fams)
}

/// The families fogd's `/metrics` exposes, with their type and HELP text (README, `src/metrics.rs`).
pub const FOGD_FAMILIES: &[(&str, &str, &str)] = &[
    ("fogd_up", "gauge", "1 while fogd serve runs."),
    ("fogd_cases", "gauge", "Cases by state."),
    ("fogd_files", "gauge", "Files by state."),
    (
        "fogd_files_sent_total",
        "counter",
        "Files the SHS node accepted.",
    ),
    (
        "fogd_kvittens_total",
        "counter",
        "Kvittens received by status (G accepted, U rejected whole).",
    ),
    (
        "fogd_receipts_total",
        "counter",
        "Inbound messages by kind and apply status.",
    ),
    (
        "fogd_oldest_unreceipted_file_age_seconds",
        "gauge",
        "Age of the oldest file still waiting for its kvittens.",
    ),
    (
        "fogd_send_latency_seconds",
        "histogram",
        "Duration of SHS send calls (one file each) made by this process.",
    ),
    (
        "fogd_job_runs_total",
        "counter",
        "Scheduled job runs since start.",
    ),
    (
        "fogd_job_failures_total",
        "counter",
        "Failed scheduled job runs since start.",
    ),
    ("fogd_job_running", "gauge", "1 while the job runs."),
    (
        "fogd_job_last_duration_seconds",
        "gauge",
        "Duration of the job's last run.",
    ),
    (
        "fogd_certificate_expiry_seconds",
        "gauge",
        "Seconds until the certificate expires (negative: expired).",
    ),
    ("fogd_alerts_active", "gauge", "Active alerts by kind."),
];

/// Parses `text` strictly and checks it has exactly fogd's families, in order, with their types and HELP texts.
pub fn check_fogd(text: &str) -> Vec<Family> {
    let fams = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let got: Vec<_> = fams
        .iter()
        .map(|f| (f.name.as_str(), f.kind.as_str(), f.help.as_str()))
        .collect();
    assert_eq!(got, FOGD_FAMILIES, "{text}");
    fams
}

/// Unit checks of the reader itself: it must refuse what Prometheus refuses.
pub fn self_check() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"x\\\"y\"} 1\n";
    assert_eq!(parse(ok).unwrap()[0].samples[0].labels[0].1, "x\"y");
    for bad in [
        "# HELP a A.\n# TYPE a gauge\na 1",                         // no final newline
        "# HELP a A.\n# TYPE a gauge\nb 1\n",                       // sample of another family
        "# HELP a A.\na 1\n",                                       // no TYPE
        "# HELP a A.\n# TYPE a gauge\na{k=\"v\",} 1\n",             // trailing comma
        "# HELP a A.\n# TYPE a gauge\na{k=\"v\",k=\"w\"} 1\n",      // label twice
        "# HELP a A.\n# TYPE a gauge\na{k=\"v\\x\"} 1\n",           // bad escape
        "# HELP a A.\n# TYPE a gauge\na x\n",                       // bad value
        "# HELP a A.\n# TYPE a counter\na 1\n",                     // counter without _total
        "# HELP a A.\n# TYPE a gauge\na 1\na 2\n",                  // repeated sample
        "# HELP a A.\n# TYPE a gauge\na 1\n# EOF\n",                // OpenMetrics EOF
        "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
        "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 1\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}
