//! Layout files of either kind, and the files shipped per edition.
//!
//! A layout file is fixed-width ([`Layout`]) unless it says `format = "xml"` ([`XmlLayout`]); [`LayoutFile`]
//! loads either, for `fogd layout check`, `fogd layout doc` and `fogd inspect`. [`FOGD_REF_2`] holds the
//! FOGD-REF-2 files (`layouts/fogd-ref-2/`): every outbound transaction with its missiv, the kvittens and
//! bekräftelse, the inbound BESTRID, RAPPORT and SKSRAPP, and the four XML documents.
//! [`EDITIONS`] names the editions fogd ships; [`DEFAULT_EDITION`] is the one a new installation uses.

use super::layout::{Layout, LayoutProblem, LayoutRole, EMBEDDED};
use super::xml::{is_xml_layout, XmlLayout};

/// The editions fogd ships, oldest first.
pub const EDITIONS: [&str; 2] = ["FOGD-REF-1", "FOGD-REF-2"];

/// The edition a new installation uses (fogd-ref-2.md §1).
pub const DEFAULT_EDITION: &str = "FOGD-REF-2";

/// The FOGD-REF-2 felkod table.
pub const FOGD_REF_2_FELKODER: &str = include_str!("../../layouts/fogd-ref-2/felkoder.toml");

/// The felkod table shipped for an edition.
pub fn embedded_felkoder(edition: &str) -> Option<&'static str> {
    match edition {
        "FOGD-REF-1" => Some(super::felkod::EMBEDDED_FELKODER),
        "FOGD-REF-2" => Some(FOGD_REF_2_FELKODER),
        _ => None,
    }
}

/// The FOGD-REF-2 layout files shipped in the binary: (file name, contents), the begäran (`bfo-begaran.toml`, §2.5)
/// among them.
pub const FOGD_REF_2: &[(&str, &str)] = &[
    (
        "bfo-ansokan.toml",
        include_str!("../../layouts/fogd-ref-2/bfo-ansokan.toml"),
    ),
    (
        "bfo-nedsattning.toml",
        include_str!("../../layouts/fogd-ref-2/bfo-nedsattning.toml"),
    ),
    (
        "bfo-aterkallelse.toml",
        include_str!("../../layouts/fogd-ref-2/bfo-aterkallelse.toml"),
    ),
    (
        "vst-ansokan.toml",
        include_str!("../../layouts/fogd-ref-2/vst-ansokan.toml"),
    ),
    (
        "vst-andring.toml",
        include_str!("../../layouts/fogd-ref-2/vst-andring.toml"),
    ),
    (
        "sks-fordringsanmalan.toml",
        include_str!("../../layouts/fogd-ref-2/sks-fordringsanmalan.toml"),
    ),
    (
        "missiv.toml",
        include_str!("../../layouts/fogd-ref-2/missiv.toml"),
    ),
    (
        "kvittens.toml",
        include_str!("../../layouts/fogd-ref-2/kvittens.toml"),
    ),
    (
        "bekraftelse.toml",
        include_str!("../../layouts/fogd-ref-2/bekraftelse.toml"),
    ),
    (
        "bestridande.toml",
        include_str!("../../layouts/fogd-ref-2/bestridande.toml"),
    ),
    (
        "utslag.toml",
        include_str!("../../layouts/fogd-ref-2/utslag.toml"),
    ),
    (
        "sks-rapport.toml",
        include_str!("../../layouts/fogd-ref-2/sks-rapport.toml"),
    ),
    (
        "bfo-begaran.toml",
        include_str!("../../layouts/fogd-ref-2/bfo-begaran.toml"),
    ),
    (
        "lub.toml",
        include_str!("../../layouts/fogd-ref-2/lub.toml"),
    ),
    (
        "delred.toml",
        include_str!("../../layouts/fogd-ref-2/delred.toml"),
    ),
    (
        "nyttavgar.toml",
        include_str!("../../layouts/fogd-ref-2/nyttavgar.toml"),
    ),
    (
        "slutredovisning.toml",
        include_str!("../../layouts/fogd-ref-2/slutredovisning.toml"),
    ),
];

/// The layout files shipped for an edition (`FOGD-REF-1`, `FOGD-REF-2`); the felkod table is not among them.
pub fn embedded_files(edition: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match edition {
        "FOGD-REF-1" => Some(EMBEDDED),
        "FOGD-REF-2" => Some(FOGD_REF_2),
        _ => None,
    }
}

/// A loaded layout file of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutFile {
    /// Fixed-width records.
    Fixed(Layout),
    /// An XML document.
    Xml(XmlLayout),
}

impl LayoutFile {
    /// Loads and checks a layout file of either kind; `file` names it in problems.
    pub fn from_toml(text: &str, file: &str) -> Result<LayoutFile, Vec<LayoutProblem>> {
        if is_xml_layout(text) {
            XmlLayout::from_toml(text, file).map(LayoutFile::Xml)
        } else {
            Layout::from_toml(text, file).map(LayoutFile::Fixed)
        }
    }

    /// The layout's name.
    pub fn name(&self) -> &str {
        match self {
            LayoutFile::Fixed(l) => &l.name,
            LayoutFile::Xml(l) => &l.name,
        }
    }

    /// Its edition.
    pub fn edition(&self) -> &str {
        match self {
            LayoutFile::Fixed(l) => &l.edition,
            LayoutFile::Xml(l) => &l.edition,
        }
    }

    /// Its role.
    pub fn role(&self) -> LayoutRole {
        match self {
            LayoutFile::Fixed(l) => l.role,
            LayoutFile::Xml(l) => l.role,
        }
    }

    /// How many record types it has.
    pub fn record_count(&self) -> usize {
        match self {
            LayoutFile::Fixed(l) => l.records.len(),
            LayoutFile::Xml(l) => l.records.len(),
        }
    }
}

/// The edition a fixed-width file names in its head (`utgava`, the field filled from `file.edition`), read with
/// `layout`'s head record; `None` when the layout's head has no such field or it is empty.
pub fn utgava(layout: &Layout, bytes: &[u8]) -> Option<String> {
    let head = layout.head()?;
    let field = head.field_for(super::source::Source::FileEdition)?;
    let first = bytes.split(|&b| b == b'\n').next()?;
    let raw = first.get(field.range())?;
    let text = crate::domain::text::decode_latin1(raw).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Of `sets` (in order of preference), the one for the edition `bytes` names in its head, when one of them
/// recognises the file and its edition is among them. `Err(edition)` when the file names an edition none of the
/// sets is; `Ok(None)` when no set recognises the file or it names no edition.
pub fn set_for_file<'s>(
    sets: &'s [super::LayoutSet],
    bytes: &[u8],
) -> Result<Option<&'s super::LayoutSet>, String> {
    let Some(named) = sets
        .iter()
        .find_map(|s| s.recognise(bytes).and_then(|l| utgava(l, bytes)))
    else {
        return Ok(None);
    };
    match sets.iter().find(|s| s.edition() == Some(named.as_str())) {
        Some(s) => Ok(Some(s)),
        None => Err(named),
    }
}

/// Loads shipped files (checked by a test, so a released binary never drops one; were one broken it would be
/// left out, never a panic).
fn load_embedded(files: &[(&str, &str)]) -> Vec<LayoutFile> {
    files
        .iter()
        .filter_map(|(file, text)| LayoutFile::from_toml(text, file).ok())
        .collect()
}

/// The shipped layouts of an edition, fixed-width and XML.
pub fn embedded(edition: &str) -> Vec<LayoutFile> {
    embedded_files(edition)
        .map(load_embedded)
        .unwrap_or_default()
}

/// The shipped fixed-width layouts of an edition.
pub fn embedded_fixed(edition: &str) -> Vec<Layout> {
    embedded(edition)
        .into_iter()
        .filter_map(|l| match l {
            LayoutFile::Fixed(l) => Some(l),
            LayoutFile::Xml(_) => None,
        })
        .collect()
}

/// The shipped XML layouts of an edition.
pub fn embedded_xml(edition: &str) -> Vec<XmlLayout> {
    embedded(edition)
        .into_iter()
        .filter_map(|l| match l {
            LayoutFile::Xml(l) => Some(l),
            LayoutFile::Fixed(_) => None,
        })
        .collect()
}

/// The XML layout whose root element and namespace a document has (the first start tag decides; at most the
/// first 64 events are looked at, so this is cheap on any input).
pub fn recognise_xml<'l>(layouts: &'l [XmlLayout], bytes: &[u8]) -> Option<&'l XmlLayout> {
    let (ns, root) = super::xml::read::root_of(bytes)?;
    layouts.iter().find(|l| l.root == root && l.namespace == ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_loads() {
        for edition in ["FOGD-REF-1", "FOGD-REF-2"] {
            for (file, text) in embedded_files(edition).unwrap() {
                let l =
                    LayoutFile::from_toml(text, file).unwrap_or_else(|p| panic!("{file}: {p:#?}"));
                assert_eq!(l.edition(), edition, "{file}");
            }
        }
        assert_eq!(embedded_fixed("FOGD-REF-2").len(), 13);
        for edition in EDITIONS {
            let felkoder = super::super::Felkoder::from_toml(embedded_felkoder(edition).unwrap())
                .unwrap_or_else(|e| panic!("{edition}: {e}"));
            assert_eq!(
                felkoder.get("0005").map(|f| f.text.as_str()),
                Some("Okänd utgåva")
            );
        }
        assert_eq!(embedded_xml("FOGD-REF-2").len(), 4);
        assert!(embedded("FOGD-REF-9").is_empty());
    }

    #[test]
    fn a_file_is_read_with_the_edition_its_head_names() {
        use super::super::{build_file, FileFacts, FileStatus, LayoutSet};
        let sets: Vec<LayoutSet> = EDITIONS
            .iter()
            .filter_map(|e| LayoutSet::embedded_edition(e))
            .collect();
        let facts = FileFacts {
            intressentkod: "DEV".into(),
            lopnummer: 1,
            created: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(3, 4, 5)
                .unwrap(),
            status: FileStatus::Test,
            contact_name: String::new(),
            contact_phone: String::new(),
        };
        let case: crate::domain::Case = serde_json::from_str(
            r#"{"reference":"A","kind":"aterkallelse","intressentkod":"DEV","malnummer":"M-1","date":"2026-01-01","reason":"betald"}"#,
        )
        .unwrap();
        for (i, set) in sets.iter().enumerate() {
            let built = build_file(set, case.kind, std::slice::from_ref(&case), &facts).unwrap();
            let layout = set.recognise(&built.bytes).unwrap();
            assert_eq!(utgava(layout, &built.bytes).as_deref(), Some(EDITIONS[i]));
            // Whichever set is asked first, the file's own edition is chosen.
            let chosen = set_for_file(&sets, &built.bytes).unwrap().unwrap();
            assert_eq!(chosen.edition(), Some(EDITIONS[i]));
            let reversed: Vec<LayoutSet> = sets.iter().rev().cloned().collect();
            let chosen = set_for_file(&reversed, &built.bytes).unwrap().unwrap();
            assert_eq!(chosen.edition(), Some(EDITIONS[i]));
        }
        let mut other = build_file(&sets[1], case.kind, &[case], &facts)
            .unwrap()
            .bytes;
        other[33..43].copy_from_slice(b"FOGD-REF-9");
        assert_eq!(
            set_for_file(&sets, &other).err().as_deref(),
            Some("FOGD-REF-9")
        );
        assert!(matches!(set_for_file(&sets, b"nonsense"), Ok(None)));
    }

    #[test]
    fn xml_documents_are_recognised_by_root_and_namespace() {
        let xml = embedded_xml("FOGD-REF-2");
        let doc = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c --><f:Delredovisning xmlns:f=\"urn:fogd:ref2\"/>";
        assert_eq!(
            recognise_xml(&xml, doc).map(|l| l.name.as_str()),
            Some("delred")
        );
        assert!(recognise_xml(&xml, b"<Delredovisning xmlns=\"urn:other\"/>").is_none());
        assert!(recognise_xml(&xml, b"<Delredovisning/>").is_none());
        assert!(recognise_xml(&xml, b"00DEVANSOKAN").is_none());
    }
}
