#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let set = fogd::formats::LayoutSet::embedded();
    for layout in set.iter() {
        let _ = fogd::formats::parse_file(layout, data);
    }
    for layout in fogd::formats::edition::embedded_fixed("FOGD-REF-2") {
        let _ = fogd::formats::parse_file(&layout, data);
    }
    let _ = fogd::formats::read_cases(&set, data);
    let _ = fogd::formats::Kvittens::parse(&set, data);
    let _ = fogd::formats::Bekraftelse::parse(&set, data);
    let _ = fogd::formats::UtslagReport::parse(&set, data);
    let _ = fogd::formats::check_missiv(&set, data, data);
});
