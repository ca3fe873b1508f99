#![no_main]
//! Random bytes through the XML reader of every shipped XML layout (streaming, bounded), the builder on what it
//! reads, and the root recognition. Seed corpus: `fuzz/corpus/xml_read/` (the FOGD-REF-2 samples and deeply
//! nested documents).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let layouts = fogd::formats::edition::embedded_xml("FOGD-REF-2");
    let _ = fogd::formats::edition::recognise_xml(&layouts, data);
    for layout in &layouts {
        let parsed = fogd::formats::xml::parse_xml(layout, data);
        if parsed.errors.is_empty() {
            // What reads cleanly builds again and reads back to the same records.
            let built = fogd::formats::xml::build_from_records(layout, &parsed.records)
                .expect("a document that reads builds");
            let again = fogd::formats::xml::read_xml(layout, &built).expect("a built document reads");
            assert_eq!(again.len(), parsed.records.len());
        }
    }
});
