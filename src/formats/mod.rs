//! Kronofogden's file formats as data (kronofogden.md §2–3): pure codecs, no I/O.
//!
//! - [`layout`]: the layout model, loader and checker; [`LayoutSet`] holds an edition's embedded layouts
//!   (`layouts/fogd-ref-1/*.toml`, `layouts/fogd-ref-2/*.toml`) and overrides from a configured directory (the caller reads the files).
//! - [`source`]: the one vocabulary between layout fields and domain values.
//! - [`codec`]: field encoding/decoding per kind (C/A/N/B/D/T/K), Latin-1 by code point, allowed characters.
//! - [`build`]: cases + [`FileFacts`] → transaction file and missiv ([`build_file`]).
//! - [`parse`]: any layout's bytes → records → fields with every problem located ([`parse_file`],
//!   streaming [`parse_reader`]).
//! - [`read`]: cases back from a file ([`read_cases`]) and the missiv cross-check ([`check_missiv`]).
//! - [`inbound`]: kvittens, bekräftelse and utslag report (build and parse), inbound names and routing.
//! - [`felkod`]: parse-error classes and the felkod table (data).
//! - [`xml`]: XML documents as layouts (FOGD-REF-2 §3.2): the XML layout model, the streaming bounded reader and the
//!   builder.
//! - [`edition`]: layout files of either kind ([`LayoutFile`]) and the files shipped per edition.
//! - [`layout_doc`]: record tables as Markdown (`fogd layout doc`).
//!
//! Never imports `shs`, `store`, `engine`, `api`, `sim` or `cli`.

pub mod build;
pub mod codec;
pub mod edition;
pub mod felkod;
pub mod inbound;
pub mod layout;
pub mod layout_doc;
pub mod names;
pub mod parse;
pub mod read;
pub mod ref2_inbound;
pub mod source;
pub mod xml;

pub use build::{
    build_file, build_missiv, build_transaction, wrap_text, BuildError, BuiltFile, FileFacts,
    FileStatus,
};
pub use edition::LayoutFile;
pub use felkod::{ErrorClass, Felkod, Felkoder, Level};
pub use inbound::{
    bekraftelse_file_name, classify_inbound, kvittens_file_name, rejection_text, utslag_file_name,
    Bekraftelse, BekraftelseEntry, BekraftelseTyp, Beslutstyp, Decision, InboundFile, InboundKind,
    Kvittens, KvittensError, KvittensStatus, Niva, Rejection, UtslagReport,
};
pub use layout::{
    FieldDef, FieldKind, Layout, LayoutProblem, LayoutRole, LayoutSet, LayoutSetError, LineEnding,
    RecordDef, Scope,
};
pub use parse::{parse_file, parse_reader, ParseError, ParseSummary, ParsedFile, ParsedRecord};
pub use read::{check_missiv, read_cases, read_cases_with, ReadError};
pub use source::Source;
