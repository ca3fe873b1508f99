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
        let bytes = build_entries(l, move |s| head(s), entries, |e, s| value_of(e, s))
            .map_err(|e| failed(e.to_string()))?;
        Ok(Written {
            name: l.file_name.replace("{ik}", intressentkod),
            bytes,
            content_type: "text/plain; charset=ISO-8859-1",
        })
    }
}
