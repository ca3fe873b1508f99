//! Record tables as Markdown, generated from layout files (`fogd layout doc`), so the documentation of an edition
//! is its layouts and never drifts (fogd-ref-2.md §1). The style follows kronofogden.md §3: one heading per layout,
//! one table per record type, and where a fixed-width record's data ends.

use super::edition::LayoutFile;
use super::felkod::{Felkoder, Level};
use super::layout::{FieldKind, Layout, LayoutRole, Scope};
use super::xml::{XmlKind, XmlLayout};
use std::fmt::Write;

/// A table cell: pipes escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn scope_text(scope: Scope) -> &'static str {
    match scope {
        Scope::FileHead => "one per file head",
        Scope::Case => "one per case",
        Scope::Debtor => "one per debtor",
        Scope::FurtherDebtor => "one per further debtor",
        Scope::Claim => "one per claim",
        Scope::ClaimText => "one per claim text line",
        Scope::ClaimTextFirst => "one per claim, first text line",
        Scope::ClaimTextNext => "one per claim, further text lines",
        Scope::Entry => "one per entry",
        Scope::FileTail => "one per file tail",
    }
}

fn kind_letter(k: FieldKind) -> &'static str {
    match k {
        FieldKind::C => "C",
        FieldKind::A => "A",
        FieldKind::N => "N",
        FieldKind::B => "B",
        FieldKind::D => "D",
        FieldKind::T => "T",
        FieldKind::K => "K",
    }
}

/// `code name, code name` of a code table, in the order of the codes as written.
fn code_list(codes: &std::collections::BTreeMap<String, String>) -> String {
    let mut v: Vec<(&String, &String)> = codes.iter().map(|(n, c)| (c, n)).collect();
    v.sort();
    v.iter()
        .map(|(c, n)| {
            if c == n {
                format!("`{c}`")
            } else {
                format!("`{c}` {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fixed-width layout's record tables.
pub fn fixed_markdown(l: &Layout) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#### `{}`\n", l.name);
    let mut facts = vec![format!("filtyp `{}`", l.filtyp)];
    if !l.file_name.is_empty() {
        facts.insert(0, format!("file `{}`", l.file_name));
    }
    if l.role == LayoutRole::Transaction {
        facts.push(format!("missiv `{}`", l.missiv_name_for("{name}")));
    }
    if !l.filtyp_aliases.is_empty() {
        facts.push(format!(
            "also read for filtyp {}",
            l.filtyp_aliases.join(", ")
        ));
    }
    let _ = writeln!(
        s,
        "{} ({}); {}; ISO-8859-1, {}, records of {} characters.",
        l.role.as_str(),
        l.edition,
        facts.join(", "),
        match l.line_ending {
            super::layout::LineEnding::CrLf => "CRLF",
            super::layout::LineEnding::Lf => "LF",
        },
        l.record_length
    );
    let totals: Vec<String> = l
        .records
        .iter()
        .flat_map(|r| {
            r.total_fields
                .iter()
                .filter_map(move |&i| r.fields.get(i).map(|f| format!("`{}.{}`", r.code, f.name)))
        })
        .collect();
    if !totals.is_empty() {
        let _ = writeln!(s, "TOT-BEL is the sum of {}.", totals.join(", "));
    }
    if !l.receipts.is_empty() {
        let r: Vec<String> = l
            .receipts
            .iter()
            .map(|(k, v)| format!("{k} `{v}`"))
            .collect();
        let _ = writeln!(s, "Answered by: {}.", r.join(", "));
    }
    for r in &l.records {
        let only = r
            .only_with
            .map(|src| format!(", only when `{}` has a value", src.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\nRecord `{}` {} — {}{only}\n",
            r.code,
            cell(&r.name),
            scope_text(r.scope)
        );
        s.push_str("| field | start | len | kind | filled from | notes |\n");
        s.push_str("|---|---|---|---|---|---|\n");
        let mut end = 0;
        for f in &r.fields {
            end = end.max(f.start + f.length - 1);
            let from = match (&f.value, f.source) {
                (Some(v), _) if f.kind == FieldKind::C => format!("\"{v}\""),
                (_, Some(src)) => src.as_str().to_string(),
                _ => String::new(),
            };
            let mut notes = Vec::new();
            if let Some(n) = &f.note {
                notes.push(n.clone());
            }
            if f.kind == FieldKind::K {
                let mut c = format!("codes: {}", code_list(&f.codes));
                if f.blank {
                    c.push_str(", blank for none");
                }
                notes.push(c);
            }
            // The flags, unless the note already says so.
            let said = |w: &str| {
                f.note
                    .as_deref()
                    .is_some_and(|n| n.split(|c: char| !c.is_alphanumeric()).any(|x| x == w))
            };
            if f.required && !said("required") {
                notes.push("required".into());
            }
            if f.control && !said("control") {
                notes.push("control".into());
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.name),
                f.start,
                f.length,
                kind_letter(f.kind),
                cell(&from),
                cell(&notes.join("; "))
            );
        }
        if end >= l.record_length {
            s.push_str("\n(the data fills the record)\n");
        } else {
            let _ = writeln!(
                s,
                "\n(data ends at column {end}; the rest of the record is spaces)"
            );
        }
    }
    s
}

fn occurs(min: u64, max: Option<u64>) -> String {
    match (min, max) {
        (1, Some(1)) => "once".into(),
        (a, Some(b)) => format!("{a}..{b}"),
        (a, None) => format!("{a}..unbounded"),
    }
}

/// An XML layout's record tables.
pub fn xml_markdown(l: &XmlLayout) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#### `{}`\n", l.name);
    let ns = if l.namespace.is_empty() {
        "no namespace".to_string()
    } else {
        format!("namespace `{}`", l.namespace)
    };
    let _ = writeln!(
        s,
        "{} ({}); XML, file `{}`, root element `{}` in {ns}, UTF-8. Limits: {} bytes, {} records, nesting {} deep.",
        l.role.as_str(),
        l.edition,
        l.file_name,
        l.root,
        l.limits.max_bytes,
        l.limits.max_records,
        l.limits.max_depth
    );
    for r in &l.records {
        let (code, place) = if r.is_root() {
            (l.root.as_str(), "the root element".to_string())
        } else {
            (
                r.element.as_str(),
                format!(
                    "{}, {} in the root",
                    scope_text(r.scope),
                    occurs(r.min_occurs, r.max_occurs)
                ),
            )
        };
        let _ = writeln!(s, "\nRecord `{code}` {} — {place}\n", cell(&r.name));
        s.push_str("| field | element | kind | occurs | filled from | notes |\n");
        s.push_str("|---|---|---|---|---|---|\n");
        for f in &r.fields {
            let mut notes = Vec::new();
            if let Some(n) = &f.note {
                notes.push(n.clone());
            }
            match f.kind {
                XmlKind::Text => {
                    match (f.min_length, f.max_length) {
                        (Some(a), Some(b)) => notes.push(format!("{a}–{b} characters")),
                        (Some(a), None) => notes.push(format!("at least {a} characters")),
                        (None, Some(b)) => notes.push(format!("at most {b} characters")),
                        (None, None) => {}
                    }
                    if let Some(p) = &f.pattern {
                        notes.push(format!("pattern `{}`", p.text));
                    }
                }
                XmlKind::Code => notes.push(format!("codes: {}", code_list(&f.codes))),
                XmlKind::Amount => {
                    notes.push("kronor, two decimals (`2500.00`); read as öre".into())
                }
                XmlKind::Date => notes.push("`YYYY-MM-DD`".into()),
                XmlKind::DateTime => notes.push("`YYYY-MM-DDThh:mm:ss`".into()),
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.name),
                cell(&f.path_text()),
                f.kind.as_str(),
                if f.optional { "0..1" } else { "1" },
                f.source.as_str(),
                cell(&notes.join("; "))
            );
        }
    }
    s
}

/// Markdown for one layout of either kind.
pub fn markdown(l: &LayoutFile) -> String {
    match l {
        LayoutFile::Fixed(l) => fixed_markdown(l),
        LayoutFile::Xml(l) => xml_markdown(l),
    }
}

fn felkoder_markdown(f: &Felkoder) -> String {
    let mut s = String::from(
        "#### Felkoder\n\n| felkod | level | text | reported for |\n|---|---|---|---|\n",
    );
    for k in f.all() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            k.code,
            match k.level {
                Level::F => "F (file)",
                Level::H => "H (case)",
            },
            cell(&k.text),
            cell(&k.classes.join(", "))
        );
    }
    s
}

/// An edition's documentation: every layout, in the order of their roles (transaction files by case kind), and
/// the felkod table when given. `source` names where the files came from, in the generated-by line.
pub fn edition_markdown(
    source: &str,
    layouts: &[LayoutFile],
    felkoder: Option<&Felkoder>,
) -> String {
    let mut sorted: Vec<&LayoutFile> = layouts.iter().collect();
    let kind_rank = |l: &LayoutFile| match l {
        LayoutFile::Fixed(f) => f
            .case_kind
            .and_then(|k| crate::domain::CaseKind::ALL.iter().position(|x| *x == k))
            .unwrap_or(usize::MAX),
        LayoutFile::Xml(_) => usize::MAX,
    };
    sorted.sort_by(|a, b| {
        let ra = LayoutRole::ALL.iter().position(|r| *r == a.role());
        let rb = LayoutRole::ALL.iter().position(|r| *r == b.role());
        (ra, kind_rank(a), a.name()).cmp(&(rb, kind_rank(b), b.name()))
    });
    let mut editions: Vec<&str> = sorted.iter().map(|l| l.edition()).collect();
    editions.dedup();
    let mut s = format!("# Record layouts: {}\n\n", editions.join(", "));
    let _ = writeln!(
        s,
        "Generated by `fogd layout doc {source}` from the layout files; do not edit by hand (a test compares).\n\
         Kinds of fixed-width fields: C constant, A text, N number, B amount in öre, D date `YYYYMMDD`, T time `HHMMSS`, \
         K code. XML layouts map elements to the same field names and domain values (`filled from`).\n"
    );
    for l in sorted {
        s.push_str(&markdown(l));
        s.push('\n');
    }
    if let Some(f) = felkoder {
        s.push_str(&felkoder_markdown(f));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_record_table_looks_like_kronofogden_md() {
        let set = crate::formats::LayoutSet::embedded();
        let md = fixed_markdown(set.get("bfo-nedsattning").unwrap());
        assert!(md.starts_with("#### `bfo-nedsattning`\n"), "{md}");
        assert!(
            md.contains("Record `10` Nedsattning — one per case\n"),
            "{md}"
        );
        assert!(md.contains("| field | start | len | kind | filled from | notes |\n|---|---|---|---|---|---|\n| posttyp | 1 | 2 | C | \"10\" |  |\n"), "{md}");
        assert!(md.contains("| orsak | 66 | 1 | K | case.reason | "), "{md}");
        assert!(
            md.contains("(data ends at column 66; the rest of the record is spaces)"),
            "{md}"
        );
    }

    #[test]
    fn an_xml_record_table_names_elements_and_facets() {
        let xml = crate::formats::edition::embedded_xml("FOGD-REF-2");
        let delred = xml.iter().find(|l| l.name == "delred").unwrap();
        let md = xml_markdown(delred);
        assert!(
            md.contains(
                "Record `Redovisning` Delredovisning — one per entry, 1..unbounded in the root"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| period_fran | Period/Fran | date | 1 | entry.period_from | `YYYY-MM-DD` |"
            ),
            "{md}"
        );
        assert!(md.contains("| intressentkod | Intressentkod | text | 1 | file.intressentkod | pattern `[A-Z0-9]{1,3}` |"), "{md}");
        assert!(
            md.contains("| utgava | @utgava | code | 1 | file.edition | codes: `FOGD-REF-2` |"),
            "{md}"
        );
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
