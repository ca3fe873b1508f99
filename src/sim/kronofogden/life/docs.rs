//! The documents the simulator sends after registration (fogd-ref-2.md §3), written by their FOGD-REF-2 layout
//! files: fixed width (`BESTRID`, the extended `RAPPORT`, `SKSRAPP`) and XML (LUB, DELRED, NYTTAVGAR,
//! slutredovisning). An entry is its values by [`Source`], so where a value goes is the layout's business: the
//! same files fogd reads them with.

use crate::config::Config;
use crate::formats::codec::Value;
use crate::formats::inbound::build_entries;
use crate::formats::xml::{build_document, XmlLayout};
use crate::formats::{Layout, Source};
use crate::sim::behaviour::BehaviourError;
use chrono::NaiveDateTime;

/// One entry of a document: its values by source.
pub type Entry = Vec<(Source, Value<'static>)>;

/// The value of `source` in `entry` ([`Value::None`] when absent).
fn value_of(entry: &Entry, source: Source) -> Value<'static> {
    entry
        .iter()
        .find(|(s, _)| *s == source)
        .map_or(Value::None, |(_, v)| v.clone())
}

/// A kind of document the simulator sends after registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doc {
    /// `SUPRO.{ik}.BESTRID`: a debtor disputed a BFÖ case.
    Bestridande,
    /// `SUPRO.{ik}.RAPPORT` in FOGD-REF-2 (U, A, D with `domstol`, R; `vs_malnummer`).
    Utslag,
    /// `REX.{ik}.SKSRAPP`: a skuldsanering decision.
    SksRapport,
    /// Löneutmätningsbeslut.
    Lub,
    /// Ny grundavgift (before the day's DELRED that deducts it).
    Nyttavgar,
    /// Delredovisning.
    Delred,
    /// Slutredovisning.
    Slutredovisning,
}

impl Doc {
    /// Every kind, in the order a day's documents are sent.
    pub const ALL: [Doc; 7] = [
        Doc::Bestridande,
        Doc::Utslag,
        Doc::SksRapport,
        Doc::Lub,
        Doc::Nyttavgar,
        Doc::Delred,
        Doc::Slutredovisning,
    ];

    /// The layout's name; also the key of its product in `shs.products` and the data part's type.
    pub fn name(self) -> &'static str {
        match self {
            Doc::Bestridande => "bestridande",
            Doc::Utslag => "utslag",
            Doc::SksRapport => "sks-rapport",
            Doc::Lub => "lub",
            Doc::Delred => "delred",
            Doc::Nyttavgar => "nyttavgar",
            Doc::Slutredovisning => "slutredovisning",
        }
    }
}

/// A written document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its file name (from the layout's `file_name`).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The MIME type of its data part.
    pub content_type: &'static str,
}

/// The FOGD-REF-2 layouts of the documents of [`Doc`].
#[derive(Debug, Clone)]
pub struct LifeLayouts {
    fixed: Vec<Layout>,
    xml: Vec<XmlLayout>,
}

impl LifeLayouts {
    /// The shipped FOGD-REF-2 layouts.
    pub fn embedded() -> LifeLayouts {
        LifeLayouts {
            fixed: crate::formats::edition::embedded_fixed("FOGD-REF-2"),
            xml: crate::formats::edition::embedded_xml("FOGD-REF-2"),
        }
    }

    /// The shipped FOGD-REF-2 layouts; XML layouts of `[layouts] dir` replace theirs by name.
    pub fn from_config(config: &Config) -> Result<LifeLayouts, BehaviourError> {
        let xml = crate::layout_files::load_xml(config)
            .map_err(|e| BehaviourError::Other(e.to_string()))?;
        let life = LifeLayouts {
            fixed: crate::formats::edition::embedded_fixed("FOGD-REF-2"),
            xml,
        };
        for d in Doc::ALL {
            if life.fixed(d).is_none() && life.xml(d).is_none() {
                return Err(BehaviourError::Other(format!(
                    "no FOGD-REF-2 layout {:?} for the case's life after registration",
                    d.name()
                )));
            }
        }
        Ok(life)
    }

    /// The fixed-width layout of `doc`, if it is one.
    pub fn fixed(&self, doc: Doc) -> Option<&Layout> {
        self.fixed.iter().find(|l| l.name == doc.name())
    }

    /// The XML layout of `doc`, if it is one.
    pub fn xml(&self, doc: Doc) -> Option<&XmlLayout> {
        self.xml.iter().find(|l| l.name == doc.name())
    }

    /// Writes `doc` for `intressentkod`, created at `created` (its date is the document's date), with `entries`.
    pub fn write(
        &self,
        doc: Doc,
        intressentkod: &str,
        created: NaiveDateTime,
        entries: &[Entry],
    ) -> Result<Written, BehaviourError> {
        let head = |s: Source| -> Value<'static> {
            match s {
                Source::FileIntressentkod => Value::Text(intressentkod.to_string().into()),
                Source::DocDate => Value::Date(created.date()),
                Source::DocTime => Value::Time(created.time()),
                Source::FileCreated => Value::DateTime(created),
                Source::FileEdition => Value::Code("FOGD-REF-2".into()),
                _ => Value::None,
            }
        };
        let failed = |e: String| BehaviourError::Other(format!("writing {}: {e}", doc.name()));
        if let Some(l) = self.xml(doc) {
            let bytes =
                build_document(l, head, entries, value_of).map_err(|e| failed(e.to_string()))?;
            return Ok(Written {
                name: l.file_name_for(intressentkod, created.date()),
                bytes,
                content_type: "application/xml; charset=UTF-8",
            });
        }
        let l = self.fixed(doc).ok_or_else(|| failed("no layout".into()))?;
        let head = &head;
        // Closures, not the functions: their `Value<'static>` must shorten to the entries' lifetime.
        #[allow(clippy::redundant_closure)]
        let bytes = build_entries(l, move |s| head(s), entries, |e, s| value_of(e, s))
            .map_err(|e| failed(e.to_string()))?;
        Ok(Written {
            name: l.file_name.replace("{ik}", intressentkod),
            bytes,
            content_type: "text/plain; charset=ISO-8859-1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::layout::{FieldKind, Scope};
    use crate::formats::xml::{read_xml, XmlKind};
    use chrono::NaiveDate;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default()
    }

    /// A value for every kind of field; the court keeps its å/ä (Latin-1 in fixed width, UTF-8 in XML).
    fn sample(source: Source, text_kind: bool, code: Option<&String>, n: u64) -> Value<'static> {
        match (source, code) {
            (_, Some(name)) => Value::Code(name.clone().into()),
            (Source::EntryCourt, _) => Value::Text("Göteborgs tingsrätt".into()),
            _ if text_kind => Value::Text(format!("T{n}").into()),
            _ => Value::None,
        }
    }

    fn trimmed(v: Value<'static>) -> Value<'static> {
        match v {
            Value::Text(t) => Value::Text(t.trim().to_string().into()),
            other => other,
        }
    }

    /// Every document written from values by source reads back, with fogd's readers and the same layout files,
    /// to the same values (two entries each).
    #[test]
    fn every_document_reads_back_to_the_values_written() {
        let life = LifeLayouts::embedded();
        let created = date().and_hms_opt(11, 30, 0).unwrap_or_default();
        for doc in Doc::ALL {
            let mut entries: Vec<Entry> = Vec::new();
            for n in 1..=2u64 {
                let mut e = Entry::new();
                if let Some(l) = life.fixed(doc) {
                    for r in l.records.iter().filter(|r| r.scope == Scope::Entry) {
                        for f in r.fields.iter().filter(|f| f.kind != FieldKind::C) {
                            let Some(src) = f.source else { continue };
                            let v = match f.kind {
                                FieldKind::N => Value::Num(n * 3),
                                FieldKind::B => {
                                    Value::Amount(i64::try_from(n).unwrap_or(0) * 12_345)
                                }
                                FieldKind::D => Value::Date(date()),
                                _ => sample(
                                    src,
                                    true,
                                    f.codes
                                        .keys()
                                        .nth(usize::try_from(n).unwrap_or(0) % f.codes.len().max(1))
                                        .filter(|_| f.kind == FieldKind::K),
                                    n,
                                ),
                            };
                            e.push((src, v));
                        }
                    }
                } else if let Some(l) = life.xml(doc) {
                    for r in l.records.iter().filter(|r| r.scope == Scope::Entry) {
                        for f in &r.fields {
                            let v = match f.kind {
                                XmlKind::Amount => {
                                    Value::Amount(i64::try_from(n).unwrap_or(0) * 12_345)
                                }
                                XmlKind::Date => Value::Date(date()),
                                XmlKind::DateTime => Value::DateTime(created),
                                XmlKind::Code => sample(
                                    f.source,
                                    false,
                                    f.codes.keys().nth(
                                        usize::try_from(n).unwrap_or(0) % f.codes.len().max(1),
                                    ),
                                    n,
                                ),
                                XmlKind::Text => sample(f.source, true, None, n),
                            };
                            e.push((f.source, v));
                        }
                    }
                }
                entries.push(e);
            }
            let w = life.write(doc, "ABC", created, &entries).unwrap();
            let read: Vec<Vec<(Source, Value<'static>)>> = if let Some(l) = life.fixed(doc) {
                assert_eq!(w.name, l.file_name.replace("{ik}", "ABC"));
                let p = crate::formats::parse_file(l, &w.bytes);
                assert!(p.errors.is_empty(), "{doc:?}: {:?}", p.errors);
                let head = p.records.first().unwrap();
                assert_eq!(
                    head.value(l, Source::FileIntressentkod).map(trimmed),
                    Some(Value::Text("ABC".into()))
                );
                assert_eq!(head.value(l, Source::DocDate), Some(Value::Date(date())));
                p.records
                    .iter()
                    .filter(|r| r.def(l).is_some_and(|d| d.scope == Scope::Entry))
                    .map(|r| {
                        entries[0]
                            .iter()
                            .map(|(s, _)| (*s, r.value(l, *s).map(trimmed).unwrap_or(Value::None)))
                            .collect()
                    })
                    .collect()
            } else {
                let l = life.xml(doc).unwrap();
                assert_eq!(w.name, l.file_name_for("ABC", date()));
                let records = read_xml(l, &w.bytes).unwrap();
                assert_eq!(
                    records[0].value(l, Source::FileEdition),
                    Some(&Value::Code("FOGD-REF-2".into()))
                );
                records
                    .iter()
                    .filter(|r| r.def(l).is_some_and(|d| d.scope == Scope::Entry))
                    .map(|r| {
                        entries[0]
                            .iter()
                            .map(|(s, _)| (*s, r.value(l, *s).cloned().unwrap_or(Value::None)))
                            .collect()
                    })
                    .collect()
            };
            assert_eq!(read, entries, "{doc:?}");
        }
    }
}
