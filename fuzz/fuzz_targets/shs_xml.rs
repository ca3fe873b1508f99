#![no_main]
//! Every SHS XML reader (label, message list, management document) on hostile structure: the bytes as given, and
//! the bytes nested inside as many elements as their first two bytes say (0–65,535), under each document's root, so
//! that deep documents are explored whatever the fuzzer finds by itself. None may panic, overflow the stack or run
//! away with memory: the reader refuses more than `MAX_DEPTH` levels and `MAX_ELEMENTS` elements. Seeds with deep and
//! wide documents are in `fuzz/seeds/shs_xml/`.
use libfuzzer_sys::fuzz_target;

fn all(doc: &[u8]) {
    let _ = fogd::shs::Label::parse(doc);
    let _ = fogd::shs::MessageList::parse(doc);
    let _ = fogd::shs::Management::parse(doc);
}

fuzz_target!(|data: &[u8]| {
    all(data);
    if let [a, b, inner @ ..] = data {
        let depth = usize::from(u16::from_le_bytes([*a, *b]));
        for root in ["shs.label", "shs.message-list", "shs.management"] {
            let mut doc = Vec::with_capacity(inner.len() + depth * 7 + 64);
            doc.extend_from_slice(format!("<{root}>").as_bytes());
            for _ in 0..depth {
                doc.extend_from_slice(b"<a>");
            }
            doc.extend_from_slice(inner);
            for _ in 0..depth {
                doc.extend_from_slice(b"</a>");
            }
            doc.extend_from_slice(format!("</{root}>").as_bytes());
            all(&doc);
        }
    }
});
