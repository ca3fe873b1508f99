//! Build and parse of a 100,000-case BFÖ file (throughput in bytes), in each edition: FOGD-REF-1 (`bfo-100k`) and
//! FOGD-REF-2 (`bfo-100k-ref2`, with its longer records, Sökande, Ombud and Överlåtelse records). Parsing streams
//! from a reader: memory is one record buffer whatever the file size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fogd::domain::{Case, CaseKind};
use fogd::formats::{self, FileFacts, FileStatus, LayoutSet};

fn cases(golden: &str, n: usize) -> Vec<Case> {
    let json =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(golden))
            .unwrap();
    let base: Vec<Case> = serde_json::from_str(&json).unwrap();
    (0..n)
        .map(|i| {
            let mut c = base[i % base.len()].clone();
            c.reference = format!("B-{i:08}");
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (group, edition, golden) in [
        (
            "bfo-100k",
            "FOGD-REF-1",
            "fixtures/golden/cases/bfo-ansokan.json",
        ),
        (
            "bfo-100k-ref2",
            "FOGD-REF-2",
            "fixtures/golden/fogd-ref-2/cases/bfo-ansokan.json",
        ),
    ] {
        bench_edition(c, group, edition, golden);
    }
}

fn bench_edition(c: &mut Criterion, group: &str, edition: &str, golden: &str) {
    let set = LayoutSet::embedded_edition(edition).unwrap();
    let facts = FileFacts {
        intressentkod: "DEV".into(),
        lopnummer: 1,
        created: NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        status: FileStatus::Test,
        contact_name: "Drift".into(),
        contact_phone: "08".into(),
    };
    let cases = cases(golden, 100_000);
    let built =
        formats::build_file(&set, CaseKind::Betalningsforelaggande, &cases, &facts).unwrap();
    let layout = set.get("bfo-ansokan").unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Bytes(built.bytes.len() as u64));
    g.bench_function("build", |b| {
        b.iter(|| {
            formats::build_file(&set, CaseKind::Betalningsforelaggande, &cases, &facts)
                .unwrap()
                .bytes
                .len()
        })
    });
    g.bench_function("parse_stream", |b| {
        b.iter(|| {
            let (errors, summary) = formats::parse_reader(
                layout,
                std::io::BufReader::with_capacity(1 << 16, &built.bytes[..]),
                |_| {},
            )
            .unwrap();
            assert!(errors.is_empty());
            summary.records
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
