#![no_main]
use fogd::formats::LayoutFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match LayoutFile::from_toml(&text, "fuzz.toml") {
        // A layout that loads must also read anything without panicking.
        Ok(LayoutFile::Fixed(layout)) => {
            let _ = fogd::formats::parse_file(&layout, data);
        }
        Ok(LayoutFile::Xml(layout)) => {
            let _ = fogd::formats::xml::parse_xml(&layout, data);
        }
        Err(_) => {}
    }
});
