//! The generic XML reader: a document → records → fields, by an [`XmlLayout`], streaming and bounded.
//!
//! One pass over quick-xml's events with an explicit stack (no recursion on input): memory is the current record,
//! the element path and at most [`MAX_ERRORS`] errors, besides quick-xml's event buffer, which the layout's
//! `limits.max_bytes` bounds. Structural problems (not well-formed, wrong root or namespace, a missing or
//! unexpected element) stop the reading at once; value problems (a bad amount, a code not in the set) are
//! collected and the reading goes on, so one run names them all. See [`super`] for why what it accepts is what
//! the schema accepts.

use super::layout::XmlLayout;
use super::record::{XmlError, XmlField, XmlParsed, XmlReadError, XmlRecord, XmlSummary};
use super::value::{is_xml_char, is_xml_space, XmlRule};
use crate::formats::parse::MAX_ERRORS;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::io::BufRead;

/// Reads a whole document held in memory, keeping its records and problems.
pub fn parse_xml(layout: &XmlLayout, bytes: &[u8]) -> XmlParsed {
    let mut records = Vec::new();
    let (errors, summary) = read_xml_stream(layout, bytes, |r| records.push(r));
    XmlParsed {
        layout: layout.name.clone(),
        edition: layout.edition.clone(),
        records,
        errors,
        summary,
    }
}

/// Reads a document and gives its records only when it has no problem at all: a document that breaks the mapping
/// (and so the schema, see [`super`]) is refused whole, never half-read.
pub fn read_xml(layout: &XmlLayout, bytes: &[u8]) -> Result<Vec<XmlRecord>, XmlReadError> {
    let parsed = parse_xml(layout, bytes);
    if parsed.errors.is_empty() {
        Ok(parsed.records)
    } else {
        Err(XmlReadError(parsed.errors))
    }
}

/// Streams a document from `reader`, calling `on_record` for each record as it closes; returns the problems and
/// the counts. A caller that applies records as they come must undo them when problems are returned (or read
/// twice: first to check, then to apply) — the document is only good when the list is empty.
pub fn read_xml_stream<R: BufRead>(
    layout: &XmlLayout,
    reader: R,
    on_record: impl FnMut(XmlRecord),
) -> (Vec<XmlError>, XmlSummary) {
    let mut r = Reader::new(layout, reader, on_record);
    r.run();
    let summary = XmlSummary {
        records: r.records,
        entries: r.entries,
        bytes: r.xml.get_ref().consumed,
        errors_suppressed: r.suppressed,
    };
    (r.errors, summary)
}

/// A `BufRead` that counts bytes and lines and refuses to go past `max` bytes.
pub(super) struct Counting<R> {
    inner: R,
    consumed: u64,
    lines: u64,
    max: u64,
    exceeded: bool,
}

impl<R: BufRead> std::io::Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.consumed > self.max {
            self.exceeded = true;
            return Err(std::io::Error::other(
                "the document exceeds limits.max_bytes",
            ));
        }
        let room = usize::try_from(self.max - self.consumed + 1).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        Ok(&buf[..buf.len().min(room)])
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.lines += memchr::memchr_iter(b'\n', &buf[..amt.min(buf.len())]).count() as u64;
        }
        self.inner.consume(amt);
        self.consumed += amt as u64;
    }
}

/// Reading stops at a structural problem.
pub(super) struct Stop;

/// An element's namespace against the layout's.
enum NsCheck {
    Ok,
    Wrong(String),
    Unknown(String),
}

/// An element open on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Open {
    Root,
    Record,
    Container,
    Leaf,
}

pub(super) struct RecordState {
    pub(super) def: usize,
    pub(super) step: usize,
    pub(super) line: u64,
    pub(super) path: String,
    pub(super) fields: Vec<XmlField>,
    /// The leaf being read: its field and its text so far.
    pub(super) leaf: Option<(usize, String)>,
}

pub(super) struct Reader<'l, R, F> {
    pub(super) layout: &'l XmlLayout,
    pub(super) xml: NsReader<Counting<R>>,
    pub(super) on_record: F,
    pub(super) errors: Vec<XmlError>,
    pub(super) suppressed: u64,
    pub(super) records: u64,
    pub(super) entries: u64,
    /// Element kinds and path segments of the open elements.
    pub(super) stack: Vec<(Open, String)>,
    /// Which child record comes next (index into `child`), and how many of it were read.
    pub(super) child: Vec<usize>,
    pub(super) child_pos: usize,
    pub(super) child_count: u64,
    pub(super) record: Option<RecordState>,
    pub(super) seen_root: bool,
    pub(super) root_done: bool,
    pub(super) events: u64,
}

/// An XML name without a prefix (an NCName), as far as the mapping needs: a letter or `_` first, then letters,
/// digits, `_`, `-`, `.`.
pub(super) fn name_ok(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub(super) fn local(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl<'l, R: BufRead, F: FnMut(XmlRecord)> Reader<'l, R, F> {
    fn new(layout: &'l XmlLayout, reader: R, on_record: F) -> Self {
        let mut xml = NsReader::from_reader(Counting {
            inner: reader,
            consumed: 0,
            lines: 0,
            max: layout.limits.max_bytes,
            exceeded: false,
        });
        let cfg = xml.config_mut();
        cfg.expand_empty_elements = true;
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.trim_text_start = false;
        cfg.trim_text_end = false;
        Reader {
            layout,
            xml,
            on_record,
            errors: Vec::new(),
            suppressed: 0,
            records: 0,
            entries: 0,
            stack: Vec::new(),
            child: layout.child_records().map(|(i, _)| i).collect(),
            child_pos: 0,
            child_count: 0,
            record: None,
            seen_root: false,
            root_done: false,
            events: 0,
        }
    }

    pub(super) fn line(&self) -> u64 {
        self.xml.get_ref().lines + 1
    }

    pub(super) fn path(&self) -> String {
        let mut p = String::new();
        for (_, seg) in &self.stack {
            p.push('/');
            p.push_str(seg);
        }
        p
    }

    pub(super) fn push_error(
        &mut self,
        path: String,
        field: Option<String>,
        rule: XmlRule,
        message: String,
    ) {
        if self.errors.len() >= MAX_ERRORS {
            self.suppressed += 1;
            return;
        }
        let record = self
            .record
            .as_ref()
            .and_then(|r| self.layout.records.get(r.def))
            .map(|d| {
                if d.is_root() {
                    self.layout.root.clone()
                } else {
                    d.element.clone()
                }
            });
        self.errors.push(XmlError {
            line: Some(self.line()),
            path,
            record,
            field,
            rule,
            message,
        });
    }

    /// Records a structural problem at the current path and stops.
    pub(super) fn stop(&mut self, rule: XmlRule, message: String) -> Stop {
        let path = self.path();
        self.push_error(path, None, rule, message);
        Stop
    }

    fn run(&mut self) {
        // UTF-16 (by its byte order mark) is refused before quick-xml sees it; the documents are UTF-8.
        if let Ok(b) = self.xml.get_mut().inner.fill_buf() {
            if b.starts_with(&[0xFE, 0xFF]) || b.starts_with(&[0xFF, 0xFE]) {
                let _ = self.stop(
                    XmlRule::Encoding,
                    "the document is UTF-16; FOGD-REF-2 documents are UTF-8".into(),
                );
                return;
            }
        }
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match self.step(&mut buf) {
                Ok(true) => {}
                Ok(false) | Err(Stop) => return,
            }
        }
    }

    /// Handles one event; `Ok(false)` at the end of the document.
    fn step(&mut self, buf: &mut Vec<u8>) -> Result<bool, Stop> {
        let event = self.xml.read_resolved_event_into(buf);
        let first = self.events == 0;
        self.events += 1;
        let (ns, event) = match event {
            Ok((ns, event)) => {
                // Owned, so that the reader is free again (the resolution borrows it).
                let ns = match ns {
                    ResolveResult::Bound(n) if n.as_ref() == self.layout.namespace.as_bytes() => {
                        NsCheck::Ok
                    }
                    ResolveResult::Bound(n) => NsCheck::Wrong(local(n.as_ref())),
                    ResolveResult::Unbound if self.layout.namespace.is_empty() => NsCheck::Ok,
                    ResolveResult::Unbound => NsCheck::Wrong(String::new()),
                    ResolveResult::Unknown(p) => NsCheck::Unknown(local(&p)),
                };
                (ns, event)
            }
            Err(e) => {
                return Err(if self.xml.get_ref().exceeded {
                    self.stop(
                        XmlRule::Limit,
                        format!(
                            "the document is longer than limits.max_bytes ({} bytes)",
                            self.layout.limits.max_bytes
                        ),
                    )
                } else {
                    let rule = match e {
                        quick_xml::Error::Encoding(_) => XmlRule::Encoding,
                        _ => XmlRule::Syntax,
                    };
                    self.stop(rule, format!("not well-formed XML: {e}"))
                })
            }
        };
        match event {
            Event::Start(e) => {
                let (ns_ok, found_ns) = match ns {
                    NsCheck::Ok => (true, String::new()),
                    NsCheck::Wrong(n) => (false, n),
                    NsCheck::Unknown(p) => {
                        return Err(
                            self.stop(XmlRule::Syntax, format!("the prefix {p:?} is not declared"))
                        )
                    }
                };
                self.start(&e, ns_ok, &found_ns)?;
            }
            Event::End(_) => self.end()?,
            Event::Empty(_) => {
                // expand_empty_elements turns these into Start + End.
            }
            Event::Text(t) => {
                let text = match t.unescape() {
                    Ok(s) => s.into_owned(),
                    Err(e) => {
                        return Err(self.stop(XmlRule::Syntax, format!("not well-formed XML: {e}")))
                    }
                };
                self.text(&text, false)?;
            }
            Event::CData(c) => {
                let text = match std::str::from_utf8(&c) {
                    Ok(s) => s.to_string(),
                    Err(_) => {
                        return Err(
                            self.stop(XmlRule::Encoding, "a CDATA section is not UTF-8".into())
                        )
                    }
                };
                self.text(&text, true)?;
            }
            Event::Comment(c) => {
                if !std::str::from_utf8(&c).is_ok_and(|s| s.chars().all(is_xml_char)) {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        "a comment holds bytes that are not XML characters in UTF-8".into(),
                    ));
                }
            }
            Event::PI(p) => {
                if p.target().eq_ignore_ascii_case(b"xml") {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        "an XML declaration that is not at the start of the document".into(),
                    ));
                }
                if !std::str::from_utf8(p.content()).is_ok_and(|s| s.chars().all(is_xml_char)) {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        "a processing instruction holds bytes that are not XML characters in UTF-8"
                            .into(),
                    ));
                }
            }
            Event::Decl(d) => {
                if !first {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        "an XML declaration that is not at the start of the document".into(),
                    ));
                }
                if !d.version().is_ok_and(|v| v.as_ref() == b"1.0") {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        "the XML declaration does not say version=\"1.0\"".into(),
                    ));
                }
                match d.encoding() {
                    None => {}
                    Some(Ok(enc)) if enc.eq_ignore_ascii_case(b"UTF-8") => {}
                    Some(Ok(enc)) => {
                        return Err(self.stop(
                            XmlRule::Encoding,
                            format!("encoding {:?}: FOGD-REF-2 documents are UTF-8", local(&enc)),
                        ))
                    }
                    Some(Err(e)) => {
                        return Err(self.stop(XmlRule::Syntax, format!("not well-formed XML: {e}")))
                    }
                }
            }
            Event::DocType(_) => {
                return Err(self.stop(
                    XmlRule::Doctype,
                    "a document type declaration is not accepted (FOGD-REF-2 documents have none)"
                        .into(),
                ))
            }
            Event::Eof => {
                if !self.seen_root {
                    return Err(
                        self.stop(XmlRule::Syntax, "the document has no root element".into())
                    );
                }
                if !self.root_done {
                    let open = self.path();
                    return Err(self.stop(
                        XmlRule::Syntax,
                        format!("the document ends inside {open} (truncated?)"),
                    ));
                }
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn text(&mut self, text: &str, cdata: bool) -> Result<(), Stop> {
        if let Some((_, buf)) = self.record.as_mut().and_then(|r| r.leaf.as_mut()) {
            if buf.len() + text.len() > self.layout.limits.max_bytes as usize {
                return Err(self.stop(
                    XmlRule::Limit,
                    "a value longer than limits.max_bytes".into(),
                ));
            }
            buf.push_str(text);
            return Ok(());
        }
        let blank = text.chars().all(is_xml_space);
        if self.stack.is_empty() {
            if !blank || cdata {
                let what = if self.root_done { "after" } else { "before" };
                return Err(self.stop(XmlRule::Syntax, format!("text {what} the root element")));
            }
            return Ok(());
        }
        if !blank {
            let shown: String = text.trim_matches(is_xml_space).chars().take(40).collect();
            let path = self.path();
            self.push_error(
                path,
                None,
                XmlRule::TextContent,
                format!("text {shown:?} where only elements may stand"),
            );
        }
        Ok(())
    }
}

/// The namespace and local name of a document's root element, from its first start tag (at most 64 events are
/// read; `None` for anything that is not XML up to there).
pub fn root_of(bytes: &[u8]) -> Option<(String, String)> {
    let mut r = NsReader::from_reader(bytes);
    let mut buf = Vec::new();
    for _ in 0..64 {
        buf.clear();
        match r.read_resolved_event_into(&mut buf).ok()? {
            (ns, Event::Start(e) | Event::Empty(e)) => {
                let ns = match ns {
                    ResolveResult::Bound(n) => local(n.as_ref()),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(_) => return None,
                };
                return Some((ns, local(e.local_name().as_ref())));
            }
            (_, Event::Eof) => return None,
            _ => {}
        }
    }
    None
}
