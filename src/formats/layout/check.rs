//! Checking a layout file read from TOML ([`RawLayout`]) into a [`Layout`]: one function per rule, every problem
//! collected (with the record and field it concerns) so that an operator sees all of them at once.

use super::*;
use crate::domain::CaseKind;
use crate::formats::source::Category;
use std::collections::HashSet;

/// The problems found so far in one layout file.
struct Problems<'f> {
    file: &'f str,
    found: Vec<LayoutProblem>,
}

impl Problems<'_> {
    fn add(&mut self, record: Option<&str>, field: Option<&str>, message: String) {
        self.found.push(LayoutProblem {
            file: self.file.to_string(),
            record: record.map(str::to_string),
            field: field.map(str::to_string),
            message,
        });
    }

    /// A problem of the layout as a whole.
    fn layout(&mut self, message: String) {
        self.add(None, None, message);
    }
}

/// Checks `raw` (read from `file`); the layout, or every problem found.
pub(super) fn check(raw: RawLayout, file: &str) -> Result<Layout, Vec<LayoutProblem>> {
    let mut p = Problems {
        file,
        found: Vec::new(),
    };
    if raw.name.trim().is_empty() {
        p.layout("name is empty".into());
    }
    let role = role(&raw, &mut p);
    encoding(&raw, &mut p);
    let line_ending = line_ending(&raw, &mut p);
    record_length(&raw, &mut p);
    let allowed = allowed_characters(&raw, &mut p);
    let case_kind = case_kind(&raw, &mut p);
    if role == LayoutRole::Transaction {
        transaction_head(&raw, case_kind, &mut p);
    }
    receipts(&raw, &mut p);
    code_position(&raw, &mut p);
    let mut records = Vec::new();
    let mut codes_seen = HashSet::new();
    for rr in &raw.records {
        if let Some(r) = record(&raw, rr, &allowed, &mut codes_seen, &mut p) {
            records.push(r);
        }
    }
    record_scopes(role, &records, &mut p);
    totals(&raw, &mut records, &mut p);
    if !p.found.is_empty() {
        return Err(p.found);
    }
    Ok(Layout {
        name: raw.name,
        edition: raw.edition,
        role,
        filtyp: raw.filtyp,
        filtyp_aliases: raw.filtyp_aliases,
        case_kind,
        line_ending,
        record_length: raw.record_length,
        allowed,
        allowed_text: raw.allowed_characters,
        code_start: raw.code_start,
        code_length: raw.code_length,
        file_name: raw.file_name.unwrap_or_default(),
        missiv_name: raw.missiv_name,
        receipts: raw.receipts,
        max_text_lines: raw.max_text_lines.unwrap_or(10),
        records,
    })
}

fn role(raw: &RawLayout, p: &mut Problems<'_>) -> LayoutRole {
    LayoutRole::parse(&raw.role).unwrap_or_else(|| {
        p.layout(format!(
            "role {:?} is not one of {}",
            raw.role,
            LayoutRole::ALL.map(LayoutRole::as_str).join(", ")
        ));
        LayoutRole::Transaction
    })
}

fn encoding(raw: &RawLayout, p: &mut Problems<'_>) {
    if !raw.encoding.eq_ignore_ascii_case("ISO-8859-1")
        && !raw.encoding.eq_ignore_ascii_case("latin1")
    {
        p.layout(format!(
            "encoding {:?} is not supported (only ISO-8859-1)",
            raw.encoding
        ));
    }
}

fn line_ending(raw: &RawLayout, p: &mut Problems<'_>) -> LineEnding {
    match raw.line_ending.to_ascii_uppercase().as_str() {
        "CRLF" => LineEnding::CrLf,
        "LF" => LineEnding::Lf,
        other => {
            p.layout(format!("line_ending {other:?} is not CRLF or LF"));
            LineEnding::CrLf
        }
    }
}

fn record_length(raw: &RawLayout, p: &mut Problems<'_>) {
    if raw.record_length == 0 || raw.record_length > MAX_RECORD_LENGTH {
        p.layout(format!(
            "record_length {} is not within 1..={MAX_RECORD_LENGTH}",
            raw.record_length
        ));
    }
}

/// The allowed bytes: hex ranges, never CR or LF, always the space (padding) and the digits.
fn allowed_characters(raw: &RawLayout, p: &mut Problems<'_>) -> Box<[bool; 256]> {
    let allowed = parse_ranges(&raw.allowed_characters).unwrap_or_else(|m| {
        p.layout(m);
        Box::new([false; 256])
    });
    if allowed[usize::from(b'\r')] || allowed[usize::from(b'\n')] {
        p.layout("allowed_characters must not include CR or LF".into());
    }
    if !allowed[usize::from(b' ')] {
        p.layout("allowed_characters must include the space (padding)".into());
    }
    if !allowed[usize::from(b'0')] {
        p.layout("allowed_characters must include the digits".into());
    }
    allowed
}

fn parse_ranges(items: &[String]) -> Result<Box<[bool; 256]>, String> {
    let mut allowed = Box::new([false; 256]);
    for item in items {
        let (a, b) = item.split_once('-').unwrap_or((item, item));
        let a = u8::from_str_radix(a.trim(), 16);
        let b = u8::from_str_radix(b.trim(), 16);
        match (a, b) {
            (Ok(a), Ok(b)) if a <= b => {
                for x in a..=b {
                    allowed[usize::from(x)] = true;
                }
            }
            _ => {
                return Err(format!(
                    "allowed_characters: {item:?} is not a hex range like \"20-7E\""
                ))
            }
        }
    }
    Ok(allowed)
}

fn case_kind(raw: &RawLayout, p: &mut Problems<'_>) -> Option<CaseKind> {
    let k = raw.case_kind.as_ref()?;
    let kind = CaseKind::parse(k);
    if kind.is_none() {
        p.layout(format!("case_kind {k:?} is not a known case kind"));
    }
    kind
}

/// A transaction layout names its case kind and a file name holding the intressentkod.
fn transaction_head(raw: &RawLayout, case_kind: Option<CaseKind>, p: &mut Problems<'_>) {
    if case_kind.is_none() && raw.case_kind.is_none() {
        p.layout("a transaction layout needs case_kind".into());
    }
    if raw.file_name.as_deref().is_none_or(|f| !f.contains("{ik}")) {
        p.layout("a transaction layout needs file_name with {ik}".into());
    }
}

fn receipts(raw: &RawLayout, p: &mut Problems<'_>) {
    for (k, v) in &raw.receipts {
        if !matches!(k.as_str(), "kvittens" | "bekraftelse" | "utslag") {
            p.layout(format!("receipts.{k}: not kvittens, bekraftelse or utslag"));
        }
        if v.matches("{ik}").count() != 1 {
            p.layout(format!("receipts.{k}: pattern {v:?} must hold {{ik}} once"));
        }
    }
}

fn code_position(raw: &RawLayout, p: &mut Problems<'_>) {
    if raw.code_length == 0
        || raw.code_start == 0
        || raw.code_start - 1 + raw.code_length > raw.record_length
    {
        p.layout(format!(
            "code_start {} / code_length {} do not lie within the record",
            raw.code_start, raw.code_length
        ));
    }
}

/// One record: a code of its own of allowed characters, a known scope, its fields, and a constant field holding
/// the code where the layout says codes are.
fn record(
    raw: &RawLayout,
    rr: &RawRecord,
    allowed: &[bool; 256],
    codes_seen: &mut HashSet<String>,
    p: &mut Problems<'_>,
) -> Option<RecordDef> {
    let rc = Some(rr.code.as_str());
    if !codes_seen.insert(rr.code.clone()) {
        p.add(rc, None, "record code used twice".into());
    }
    if rr.code.len() != raw.code_length || !rr.code.bytes().all(|b| allowed[usize::from(b)]) {
        p.add(
            rc,
            None,
            format!(
                "code {:?} is not {} allowed characters",
                rr.code, raw.code_length
            ),
        );
    }
    let Some(scope) = Scope::parse(&rr.scope) else {
        p.add(rc, None, format!("scope {:?} is unknown (file_head, case, debtor, further_debtor, claim, claim_text, claim_text_first, claim_text_next, entry, file_tail)", rr.scope));
        return None;
    };
    let mut fields: Vec<FieldDef> = Vec::new();
    let mut names = HashSet::new();
    for rf in &rr.fields {
        if !names.insert(rf.name.clone()) {
            p.add(
                rc,
                Some(rf.name.as_str()),
                "field name used twice in the record".into(),
            );
        }
        if let Some(f) = field(raw, rr, scope, rf, allowed, &fields, p) {
            fields.push(f);
        }
    }
    code_field(raw, rr, &fields, p);
    let only_with = match rr.only_with.as_deref() {
        None => None,
        Some(name) => match Source::parse(name) {
            Some(s) if scope == Scope::Case && s.category() == Category::Case => Some(s),
            Some(_) => {
                p.add(
                    rc,
                    None,
                    format!("only_with {name:?}: only a case record can be left out, and only for a case value"),
                );
                None
            }
            None => {
                p.add(
                    rc,
                    None,
                    format!("only_with {name:?} is not a known source"),
                );
                None
            }
        },
    };
    Some(RecordDef {
        code: rr.code.clone(),
        name: rr.name.clone(),
        scope,
        fields,
        total_fields: Vec::new(),
        only_with,
    })
}

/// One field: a known kind, columns inside the record that overlap no earlier field, a source that may fill a
/// field of this scope, and what its kind asks for.
fn field(
    raw: &RawLayout,
    rr: &RawRecord,
    scope: Scope,
    rf: &RawField,
    allowed: &[bool; 256],
    earlier: &[FieldDef],
    p: &mut Problems<'_>,
) -> Option<FieldDef> {
    let (rc, fname) = (Some(rr.code.as_str()), Some(rf.name.as_str()));
    let kind = field_kind(rf, p.with(rc, fname))?;
    let end = field_columns(raw, rf, p.with(rc, fname))?;
    let source = field_source(rr, scope, rf, p.with(rc, fname));
    field_value(rf, kind, allowed, p.with(rc, fname));
    field_overlap(rf, end, earlier, p.with(rc, fname));
    Some(FieldDef {
        name: rf.name.clone(),
        start: rf.start,
        length: rf.length,
        kind,
        source,
        value: rf.value.clone(),
        codes: rf.codes.clone(),
        blank: rf.blank,
        control: rf.control,
        required: rf.required,
        note: rf.note.clone(),
    })
}

/// The problems of one field.
struct FieldProblems<'a, 'f> {
    p: &'a mut Problems<'f>,
    record: Option<&'a str>,
    field: Option<&'a str>,
}

impl FieldProblems<'_, '_> {
    fn add(&mut self, message: String) {
        self.p.add(self.record, self.field, message);
    }
}

impl<'f> Problems<'f> {
    fn with<'a>(
        &'a mut self,
        record: Option<&'a str>,
        field: Option<&'a str>,
    ) -> FieldProblems<'a, 'f> {
        FieldProblems {
            p: self,
            record,
            field,
        }
    }
}

fn field_kind(rf: &RawField, mut p: FieldProblems<'_, '_>) -> Option<FieldKind> {
    let kind = match rf.kind.as_str() {
        "C" => FieldKind::C,
        "A" => FieldKind::A,
        "N" => FieldKind::N,
        "B" => FieldKind::B,
        "D" => FieldKind::D,
        "T" => FieldKind::T,
        "K" => FieldKind::K,
        other => {
            p.add(format!("kind {other:?} is not one of C, A, N, B, D, T, K"));
            return None;
        }
    };
    Some(kind)
}

/// The field's columns lie inside the record; returns its end column.
fn field_columns(raw: &RawLayout, rf: &RawField, mut p: FieldProblems<'_, '_>) -> Option<usize> {
    if rf.start == 0 || rf.length == 0 {
        p.add(format!(
            "start {} / length {} must be at least 1",
            rf.start, rf.length
        ));
        return None;
    }
    let end = rf.start - 1 + rf.length;
    if end > raw.record_length {
        p.add(format!(
            "columns {}..{} lie outside the record (length {})",
            rf.start, end, raw.record_length
        ));
        return None;
    }
    Some(end)
}

fn field_source(
    rr: &RawRecord,
    scope: Scope,
    rf: &RawField,
    mut p: FieldProblems<'_, '_>,
) -> Option<Source> {
    let s = rf.source.as_ref()?;
    let Some(src) = Source::parse(s) else {
        p.add(format!("unknown source {s:?}"));
        return None;
    };
    if !src.category().allowed_in(scope) {
        p.add(format!(
            "source {s:?} cannot fill a field of a {} record",
            rr.scope
        ));
    }
    Some(src)
}

/// What the field's kind asks for: a constant that fits (C), a source (others), the length of a date (D) or time
/// (T), codes (K, and only K).
fn field_value(
    rf: &RawField,
    kind: FieldKind,
    allowed: &[bool; 256],
    mut p: FieldProblems<'_, '_>,
) {
    match kind {
        FieldKind::C => match &rf.value {
            Some(v)
                if v.chars().count() <= rf.length
                    && v.chars().all(|c| {
                        u8::try_from(u32::from(c)).is_ok_and(|b| allowed[usize::from(b)])
                    }) => {}
            Some(v) => p.add(format!(
                "constant {v:?} does not fit {} allowed characters",
                rf.length
            )),
            None => p.add("a C field needs a value".into()),
        },
        _ if rf.source.is_none() => p.add("a field that is not a constant needs a source".into()),
        _ => {}
    }
    if kind == FieldKind::D && rf.length != 8 {
        p.add("a D field is 8 long (YYYYMMDD)".into());
    }
    if kind == FieldKind::T && rf.length != 6 {
        p.add("a T field is 6 long (HHMMSS)".into());
    }
    if kind == FieldKind::K {
        if rf.codes.is_empty() {
            p.add("a K field needs codes".into());
        }
        for (n, c) in &rf.codes {
            if c.chars().count() > rf.length || c.trim().is_empty() {
                p.add(format!(
                    "code {n} = {c:?} is empty or longer than {}",
                    rf.length
                ));
            }
        }
    } else if !rf.codes.is_empty() || rf.blank {
        p.add("codes/blank only apply to K fields".into());
    }
}

fn field_overlap(rf: &RawField, end: usize, earlier: &[FieldDef], mut p: FieldProblems<'_, '_>) {
    for other in earlier {
        let (a, b) = (other.range(), rf.start - 1..end);
        if a.start < b.end && b.start < a.end {
            p.add(format!(
                "columns {}..{} overlap field {} ({}..{})",
                rf.start,
                end,
                other.name,
                other.start,
                other.start - 1 + other.length
            ));
        }
    }
}

/// A record holds its own code in a constant field at the layout's code columns.
fn code_field(raw: &RawLayout, rr: &RawRecord, fields: &[FieldDef], p: &mut Problems<'_>) {
    let code_range =
        raw.code_start.saturating_sub(1)..raw.code_start.saturating_sub(1) + raw.code_length;
    if !fields.iter().any(|f| {
        f.kind == FieldKind::C
            && f.range() == code_range
            && f.value.as_deref() == Some(rr.code.as_str())
    }) {
        p.add(
            Some(rr.code.as_str()),
            None,
            format!(
                "needs a C field at columns {}..{} holding the code {:?}",
                raw.code_start,
                raw.code_start - 1 + raw.code_length,
                rr.code
            ),
        );
    }
}

/// One file head, at most one file tail; a transaction layout has a tail and a case record.
fn record_scopes(role: LayoutRole, records: &[RecordDef], p: &mut Problems<'_>) {
    let heads = records
        .iter()
        .filter(|r| r.scope == Scope::FileHead)
        .count();
    let tails = records
        .iter()
        .filter(|r| r.scope == Scope::FileTail)
        .count();
    if heads != 1 {
        p.layout(format!("needs exactly one file_head record, has {heads}"));
    }
    if tails > 1 {
        p.layout(format!(
            "has {tails} file_tail records, at most one allowed"
        ));
    }
    if role == LayoutRole::Transaction {
        if tails != 1 {
            p.layout("a transaction layout needs a file_tail record".into());
        }
        if !records.iter().any(|r| r.scope == Scope::Case) {
            p.layout("a transaction layout needs a case record".into());
        }
    }
}

/// Each `total` names a B field as "record.field"; the field is marked as one the totals are summed from.
fn totals(raw: &RawLayout, records: &mut [RecordDef], p: &mut Problems<'_>) {
    for t in &raw.total {
        let found = t.split_once('.').and_then(|(code, field)| {
            records.iter_mut().find(|r| r.code == code).and_then(|r| {
                let i = r
                    .fields
                    .iter()
                    .position(|f| f.name == field && f.kind == FieldKind::B)?;
                r.total_fields.push(i);
                Some(())
            })
        });
        if found.is_none() {
            p.layout(format!(
                "total: {t:?} does not name a B field as \"record.field\""
            ));
        }
    }
}
