#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(layout) = fogd::formats::Layout::from_toml(&text, "fuzz.toml") {
        // A layout that loads must also parse anything without panicking.
        let _ = fogd::formats::parse_file(&layout, data);
    }
});
