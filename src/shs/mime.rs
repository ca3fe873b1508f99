//! The SHS message: one MIME `multipart/mixed` entity with its own top-level headers, the label first, then the
//! data parts in label order (shs.md §3).
//!
//! Writing uses CRLF, `Content-Transfer-Encoding: binary` and an unguessable boundary (122 random bits), and can
//! stream data parts from files so that memory does not grow with the body. Reading is tolerant (LF-only input,
//! folded headers, unquoted or oddly cased parameters, `binary`/`7bit`/`8bit`/`base64`/`quoted-printable` parts,
//! missing file names, a label whose MIME charset disagrees with its XML declaration) but refuses truncated input
//! (no closing boundary) with a clear error. Binary parts are zero-copy slices of the input.
//!
//! Hand-written on purpose, after looking at the crates: `multer` reads `multipart/form-data` (RFC 7578 fields
//! named by `Content-Disposition: form-data`), not the `multipart/mixed` SHS sends; `mailparse` reads mail
//! messages but copies and decodes every body into its own buffer (memory grows with the file); `lettre`'s and `mail-builder`'s writers build e-mail (line folding, base64 for
//! binary) and cannot stream a part from a file.
//! The tolerance list above is what SHS peers send; the tests below and tests/shs_conformance.rs cover it.

use super::label::{DataRef, Label};
use super::xml::DocError;
use base64::Engine;
use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use std::path::PathBuf;

/// Why a MIME body is not an SHS message.
#[derive(Debug, thiserror::Error)]
pub enum MimeError {
    /// The top-level headers are missing or not `multipart/*` with a boundary.
    #[error("SHS message: {0}")]
    Headers(String),
    /// The body ends before the closing boundary (`--boundary--`).
    #[error("SHS message is truncated: {0}")]
    Truncated(String),
    /// Parts are missing or in the wrong form.
    #[error("SHS message structure: {0}")]
    Structure(String),
    /// The label part is not a valid `shs.label`.
    #[error("SHS message label: {0}")]
    Label(#[from] DocError),
    /// A data part's transfer encoding could not be decoded.
    #[error("SHS message part {part}: {message}")]
    PartContent {
        /// 1-based part number (the label is part 1).
        part: usize,
        /// What is wrong.
        message: String,
    },
    /// A file part could not be read.
    #[error("SHS message part file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl MimeError {
    /// The SHS error code a node answers with for this fault.
    pub fn shs_code(&self) -> super::ShsErrorCode {
        match self {
            MimeError::PartContent { .. } => super::ShsErrorCode::IllegalDatapartContent,
            _ => super::ShsErrorCode::IllegalMessageStructure,
        }
    }
}

/// The bytes of a data part: in memory, or a file streamed when the message is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartBody {
    /// In memory.
    Bytes(Bytes),
    /// A file of known length, read while writing (the length is taken when the part is made).
    File {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
    },
}

impl PartBody {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            PartBody::Bytes(b) => b.len() as u64,
            PartBody::File { len, .. } => *len,
        }
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One data part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPart {
    /// The label's `datapartType` for this part.
    pub datapart_type: String,
    /// File name (label `filename`, MIME `filename`/`name`).
    pub filename: Option<String>,
    /// MIME content type without the `name` parameter, e.g. `text/plain; charset=ISO-8859-1`.
    pub content_type: String,
    /// The decoded bytes.
    pub body: PartBody,
}

impl DataPart {
    /// An in-memory part.
    pub fn new(
        datapart_type: &str,
        filename: Option<&str>,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> Self {
        Self {
            datapart_type: datapart_type.into(),
            filename: filename.map(str::to_string),
            content_type: content_type.into(),
            body: PartBody::Bytes(bytes.into()),
        }
    }

    /// A part streamed from a file when written (its length is read now).
    pub fn from_file(
        datapart_type: &str,
        filename: Option<&str>,
        content_type: &str,
        path: impl Into<PathBuf>,
    ) -> Result<Self, MimeError> {
        let path = path.into();
        let len = std::fs::metadata(&path)
            .map_err(|source| MimeError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        Ok(Self {
            datapart_type: datapart_type.into(),
            filename: filename.map(str::to_string),
            content_type: content_type.into(),
            body: PartBody::File { path, len },
        })
    }

    /// The bytes, when in memory.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.body {
            PartBody::Bytes(b) => Some(b),
            PartBody::File { .. } => None,
        }
    }
}

/// An SHS message: label plus data parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShsMessage {
    /// The label. On write, its `content/data` is rebuilt from `parts`.
    pub label: Label,
    /// The data parts, in label order.
    pub parts: Vec<DataPart>,
}

/// A piece of a written message.
enum Segment {
    Mem(Bytes),
    File(PathBuf, u64),
}

const CHUNK: usize = 256 * 1024;

impl ShsMessage {
    /// A message from a label and parts; the label's `content/data` is set from the parts.
    pub fn new(label: Label, parts: Vec<DataPart>) -> Self {
        let mut m = Self { label, parts };
        m.sync_label();
        m
    }

    /// Rebuilds `label.data` from the parts (type, file name, byte count), as Axel does when writing.
    pub fn sync_label(&mut self) {
        self.label.data = self
            .parts
            .iter()
            .map(|p| DataRef {
                datapart_type: p.datapart_type.clone(),
                filename: p.filename.clone(),
                no_of_bytes: Some(p.body.len()),
                no_of_records: None,
            })
            .collect();
    }

    fn segments(&self) -> (String, Vec<Segment>) {
        let boundary = format!("----=_fogd_{}", uuid::Uuid::new_v4().simple());
        let mut label = self.label.clone();
        label.data = self
            .parts
            .iter()
            .zip(
                self.label
                    .data
                    .iter()
                    .map(Some)
                    .chain(std::iter::repeat(None)),
            )
            .map(|(p, d)| DataRef {
                datapart_type: p.datapart_type.clone(),
                filename: p.filename.clone(),
                no_of_bytes: Some(p.body.len()),
                no_of_records: d.and_then(|d| d.no_of_records),
            })
            .collect();
        let mut segs = Vec::new();
        let head = format!(
            "MIME-Version: 1.0\r\nSubject: SHS Message\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\
             Content-Transfer-Encoding: binary\r\n\r\n--{boundary}\r\nContent-Type: text/xml; charset=ISO-8859-1\r\n\
             Content-Transfer-Encoding: binary\r\n\r\n"
        );
        segs.push(Segment::Mem(Bytes::from(head)));
        segs.push(Segment::Mem(Bytes::from(label.to_xml())));
        for p in &self.parts {
            let mut h = format!("\r\n--{boundary}\r\nContent-Type: ");
            let ct = if p.content_type.trim().is_empty() {
                "application/octet-stream"
            } else {
                p.content_type.trim()
            };
            h.push_str(ct);
            if let Some(f) = &p.filename {
                h.push_str("; name=");
                h.push_str(&param_value(f));
            }
            h.push_str("\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment");
            if let Some(f) = &p.filename {
                h.push_str("; filename=");
                h.push_str(&param_value(f));
            }
            h.push_str("\r\n\r\n");
            segs.push(Segment::Mem(Bytes::from(super::xml::to_latin1(&h))));
            match &p.body {
                PartBody::Bytes(b) => segs.push(Segment::Mem(b.clone())),
                PartBody::File { path, len } => segs.push(Segment::File(path.clone(), *len)),
            }
        }
        segs.push(Segment::Mem(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
        (boundary, segs)
    }

    /// The length in bytes of the written message (it depends only on the parts, not the random boundary).
    pub fn encoded_len(&self) -> u64 {
        let (_, segs) = self.segments();
        segs.iter()
            .map(|s| match s {
                Segment::Mem(b) => b.len() as u64,
                Segment::File(_, l) => *l,
            })
            .sum()
    }

    /// Writes the whole message into memory (file parts are read).
    pub fn to_bytes(&self) -> Result<Vec<u8>, MimeError> {
        let (_, segs) = self.segments();
        let mut out = Vec::new();
        for s in segs {
            match s {
                Segment::Mem(b) => out.extend_from_slice(&b),
                Segment::File(path, _) => {
                    let b =
                        std::fs::read(&path).map_err(|source| MimeError::Io { path, source })?;
                    out.extend_from_slice(&b);
                }
            }
        }
        Ok(out)
    }

    /// Writes the message as a stream of chunks (file parts are read in 256 KiB pieces), and returns it with its
    /// total length. Memory use does not depend on the size of file parts.
    pub fn into_stream(
        &self,
    ) -> (
        u64,
        impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) {
        let len = self.encoded_len();
        let (_, segs) = self.segments();
        let s = stream::iter(segs).flat_map(|seg| match seg {
            Segment::Mem(b) => stream::once(async move { Ok(b) }).boxed(),
            Segment::File(path, _) => {
                stream::once(async move { tokio::fs::File::open(path).await })
                    .map(|f| match f {
                        Ok(f) => tokio_util::io::ReaderStream::with_capacity(f, CHUNK).boxed(),
                        Err(e) => stream::once(async move { Err(e) }).boxed(),
                    })
                    .flatten()
                    .boxed()
            }
        });
        (len, s)
    }

    /// Parses a message tolerantly (see the module doc). Binary parts share `input`'s memory.
    pub fn parse(input: Bytes) -> Result<ShsMessage, MimeError> {
        let (headers, body_start) = read_headers(&input, 0).ok_or_else(|| {
            MimeError::Headers("no blank line after the top-level headers".into())
        })?;
        let ct = header(&headers, "content-type")
            .ok_or_else(|| MimeError::Headers("no Content-Type header".into()))?;
        if !ct
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
        {
            return Err(MimeError::Headers(format!(
                "Content-Type {ct:?} is not multipart"
            )));
        }
        let boundary = param(&ct, "boundary")
            .filter(|b| !b.is_empty())
            .ok_or_else(|| MimeError::Headers(format!("Content-Type {ct:?} has no boundary")))?;
        let raw_parts = split_parts(&input, body_start, boundary.as_bytes())?;
        if raw_parts.len() < 2 {
            return Err(MimeError::Structure(format!(
                "{} part(s); an SHS message needs a label and at least one data part",
                raw_parts.len()
            )));
        }
        let mut decoded = Vec::with_capacity(raw_parts.len());
        for (i, (start, end)) in raw_parts.iter().enumerate() {
            let (h, body_at) = read_headers(&input, *start)
                .filter(|(_, b)| *b <= *end)
                .unwrap_or((Vec::new(), *start));
            let body = input.slice(body_at.min(*end)..*end);
            let cte = header(&h, "content-transfer-encoding").unwrap_or_default();
            let body = decode_transfer(&cte, body).map_err(|message| MimeError::PartContent {
                part: i + 1,
                message,
            })?;
            decoded.push((h, body));
        }
        let mut it = decoded.into_iter();
        let (lh, lbody) = it
            .next()
            .ok_or_else(|| MimeError::Structure("no label part".into()))?;
        let lct = header(&lh, "content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !lct.contains("xml") {
            return Err(MimeError::Structure(format!(
                "the first part must be the text/xml label, found Content-Type {lct:?}"
            )));
        }
        let label = Label::parse(&lbody)?;
        let rest: Vec<_> = it.collect();
        let wanted = if label.data.is_empty() {
            rest.len()
        } else {
            label.data.len()
        };
        if rest.len() < wanted {
            return Err(MimeError::Structure(format!(
                "the label lists {wanted} data part(s) but the message has {}",
                rest.len()
            )));
        }
        let mut parts = Vec::with_capacity(wanted);
        for (i, (h, body)) in rest.into_iter().take(wanted).enumerate() {
            let ct_full = header(&h, "content-type").unwrap_or_else(|| "text/plain".into());
            let disp = header(&h, "content-disposition").unwrap_or_default();
            let dref = label.data.get(i);
            let filename = param(&disp, "filename")
                .or_else(|| param(&ct_full, "name"))
                .filter(|s| !s.is_empty())
                .or_else(|| dref.and_then(|d| d.filename.clone()));
            parts.push(DataPart {
                datapart_type: dref.map(|d| d.datapart_type.clone()).unwrap_or_default(),
                filename,
                content_type: strip_param(&ct_full, "name"),
                body: PartBody::Bytes(body),
            });
        }
        Ok(ShsMessage { label, parts })
    }
}

fn param_value(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) || !c.is_ascii())
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Reads headers from `at`: returns (name-lowercase, value) pairs (folded lines joined, Latin-1 decoded) and the
/// offset of the body (after the blank line). `None` when there is no blank line.
fn read_headers(input: &[u8], at: usize) -> Option<(Vec<(String, String)>, usize)> {
    let mut pos = at;
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        let nl = memchr::memchr(b'\n', input.get(pos..)?)? + pos;
        let mut line = &input[pos..nl];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        pos = nl + 1;
        if line.is_empty() {
            return Some((out, pos));
        }
        let text: String = line.iter().map(|&b| b as char).collect();
        if text.starts_with(' ') || text.starts_with('\t') {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
            continue;
        }
        if let Some((k, v)) = text.split_once(':') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

fn header(h: &[(String, String)], name: &str) -> Option<String> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A parameter of a structured header value (`a/b; name=value; x="y"`), name compared without case; quotes and
/// backslash escapes removed; unquoted values end at `;`.
pub(crate) fn param(value: &str, name: &str) -> Option<String> {
    let mut rest = value;
    while let Some(i) = rest.find(';') {
        rest = &rest[i + 1..];
        let trimmed = rest.trim_start();
        let Some(eq) = trimmed.find('=') else {
            continue;
        };
        let key = trimmed[..eq].trim();
        let after = trimmed[eq + 1..].trim_start();
        let (val, remaining) = if let Some(q) = after.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((j, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = j + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            (v, &q[end.min(q.len())..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(val);
        }
        rest = remaining;
    }
    None
}

fn strip_param(value: &str, name: &str) -> String {
    value
        .split(';')
        .filter(|p| {
            p.split_once('=')
                .map(|(k, _)| !k.trim().eq_ignore_ascii_case(name))
                .unwrap_or(true)
        })
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Finds the parts between `--boundary` delimiter lines; returns (start, end) of each part (headers + body, the
/// line break before the next delimiter excluded). Errors when the closing delimiter is missing.
fn split_parts(
    input: &[u8],
    from: usize,
    boundary: &[u8],
) -> Result<Vec<(usize, usize)>, MimeError> {
    let mut delim = Vec::with_capacity(boundary.len() + 2);
    delim.extend_from_slice(b"--");
    delim.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&delim);
    // Positions of delimiters that start a line.
    let mut search = from;
    let mut line_delims = Vec::new();
    let mut closed = false;
    while let Some(off) = finder.find(input.get(search..).unwrap_or(&[])) {
        let at = search + off;
        search = at + delim.len();
        if at != from && input.get(at.wrapping_sub(1)) != Some(&b'\n') {
            continue;
        }
        let after = input.get(at + delim.len()..).unwrap_or(&[]);
        let is_close = after.starts_with(b"--");
        // Line end after the delimiter (transport padding allowed).
        let eol = memchr::memchr(b'\n', after).map(|i| at + delim.len() + i + 1);
        line_delims.push((at, eol, is_close));
        if is_close {
            closed = true;
            break;
        }
    }
    if line_delims.is_empty() {
        return Err(MimeError::Structure(
            "no boundary delimiter found in the body".into(),
        ));
    }
    if !closed {
        return Err(MimeError::Truncated(format!(
            "no closing delimiter --{}-- (the body ends after {} byte(s))",
            String::from_utf8_lossy(boundary),
            input.len()
        )));
    }
    let mut parts = Vec::new();
    for w in line_delims.windows(2) {
        let (_, eol, _) = w[0];
        let (next_at, _, _) = w[1];
        let start =
            eol.ok_or_else(|| MimeError::Truncated("delimiter line without line end".into()))?;
        let mut end = next_at.saturating_sub(1); // drop '\n'
        if end > start && input.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        parts.push((start, end.max(start)));
    }
    Ok(parts)
}

fn decode_transfer(cte: &str, body: Bytes) -> Result<Bytes, String> {
    match cte.trim().to_ascii_lowercase().as_str() {
        "" | "binary" | "7bit" | "8bit" => Ok(body),
        "base64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(&clean)
                .map(Bytes::from)
                .map_err(|e| format!("bad base64: {e}"))
        }
        "quoted-printable" => decode_qp(&body).map(Bytes::from),
        other => Err(format!("unsupported Content-Transfer-Encoding {other:?}")),
    }
}

fn decode_qp(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'=' {
            let rest = &input[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            let hex = rest
                .get(..2)
                .ok_or("quoted-printable: '=' at end of input")?;
            let s = std::str::from_utf8(hex).map_err(|_| "quoted-printable: bad escape")?;
            let v = u8::from_str_radix(s, 16)
                .map_err(|_| format!("quoted-printable: bad escape ={s}"))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shs::label::{Address, Status};

    fn msg() -> ShsMessage {
        let at = crate::shs::parse_time("2024-05-02T10:15:00").unwrap();
        let label = Label::new_event(
            Address::new("5599999991", Some("Utvecklings Inkasso AB")),
            Address::new("2021000001", None),
            "4d3faf08-f636-5b40-ba0d-742e5f17d771",
            Status::Test,
            at,
        );
        ShsMessage::new(
            label,
            vec![
                DataPart::new(
                    "transaktionsfil",
                    Some("DEV.ANSOKAN"),
                    "text/plain; charset=ISO-8859-1",
                    &b"rad 1\r\n--x\r\n\xe5"[..],
                ),
                DataPart::new(
                    "missiv",
                    Some("DEV.ANSOKAN.MISSIV"),
                    "text/plain; charset=ISO-8859-1",
                    &b"missiv"[..],
                ),
            ],
        )
    }

    #[test]
    fn write_parse_round_trip() {
        let m = msg();
        let bytes = m.to_bytes().unwrap();
        assert_eq!(bytes.len() as u64, m.encoded_len());
        let back = ShsMessage::parse(Bytes::from(bytes.clone())).unwrap();
        assert_eq!(back.label, m.label);
        assert_eq!(back.parts, m.parts);
        // CRLF only
        let text = String::from_utf8_lossy(&bytes);
        let head = text.split("<?xml").next().unwrap();
        assert!(!head.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn boundaries_differ() {
        let a = msg().to_bytes().unwrap();
        let b = msg().to_bytes().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn lf_only_and_encodings() {
        let raw = "MIME-Version: 1.0\nContent-Type: Multipart/Mixed;\n\tBOUNDARY=abc\n\n--abc\nContent-Type: text/xml\n\n\
<shs.label tx.id=\"t\" sequence-type=\"event\"><from commonName=\"\">urn:X-shs:5599999991</from><product>p</product><content content.id=\"c\"><data datapartType=\"a\"/><data datapartType=\"b\"/><data datapartType=\"c\"/></content></shs.label>\n\
--abc\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVq\nIGTl\n--abc\nContent-Transfer-Encoding: Quoted-Printable\nContent-Disposition: attachment; filename=\"a b.txt\"\n\nh=E5r=\n ok\n--abc\nContent-Type: text/plain\n\n\n--abc--\n";
        let m = ShsMessage::parse(Bytes::from(raw.as_bytes().to_vec())).unwrap();
        assert_eq!(m.parts.len(), 3);
        assert_eq!(m.parts[0].bytes().unwrap().as_ref(), b"hej d\xe5");
        assert_eq!(m.parts[1].bytes().unwrap().as_ref(), b"h\xe5r ok");
        assert_eq!(m.parts[1].filename.as_deref(), Some("a b.txt"));
        assert_eq!(m.parts[2].bytes().unwrap().as_ref(), b"");
        assert_eq!(m.parts[0].datapart_type, "a");
    }

    #[test]
    fn truncated_is_refused() {
        let bytes = msg().to_bytes().unwrap();
        for cut in [bytes.len() - 5, bytes.len() / 2, 300] {
            let e = ShsMessage::parse(Bytes::from(bytes[..cut].to_vec())).unwrap_err();
            assert!(
                matches!(
                    e,
                    MimeError::Truncated(_) | MimeError::Structure(_) | MimeError::Headers(_)
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn params() {
        assert_eq!(
            param("a/b; boundary=\"x;y\"; name=z", "BOUNDARY").as_deref(),
            Some("x;y")
        );
        assert_eq!(param("a/b;name=z ;q=1", "name").as_deref(), Some("z"));
        assert_eq!(param("attachment", "filename"), None);
        assert_eq!(
            strip_param("text/plain; charset=us-ascii; name=t.txt", "name"),
            "text/plain; charset=us-ascii"
        );
    }

    #[tokio::test]
    async fn stream_matches_bytes_and_streams_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.bin");
        let data: Vec<u8> = (0..(CHUNK * 3 + 17)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let mut m = msg();
        m.parts[0] = DataPart::from_file(
            "transaktionsfil",
            Some("big.bin"),
            "application/octet-stream",
            &p,
        )
        .unwrap();
        m.sync_label();
        let (len, s) = m.into_stream();
        let chunks: Vec<Bytes> = s.map(|c| c.unwrap()).collect().await;
        assert!(chunks.iter().all(|c| c.len() <= CHUNK));
        let all: Vec<u8> = chunks.concat();
        assert_eq!(all.len() as u64, len);
        let back = ShsMessage::parse(Bytes::from(all)).unwrap();
        assert_eq!(back.parts[0].bytes().unwrap().as_ref(), &data[..]);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::shs::label::{Address, Status};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_parts_round_trip(
            parts in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..300), "[a-zA-Z0-9åäö._ -]{0,20}"), 1..4),
            subject in "\\PC{0,30}",
        ) {
            let at = crate::shs::parse_time("2024-05-02T10:15:00").unwrap();
            let mut label = Label::new_event(Address::new("5599999991", Some("A & B")), Address::new("2021000001", None), "p", Status::Test, at);
            label.subject = Some(subject);
            let parts: Vec<DataPart> = parts.into_iter().map(|(b, name)| {
                let name = if name.trim().is_empty() { None } else { Some(name.trim().to_string()) };
                DataPart::new("t", name.as_deref(), "application/octet-stream", b)
            }).collect();
            let m = ShsMessage::new(label, parts);
            let back = ShsMessage::parse(Bytes::from(m.to_bytes().unwrap())).unwrap();
            // Characters outside Latin-1 come back as themselves via character references.
            prop_assert_eq!(back.parts, m.parts);
            prop_assert_eq!(back.label, m.label);
        }
    }
}
