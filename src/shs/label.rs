//! The `shs.label` document (shs.md §2, DTD `shs-label-1.2.dtd`): written as ISO-8859-1 with the DOCTYPE, no
//! `standalone`, children in DTD order; read tolerantly (charset from the declaration, date-only `datetime`, URN
//! prefix in any case, 1.1-style `uuid` for `content.id`).

use super::xml::{self, DocError, Element};
use super::{format_time, parse_time, strip_urn, to_urn};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

const DOC: &str = "shs.label";

/// `transfer-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransferType {
    /// Asynchronous (the default; what Kronofogden's file services use).
    #[default]
    Asynch,
    /// Synchronous request/reply.
    Synch,
}

/// `sequence-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SequenceType {
    /// A one-way event (fogd's outbound files).
    #[default]
    Event,
    /// A request.
    Request,
    /// A reply.
    Reply,
    /// An administrative message (confirm / error).
    Adm,
}

/// `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Test traffic.
    Test,
    /// Production traffic (the DTD default).
    #[default]
    Production,
}

impl TransferType {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asynch => "asynch",
            Self::Synch => "synch",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "asynch" => Some(Self::Asynch),
            "synch" => Some(Self::Synch),
            _ => None,
        }
    }
}

impl SequenceType {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Request => "request",
            Self::Reply => "reply",
            Self::Adm => "adm",
        }
    }
    /// Parses a wire value (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "event" => Some(Self::Event),
            "request" => Some(Self::Request),
            "reply" => Some(Self::Reply),
            "adm" => Some(Self::Adm),
            _ => None,
        }
    }
}

impl Status {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Production => "production",
        }
    }
    /// Parses a wire value (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "test" => Some(Self::Test),
            "production" => Some(Self::Production),
            _ => None,
        }
    }
}

/// An address element with its optional display attributes (`originator`, `from`, `to`, `end-recipient`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// The value as written (URN form when fogd writes it).
    pub value: String,
    /// `commonName` (from/to) or `name` (originator/end-recipient).
    pub name: Option<String>,
}

impl Address {
    /// An address in URN form with a display name.
    pub fn new(value: &str, name: Option<&str>) -> Self {
        Self {
            value: to_urn(value),
            name: name.map(str::to_string),
        }
    }
    /// The value without URN prefix.
    pub fn plain(&self) -> &str {
        strip_urn(&self.value)
    }
}

/// One `content/data` entry: describes one data part, in part order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DataRef {
    /// `datapartType` (required).
    pub datapart_type: String,
    /// `filename`.
    pub filename: Option<String>,
    /// `no-of-bytes`.
    pub no_of_bytes: Option<u64>,
    /// `no-of-records`.
    pub no_of_records: Option<u64>,
}

impl DataRef {
    /// Writes this reference as an empty `<data …/>` element (the same element in a label and in a message list).
    pub(crate) fn push_xml(&self, o: &mut String, indent: &str) {
        o.push_str(indent);
        o.push_str("<data");
        xml::push_attr(o, "datapartType", Some(&self.datapart_type));
        xml::push_attr(o, "filename", self.filename.as_deref());
        xml::push_attr(
            o,
            "no-of-bytes",
            self.no_of_bytes.map(|n| n.to_string()).as_deref(),
        );
        xml::push_attr(
            o,
            "no-of-records",
            self.no_of_records.map(|n| n.to_string()).as_deref(),
        );
        o.push_str("/>\n");
    }
}

/// One `history` entry (nodes add one when a message arrives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct History {
    /// `node.id` (required).
    pub node_id: String,
    /// `content.id`.
    pub content_id: Option<String>,
    /// `tx.id`.
    pub tx_id: Option<String>,
    /// `from`.
    pub from: Option<String>,
    /// `to`.
    pub to: Option<String>,
    /// `local.id`.
    pub local_id: Option<String>,
    /// `shs.agreement`.
    pub shs_agreement: Option<String>,
    /// `datetime`.
    pub datetime: Option<NaiveDateTime>,
    /// `comment`.
    pub comment: Option<String>,
}

/// The SHS label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// `tx.id`: the transaction id (a UUID when fogd writes it).
    pub tx_id: String,
    /// `corr.id`: correlation id (defaults to the `tx.id`).
    pub corr_id: String,
    /// `shs.agreement`.
    pub shs_agreement: Option<String>,
    /// `transfer-type`.
    pub transfer_type: TransferType,
    /// `message-type` (`simple` | `compound`).
    pub message_type: String,
    /// `document-type` (`simple` | `compound`).
    pub document_type: String,
    /// `sequence-type`.
    pub sequence_type: SequenceType,
    /// `status`.
    pub status: Status,
    /// `originator`.
    pub originator: Option<Address>,
    /// `from` (the DTD requires `commonName`; fogd writes an empty one when there is no name).
    pub from: Option<Address>,
    /// `to`.
    pub to: Option<Address>,
    /// `end-recipient`.
    pub end_recipient: Option<Address>,
    /// `product` value (URN form when written by fogd).
    pub product: String,
    /// `product/@commonName`.
    pub product_name: Option<String>,
    /// `meta` entries (name, value).
    pub meta: Vec<(String, String)>,
    /// `subject`.
    pub subject: Option<String>,
    /// `datetime` (required by the DTD; missing on read becomes `None`).
    pub datetime: Option<NaiveDateTime>,
    /// `content/@content.id`.
    pub content_id: String,
    /// `content/data`, in data-part order.
    pub data: Vec<DataRef>,
    /// `content/comment`.
    pub comment: Option<String>,
    /// `history` entries.
    pub history: Vec<History>,
}

impl Label {
    /// A new asynchronous event label with fresh UUIDs: `corr.id` = `tx.id`, a new `content.id`.
    pub fn new_event(
        from: Address,
        to: Address,
        product: &str,
        status: Status,
        at: NaiveDateTime,
    ) -> Self {
        let tx = uuid::Uuid::new_v4().to_string();
        Self {
            corr_id: tx.clone(),
            tx_id: tx,
            shs_agreement: None,
            transfer_type: TransferType::Asynch,
            message_type: "simple".into(),
            document_type: "simple".into(),
            sequence_type: SequenceType::Event,
            status,
            originator: None,
            from: Some(from),
            to: Some(to),
            end_recipient: None,
            product: to_urn(product),
            product_name: None,
            meta: Vec::new(),
            subject: None,
            datetime: Some(at),
            content_id: uuid::Uuid::new_v4().to_string(),
            data: Vec::new(),
            comment: None,
            history: Vec::new(),
        }
    }

    /// The product id without the URN prefix.
    pub fn product_plain(&self) -> &str {
        strip_urn(&self.product)
    }

    /// The sender's organisation number (from `from`, else `originator`), without URN prefix or sub-address.
    pub fn sender_org(&self) -> Option<&str> {
        self.from
            .as_ref()
            .or(self.originator.as_ref())
            .map(|a| super::actor_org(&a.value))
    }

    /// The recipient's organisation number, without URN prefix or sub-address.
    pub fn recipient_org(&self) -> Option<&str> {
        self.to.as_ref().map(|a| super::actor_org(&a.value))
    }

    /// Writes the label as ISO-8859-1 XML with the DOCTYPE, children in DTD order. `content.id` is cut to 36
    /// characters (shs.md §2: some vendors cannot handle longer ones).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut o = xml::prolog(DOC, "shs-label-1.2.dtd");
        o.push_str("<shs.label version=\"1.2\"");
        xml::push_attr(&mut o, "tx.id", Some(&self.tx_id));
        xml::push_attr(&mut o, "corr.id", Some(&self.corr_id));
        xml::push_attr(&mut o, "shs.agreement", self.shs_agreement.as_deref());
        xml::push_attr(&mut o, "transfer-type", Some(self.transfer_type.as_str()));
        xml::push_attr(&mut o, "message-type", Some(&self.message_type));
        xml::push_attr(&mut o, "document-type", Some(&self.document_type));
        xml::push_attr(&mut o, "sequence-type", Some(self.sequence_type.as_str()));
        xml::push_attr(&mut o, "status", Some(self.status.as_str()));
        o.push_str(">\n");
        let el = |o: &mut String, name: &str, attrs: &[(&str, Option<&str>)], text: &str| {
            o.push_str("    <");
            o.push_str(name);
            for (k, v) in attrs {
                xml::push_attr(o, k, *v);
            }
            o.push('>');
            o.push_str(&xml::escape(text));
            o.push_str("</");
            o.push_str(name);
            o.push_str(">\n");
        };
        if let Some(a) = &self.originator {
            el(
                &mut o,
                "originator",
                &[("name", a.name.as_deref())],
                &a.value,
            );
        }
        if let Some(a) = &self.from {
            el(
                &mut o,
                "from",
                &[("commonName", Some(a.name.as_deref().unwrap_or("")))],
                &a.value,
            );
        }
        if let Some(a) = &self.to {
            el(&mut o, "to", &[("commonName", a.name.as_deref())], &a.value);
        }
        if let Some(a) = &self.end_recipient {
            el(
                &mut o,
                "end-recipient",
                &[("name", a.name.as_deref())],
                &a.value,
            );
        }
        el(
            &mut o,
            "product",
            &[("commonName", self.product_name.as_deref())],
            &self.product,
        );
        for (k, v) in &self.meta {
            el(&mut o, "meta", &[("name", Some(k))], v);
        }
        if let Some(s) = &self.subject {
            el(&mut o, "subject", &[], s);
        }
        let dt = self.datetime.map(format_time).unwrap_or_default();
        el(&mut o, "datetime", &[], &dt);
        let cid: String = self.content_id.chars().take(36).collect();
        o.push_str("    <content");
        xml::push_attr(&mut o, "content.id", Some(&cid));
        o.push_str(">\n");
        for d in &self.data {
            d.push_xml(&mut o, "        ");
        }
        if let Some(c) = &self.comment {
            o.push_str("        <comment>");
            o.push_str(&xml::escape(c));
            o.push_str("</comment>\n");
        }
        o.push_str("    </content>\n");
        for h in &self.history {
            o.push_str("    <history");
            xml::push_attr(&mut o, "node.id", Some(&h.node_id));
            xml::push_attr(&mut o, "content.id", h.content_id.as_deref());
            xml::push_attr(&mut o, "tx.id", h.tx_id.as_deref());
            xml::push_attr(&mut o, "from", h.from.as_deref());
            xml::push_attr(&mut o, "to", h.to.as_deref());
            xml::push_attr(&mut o, "local.id", h.local_id.as_deref());
            xml::push_attr(&mut o, "shs.agreement", h.shs_agreement.as_deref());
            o.push_str(">\n        <datetime>");
            o.push_str(&h.datetime.map(format_time).unwrap_or_default());
            o.push_str("</datetime>\n");
            if let Some(c) = &h.comment {
                o.push_str("        <comment>");
                o.push_str(&xml::escape(c));
                o.push_str("</comment>\n");
            }
            o.push_str("    </history>\n");
        }
        o.push_str("</shs.label>\n");
        xml::to_latin1(&o)
    }

    /// Reads a label tolerantly. Requires `tx.id`, `sequence-type`, `product` and `content`; `corr.id` defaults to
    /// the `tx.id` when absent; a bad `datetime` is an error, a date-only one is midnight.
    pub fn parse(bytes: &[u8]) -> Result<Label, DocError> {
        let root = xml::parse_tree(bytes, DOC)?;
        from_tree(&root)
    }
}

fn missing(what: &str) -> DocError {
    DocError::Missing {
        doc: DOC,
        what: what.into(),
    }
}

fn bad(what: &str, value: &str, rule: &str) -> DocError {
    DocError::BadValue {
        doc: DOC,
        what: what.into(),
        value: value.into(),
        rule: rule.into(),
    }
}

fn opt_num(v: Option<&str>, what: &str) -> Result<Option<u64>, DocError> {
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(what, s, "must be a whole number")),
    }
}

fn address(el: &Element, name_attr: &str) -> Address {
    Address {
        value: el.text_trim(),
        name: el.attr(name_attr).map(str::to_string),
    }
}

fn datetime(el: &Element, what: &str) -> Result<NaiveDateTime, DocError> {
    let t = el.text_trim();
    parse_time(&t).ok_or_else(|| bad(what, &t, "expected yyyy-MM-ddTHH:mm:ss or yyyy-MM-dd"))
}

fn from_tree(root: &Element) -> Result<Label, DocError> {
    let tx_id = root
        .attr("tx.id")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("attribute tx.id"))?
        .to_string();
    if !xml::is_nmtoken(&tx_id) {
        return Err(bad("attribute tx.id", &tx_id, "must be an NMTOKEN"));
    }
    let corr_id = root
        .attr("corr.id")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| tx_id.clone());
    let seq = root
        .attr("sequence-type")
        .ok_or_else(|| missing("attribute sequence-type"))?;
    let sequence_type = SequenceType::parse(seq).ok_or_else(|| {
        bad(
            "attribute sequence-type",
            seq,
            "event, request, reply or adm",
        )
    })?;
    let transfer_type = match root.attr("transfer-type") {
        None => TransferType::Asynch,
        Some(v) => TransferType::parse(v)
            .ok_or_else(|| bad("attribute transfer-type", v, "asynch or synch"))?,
    };
    let status = match root.attr("status") {
        None => Status::Production,
        Some(v) => {
            Status::parse(v).ok_or_else(|| bad("attribute status", v, "test or production"))?
        }
    };
    let product_el = root
        .child("product")
        .ok_or_else(|| missing("element <product>"))?;
    let product = product_el.text_trim();
    if product.is_empty() {
        return Err(bad("element <product>", "", "must not be empty"));
    }
    let content = root
        .child("content")
        .ok_or_else(|| missing("element <content>"))?;
    let content_id = content
        .attr("content.id")
        .or_else(|| content.attr("uuid"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("attribute content/@content.id"))?;
    let mut data = Vec::new();
    for d in content.children("data") {
        data.push(DataRef {
            datapart_type: d.attr("datapartType").unwrap_or("").to_string(),
            filename: d
                .attr("filename")
                .map(str::to_string)
                .filter(|s| !s.is_empty()),
            no_of_bytes: opt_num(d.attr("no-of-bytes"), "data/@no-of-bytes")?,
            no_of_records: opt_num(d.attr("no-of-records"), "data/@no-of-records")?,
        });
    }
    let mut history = Vec::new();
    for h in root.children("history") {
        history.push(History {
            node_id: h.attr("node.id").unwrap_or("").to_string(),
            content_id: h.attr("content.id").map(str::to_string),
            tx_id: h.attr("tx.id").map(str::to_string),
            from: h.attr("from").map(str::to_string),
            to: h.attr("to").map(str::to_string),
            local_id: h.attr("local.id").map(str::to_string),
            shs_agreement: h.attr("shs.agreement").map(str::to_string),
            datetime: h
                .child("datetime")
                .map(|d| datetime(d, "history/datetime"))
                .transpose()?,
            comment: h.child("comment").map(Element::text_trim),
        });
    }
    Ok(Label {
        tx_id,
        corr_id,
        shs_agreement: root.attr("shs.agreement").map(str::to_string),
        transfer_type,
        message_type: root.attr("message-type").unwrap_or("simple").to_string(),
        document_type: root.attr("document-type").unwrap_or("simple").to_string(),
        sequence_type,
        status,
        originator: root.child("originator").map(|e| address(e, "name")),
        from: root.child("from").map(|e| address(e, "commonName")),
        to: root.child("to").map(|e| address(e, "commonName")),
        end_recipient: root.child("end-recipient").map(|e| address(e, "name")),
        product,
        product_name: product_el.attr("commonName").map(str::to_string),
        meta: root
            .children("meta")
            .map(|m| (m.attr("name").unwrap_or("").to_string(), m.text.clone()))
            .collect(),
        subject: root.child("subject").map(|s| s.text.clone()),
        datetime: root
            .child("datetime")
            .map(|d| datetime(d, "datetime"))
            .transpose()?,
        content_id,
        data,
        comment: content.child("comment").map(|c| c.text.clone()),
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Label {
        let at = parse_time("2024-05-02T10:15:00").unwrap();
        let mut l = Label::new_event(
            Address::new("5599999991", Some("Utvecklings Inkasso AB")),
            Address::new("2021000001", Some("Kronofogden")),
            "4d3faf08-f636-5b40-ba0d-742e5f17d771",
            Status::Test,
            at,
        );
        l.meta.push(("filnamn".into(), "DEV.ANSOKAN".into()));
        l.subject = Some("Ansökan & <test>".into());
        l.data.push(DataRef {
            datapart_type: "transaktionsfil".into(),
            filename: Some("DEV.ANSOKAN".into()),
            no_of_bytes: Some(1234),
            no_of_records: None,
        });
        l
    }

    #[test]
    fn write_then_read_round_trip() {
        let l = sample();
        let bytes = l.to_xml();
        assert!(bytes
            .starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE shs.label"));
        assert!(!bytes.windows(10).any(|w| w == b"standalone"));
        // Latin-1: ö is one byte.
        assert!(bytes.windows(2).any(|w| w == b"\xf6k"));
        let back = Label::parse(&bytes).unwrap();
        assert_eq!(back, l);
    }

    #[test]
    fn tolerant_read() {
        let x = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<shs.label tx.id="abc" sequence-type="ADM"><from commonName="">URN:x-shs:5565317129.sub</from>
<product>urn:X-SHS:confirm</product><datetime>2013-06-17</datetime><content uuid="c1"><data datapartType="confirm"/></content></shs.label>"#;
        let l = Label::parse(x).unwrap();
        assert_eq!(l.corr_id, "abc");
        assert_eq!(l.sequence_type, SequenceType::Adm);
        assert_eq!(l.sender_org(), Some("5565317129"));
        assert_eq!(l.product_plain(), "confirm");
        assert_eq!(l.content_id, "c1");
        assert_eq!(l.status, Status::Production);
        assert_eq!(format_time(l.datetime.unwrap()), "2013-06-17T00:00:00");
    }

    #[test]
    fn missing_and_bad_values_are_named() {
        let e = Label::parse(br#"<shs.label sequence-type="event"><product>x</product><content content.id="c"/></shs.label>"#)
            .unwrap_err();
        assert!(e.to_string().contains("tx.id"), "{e}");
        let e = Label::parse(br#"<shs.label tx.id="t" sequence-type="message"><product>x</product><content content.id="c"/></shs.label>"#)
            .unwrap_err();
        assert!(e.to_string().contains("sequence-type"), "{e}");
        let e = Label::parse(
            br#"<shs.label tx.id="t" sequence-type="event"><content content.id="c"/></shs.label>"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("product"), "{e}");
        let e = Label::parse(br#"<shs.label tx.id="t" sequence-type="event"><product>p</product><datetime>17 juni</datetime><content content.id="c"/></shs.label>"#)
            .unwrap_err();
        assert!(e.to_string().contains("datetime"), "{e}");
    }
}
