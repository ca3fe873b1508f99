#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Conformance: third-party SHS messages (Axel's fixtures in ../shared/conformance/shs-messages) parse or are
//! refused as they should, and every document fogd writes validates against the SHS DTDs with xmllint.

use bytes::Bytes;
use fogd::shs::label::{Address, DataRef, History, Status};
use fogd::shs::{
    parse_time, DataPart, Label, ListEntry, Management, MessageList, MimeError, SequenceType,
    ShsErrorCode, ShsMessage,
};
use std::path::PathBuf;
use std::process::Command;

fn conformance() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    assert!(
        p.is_dir(),
        "conformance material missing: expected {} (the shared folder beside the crate)",
        p.display()
    );
    p
}

fn read(name: &str) -> Bytes {
    Bytes::from(std::fs::read(conformance().join("shs-messages").join(name)).unwrap())
}

type Case<'a> = (
    &'a str,
    &'a str,
    SequenceType,
    &'a str,
    &'a [(&'a str, Option<&'a str>, &'a [u8])],
);

#[test]
fn every_good_axel_message_parses() {
    // (file, tx.id, sequence-type, product, [(datapartType, filename, first bytes)])
    let cases: &[Case] = &[
        (
            "shsTextMessage.mime",
            "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8",
            SequenceType::Event,
            "error",
            &[("txt", Some("text.txt"), b"Lorem ipsum")],
        ),
        (
            "shsTextMessageNoFileName.mime",
            "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8",
            SequenceType::Event,
            "error",
            &[("txt", None, b"Lorem ipsum")],
        ),
        (
            "shsTextMessageSwedishFileName.mime",
            "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8",
            SequenceType::Event,
            "error",
            &[("txt", Some("filnamn-med-åäö.xml"), b"")],
        ),
        (
            "shsErrorMessage.mime",
            "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8",
            SequenceType::Adm,
            "error",
            &[("error", Some("error.xml"), b"<?xml")],
        ),
        (
            "981ead58-b2b1-4373-b3b8-d93e1594f359.mime",
            "981ead58-b2b1-4373-b3b8-d93e1594f359",
            SequenceType::Request,
            "00000000-0000-0000-0000-000000000000",
            &[("properties", Some("98config.properties"), b"####")],
        ),
        (
            "e41a8be7-5e81-46cd-8418-11a250348c29.mime",
            "e41a8be7-5e81-46cd-8418-11a250348c29",
            SequenceType::Request,
            "00000000-0000-0000-0000-000000000000",
            &[("properties", Some("e4config.properties"), b"####")],
        ),
        (
            "no-filename.mime",
            "",
            SequenceType::Request,
            "00000000-0000-0000-0000-000000000000",
            &[("properties", None, b"####")],
        ),
    ];
    for (file, tx, seq, product, parts) in cases {
        let m = ShsMessage::parse(read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        if !tx.is_empty() {
            assert_eq!(m.label.tx_id, *tx, "{file}");
        }
        assert_eq!(m.label.sequence_type, *seq, "{file}");
        assert_eq!(m.label.product_plain(), *product, "{file}");
        assert_eq!(m.parts.len(), parts.len(), "{file}");
        for (p, (ty, name, head)) in m.parts.iter().zip(parts.iter()) {
            assert_eq!(p.datapart_type, *ty, "{file}");
            assert_eq!(p.filename.as_deref(), *name, "{file}");
            assert!(
                p.bytes().unwrap().starts_with(head),
                "{file}: {:?}",
                &p.bytes().unwrap()[..10.min(p.bytes().unwrap().len())]
            );
        }
    }
    // The error message's data part is a management document with a date-only datetime.
    let m = ShsMessage::parse(read("shsErrorMessage.mime")).unwrap();
    let mgmt = Management::parse(m.parts[0].bytes().unwrap()).unwrap();
    assert_eq!(mgmt.error_code(), Some(ShsErrorCode::MissingAgreement));
    assert_eq!(mgmt.datetime, parse_time("2013-06-17"));
    // base64 part decodes to the properties text.
    let m = ShsMessage::parse(read("981ead58-b2b1-4373-b3b8-d93e1594f359.mime")).unwrap();
    let text = String::from_utf8_lossy(m.parts[0].bytes().unwrap());
    assert!(
        text.contains("Licensed to the Apache Software Foundation"),
        "{text}"
    );
    assert_eq!(m.label.history.len(), 2);
}

#[test]
fn broken_axel_messages_are_refused_clearly() {
    for file in [
        "shsTextMessageBroken.mime",
        "shsTextMessageTotallyBroken.mime",
    ] {
        let e = ShsMessage::parse(read(file)).unwrap_err();
        assert!(matches!(e, MimeError::Truncated(_)), "{file}: {e}");
        assert!(e.to_string().contains("truncated"), "{file}: {e}");
        assert_eq!(e.shs_code(), ShsErrorCode::IllegalMessageStructure);
    }
}

#[test]
fn axel_message_list_parses() {
    let bytes = std::fs::read(conformance().join("shs-messages/listMessagesResponse.xml")).unwrap();
    let l = MessageList::parse(&bytes).unwrap();
    assert_eq!(l.messages.len(), 3);
    assert_eq!(l.messages[2].tx_id, "9212a1dd-77bc-4727-ace0-76f13ae5c4bf");
    assert_eq!(
        l.messages[0].data[0].filename.as_deref(),
        Some("config.properties")
    );
    assert_eq!(l.messages[0].sequence_type, SequenceType::Request);
}

fn xmllint_valid(dtd: &str, doc: &[u8]) {
    let have = Command::new("xmllint").arg("--version").output();
    assert!(
        have.is_ok(),
        "xmllint is missing: install libxml2-utils (apt-get install -y libxml2-utils); .ci/run does this"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.xml");
    std::fs::write(&f, doc).unwrap();
    let dtd_path = conformance().join("shs-dtd").join(dtd);
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(&dtd_path)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{dtd} rejects:\n{}\n{}",
        String::from_utf8_lossy(doc),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn full_label() -> Label {
    let at = parse_time("2024-05-02T10:15:00").unwrap();
    let mut l = Label::new_event(
        Address::new("5599999991", Some("Utvecklings Inkasso AB")),
        Address::new("2021000001", Some("Kronofogden")),
        "4d3faf08-f636-5b40-ba0d-742e5f17d771",
        Status::Test,
        at,
    );
    l.originator = Some(Address::new("5599999991", Some("Orig")));
    l.end_recipient = Some(Address {
        value: "avd-7".into(),
        name: None,
    });
    l.product_name = Some("Ansökan om betalningsföreläggande".into());
    l.meta.push(("filnamn".into(), "DEV.ANSOKAN".into()));
    l.subject = Some("Ansökan <1> & \"2\" €".into());
    l.data.push(DataRef {
        datapart_type: "transaktionsfil".into(),
        filename: Some("DEV.ANSOKAN".into()),
        no_of_bytes: Some(10),
        no_of_records: Some(2),
    });
    l.data.push(DataRef {
        datapart_type: "missiv".into(),
        filename: None,
        no_of_bytes: None,
        no_of_records: None,
    });
    l.comment = Some("kommentar".into());
    l.history.push(History {
        node_id: "fogd-sim".into(),
        tx_id: Some(l.tx_id.clone()),
        datetime: Some(at),
        comment: Some("Received".into()),
        ..Default::default()
    });
    l
}

#[test]
fn every_written_document_validates_against_the_dtds() {
    // Label: minimal and with every optional element.
    xmllint_valid("shs-label-1.2.dtd", &full_label().to_xml());
    let at = parse_time("2024-05-02T10:15:00").unwrap();
    let minimal = Label::new_event(
        Address::new("5599999991", None),
        Address::new("2021000001", None),
        "confirm",
        Status::Production,
        at,
    );
    xmllint_valid("shs-label-1.2.dtd", &minimal.to_xml());
    // The label inside a written message.
    let msg = ShsMessage::new(
        full_label(),
        vec![DataPart::new(
            "transaktionsfil",
            Some("DEV.ANSOKAN"),
            "text/plain",
            &b"x"[..],
        )],
    );
    let back = ShsMessage::parse(Bytes::from(msg.to_bytes().unwrap())).unwrap();
    xmllint_valid("shs-label-1.2.dtd", &back.label.to_xml());
    // Message list: empty and full.
    xmllint_valid(
        "shs-message-list-1.2.01.dtd",
        &MessageList::default().to_xml(),
    );
    let entry = ListEntry {
        tx_id: "t1".into(),
        corr_id: Some("c".into()),
        content_id: Some("d".into()),
        timestamp: Some(at),
        size: Some(3),
        originator: Some("urn:X-shs:5599999991".into()),
        from: Some("urn:X-shs:2021000001".into()),
        to: Some("urn:X-shs:5599999991".into()),
        end_recipient: Some("e".into()),
        product: Some("urn:X-shs:confirm".into()),
        sequence_type: SequenceType::Adm,
        status: Status::Test,
        meta: vec![("k".into(), "v".into())],
        subject: Some("s".into()),
        data: full_label().data,
    };
    xmllint_valid(
        "shs-message-list-1.2.01.dtd",
        &MessageList {
            messages: vec![entry.clone(), entry],
        }
        .to_xml(),
    );
    // Management: confirmation, error, with appinfo.
    xmllint_valid(
        "shs-management-1.2.dtd",
        &Management::confirmation("c1", "d1", at).to_xml(),
    );
    let mut e = Management::error(
        "c1",
        "d1",
        at,
        ShsErrorCode::IllegalDatapartContent,
        Some("rad 3 <fel>"),
    );
    xmllint_valid("shs-management-1.2.dtd", &e.to_xml());
    e.appinfo.push(("felkod".into(), "0010".into()));
    xmllint_valid("shs-management-1.2.dtd", &e.to_xml());
}

#[test]
fn xmllint_catches_a_bad_document() {
    // Guard that validation can fail: a label with a sequence-type the DTD does not allow.
    let mut bad = full_label().to_xml();
    let s = String::from_utf8_lossy(&bad)
        .replace("sequence-type=\"event\"", "sequence-type=\"message\"");
    bad = s.into_bytes();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.xml");
    std::fs::write(&f, &bad).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(conformance().join("shs-dtd/shs-label-1.2.dtd"))
        .arg(&f)
        .output()
        .expect("xmllint is missing: install libxml2-utils");
    assert!(!out.status.success());
}

/// The depth seeds of the `shs_xml` fuzz target through every XML reader: the deep and unclosed ones are refused
/// naming the limit (no stack overflow), the wide one within the limits reads.
#[test]
fn xml_depth_seeds_are_refused_or_read() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/shs_xml");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("xml") {
            continue;
        }
        seen += 1;
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let results = [
            fogd::shs::Label::parse(&bytes).err().map(|e| e.to_string()),
            fogd::shs::MessageList::parse(&bytes)
                .err()
                .map(|e| e.to_string()),
            fogd::shs::Management::parse(&bytes)
                .err()
                .map(|e| e.to_string()),
        ];
        if name.contains("wide") {
            assert!(results[1].is_none(), "{name}: {:?}", results[1]);
            assert_eq!(
                fogd::shs::MessageList::parse(&bytes)
                    .unwrap()
                    .messages
                    .len(),
                300
            );
        } else {
            for r in results {
                let e = r.unwrap_or_else(|| panic!("{name} was read"));
                assert!(e.contains("nested deeper than"), "{name}: {e}");
            }
        }
    }
    assert!(seen >= 5);
}
