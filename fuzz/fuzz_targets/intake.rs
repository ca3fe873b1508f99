#![no_main]
//! Random bytes through the intake readers (JSON array/object/Lines, CSV with encoding and separator detection)
//! and every record read through validation. None may panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = fogd::domain::intake::open_source(data, None) else {
        return;
    };
    let rules = fogd::domain::validate::Rules::from_config(&fogd::config::RulesConfig::default());
    let Ok(records) = source.records() else {
        return;
    };
    for record in records {
        if let Some(input) = &record.input {
            let ctx = fogd::domain::validate::ValidationContext {
                rules: rules.clone(),
                today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
                default_intressentkod: "DEV".into(),
            };
            let _ = fogd::domain::validate::validate(input, &ctx);
        }
    }
});
