//! The JSON side of intake reading: a JSON array, a single object or JSON Lines, split into one record per case
//! by a scanner of its own (so that one broken element is one record's issue, not the file's).
//!
//! Hand-written on purpose: `serde_json` parses a whole array or stops at its first error, and its
//! `StreamDeserializer` (concatenated values, JSON Lines) cannot resume after a syntax error. Intake must report
//! every broken case with its own line number and still read the cases after it, so this scanner only finds each
//! element's byte span and first line (strings, escapes and nesting), and `serde_json` then parses each element.

use super::*;

/// Finds the end (exclusive) of the JSON value starting at `start` (after whitespace): strings, nesting and
/// scalars. Only the structure is checked; `serde_json` checks the rest per record.
pub(super) fn scan_value(b: &[u8], start: usize) -> Result<usize, (usize, String)> {
    let mut i = start;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let Some(&first) = b.get(i) else {
        return Err((i, "expected a JSON value, found the end of the file".into()));
    };
    match first {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut in_str = false;
            let mut esc = false;
            while i < b.len() {
                let c = b[i];
                if in_str {
                    if esc {
                        esc = false;
                    } else if c == b'\\' {
                        esc = true;
                    } else if c == b'"' {
                        in_str = false;
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return Ok(i + 1);
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            Err((
                start,
                "this JSON value is never closed (missing } or ])".into(),
            ))
        }
        b'"' => {
            let mut esc = false;
            i += 1;
            while i < b.len() {
                let c = b[i];
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    return Ok(i + 1);
                }
                i += 1;
            }
            Err((start, "unterminated string".into()))
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b']' | b'}') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            Ok(i)
        }
    }
}

pub(super) fn json_record(slice: &str, line: usize, format: SourceFormat) -> SourceRecord {
    let (input, read_issues) = match serde_json::from_str::<CaseInput>(slice) {
        Ok(input) => (Some(input), Vec::new()),
        Err(e) => {
            let rule = match e.classify() {
                serde_json::error::Category::Data => "json.type",
                _ => "json.syntax",
            };
            let err_line = line + e.line().saturating_sub(1);
            let msg = e.to_string();
            // Keep the reference when the record is readable as a JSON object at all.
            let reference = serde_json::from_str::<serde_json::Value>(slice)
                .ok()
                .and_then(|v| {
                    v.get("reference")
                        .and_then(|r| r.as_str())
                        .map(str::to_string)
                });
            let input = reference.map(|r| CaseInput {
                reference: Some(r),
                ..CaseInput::default()
            });
            (
                input,
                vec![ReadIssue {
                    line: err_line,
                    field: String::new(),
                    rule: rule.into(),
                    value: None,
                    message: msg,
                }],
            )
        }
    };
    SourceRecord {
        line,
        claim_lines: Vec::new(),
        input,
        read_issues,
        format,
    }
}

impl DecodedInput<'_> {
    /// The byte span and first line of every element of a JSON array, after checking the array's structure.
    pub(super) fn json_array_spans(&self) -> Result<Vec<(usize, usize, usize)>, IntakeFileError> {
        let b = self.text.as_bytes();
        let structure = |pos: usize, message: String| IntakeFileError::JsonStructure {
            line: line_of(b, pos),
            message,
        };
        let mut i = self.text.len() - self.text.trim_start().len() + 1; // after '['
        let mut line = line_of(b, i);
        let mut last = 0usize;
        let mut advance = |to: usize, line: &mut usize| {
            *line += b[last.min(to)..to].iter().filter(|&&c| c == b'\n').count();
            last = to;
        };
        let skip_ws = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        let mut out = Vec::new();
        i = skip_ws(i);
        if b.get(i) == Some(&b']') {
            return Ok(out);
        }
        loop {
            i = skip_ws(i);
            let end = scan_value(b, i).map_err(|(p, m)| structure(p, m))?;
            advance(i, &mut line);
            out.push((i, end, line));
            i = skip_ws(end);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b']') => {
                    let rest = skip_ws(i + 1);
                    if rest < b.len() {
                        return Err(structure(
                            rest,
                            "text after the closing ] of the array".into(),
                        ));
                    }
                    return Ok(out);
                }
                Some(c) => {
                    return Err(structure(
                        i,
                        format!(
                            "expected , or ] between array elements, found {:?}",
                            char::from(*c)
                        ),
                    ))
                }
                None => return Err(structure(i, "the array is never closed (missing ])".into())),
            }
        }
    }
}
