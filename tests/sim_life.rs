#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulator plays the life of a FOGD-REF-2 case after registration (fogd-ref-2.md §6, issue 16 point 4), end
//! to end over mutual TLS on loopback: FOGD-REF-2 files sent with the `ShsClient`, the sim's calendar moved with
//! `POST /sim/v1/advance`, every message fetched back and read with fogd's readers (the FOGD-REF-2 layouts),
//! every XML document checked against the schema with `xmllint --schema`. Paths: disputed → handed over on a
//! begäran O; disputed → written off; utslag → begäran V → enforcement → LUB, DELRED… → slutredovisning;
//! verkställighet paid in full (with a NYTTAVGAR) or ending INGA_TILLGANGAR; fordringsanmälan → SKSRAPP. The same
//! input gives the same messages, byte for byte.

use chrono::{DateTime, TimeZone, Utc};
use fogd::clock::ManualClock;
use fogd::config::Config;
use fogd::domain::{Case, CaseKind};
use fogd::formats::codec::Value;
use fogd::formats::layout::Scope;
use fogd::formats::xml::{read_xml, XmlLayout};
use fogd::formats::{
    build_file, parse_file, BuiltFile, FileFacts, FileStatus, Kvittens, KvittensStatus, LayoutSet,
    Source,
};
use fogd::shs::label::{Address, Status};
use fogd::shs::{ClientSettings, DataPart, Label, ListFilter, ShsClient, ShsMessage};
use fogd::sim::kronofogden::is_disputed;
use fogd::sim::kronofogden::life::garnishment_plan;
use fogd::sim::{SimHandle, StartOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const ME: &str = "5599999991";
const NODE: &str = "2021000001";
const IK: &str = "DEV";

/// Monday 2026-01-05 10:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()
}

fn config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.tls.ca = dir.join("certs/ca.pem");
    c.tls.identity = dir.join("certs/client-identity.pem");
    c.tls.server_cert = dir.join("certs/server.pem");
    c.tls.server_key = dir.join("certs/server-key.pem");
    c.sim.state = dir.join("sim.db");
    c.sim.utslag_delay_secs = 3600;
    c.sim.disputed_share = 0.5;
    c.sim.life.max_payment_months = 14;
    c.sim.life.no_assets_share = 0.3;
    c
}

/// The shipped FOGD-REF-2 layouts (the begäran among them): the sim reads each file by the edition its head names.
fn ref2_set() -> LayoutSet {
    LayoutSet::embedded_edition("FOGD-REF-2").unwrap()
}

fn facts(lop: u32) -> FileFacts {
    FileFacts {
        intressentkod: IK.into(),
        lopnummer: lop,
        created: chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(11, 0, 0)
            .unwrap(),
        status: FileStatus::Test,
        contact_name: "Test Testsson".into(),
        contact_phone: "08-123456".into(),
    }
}

fn golden(kind: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(format!(
        "{}/fixtures/golden/cases/{kind}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn with_refs(kind: &str, refs: &[&str]) -> Vec<Case> {
    let base = golden(kind);
    refs.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut c = base[i % base.len()].clone();
            c.reference = (*r).into();
            c
        })
        .collect()
}

/// The first reference `PREFIX-n` for which `pick` holds.
fn pick(prefix: &str, taken: &[String], pick: impl Fn(&str) -> bool) -> String {
    (0..10_000)
        .map(|i| format!("{prefix}-{i}"))
        .find(|r| !taken.contains(r) && pick(r))
        .unwrap()
}

/// The references of each path, chosen by the sim's own (public, deterministic) choices.
struct Refs {
    court: String,
    auto_court: String,
    auto_enforced: String,
    written_off: String,
    enforced: String,
    decided: String,
    paid: String,
    no_assets: String,
    withdrawn: String,
    sks: String,
}

fn refs(c: &Config) -> Refs {
    let share = c.sim.disputed_share;
    let mut taken = Vec::new();
    let mut take = |p: &str, f: &dyn Fn(&str) -> bool| {
        let r = pick(p, &taken, f);
        taken.push(r.clone());
        r
    };
    Refs {
        court: take("BD", &|r| is_disputed(IK, r, share)),
        auto_court: take("BD", &|r| is_disputed(IK, r, share)),
        auto_enforced: take("BU", &|r| !is_disputed(IK, r, share)),
        written_off: take("BD", &|r| is_disputed(IK, r, share)),
        enforced: take("BU", &|r| !is_disputed(IK, r, share)),
        decided: take("BU", &|r| !is_disputed(IK, r, share)),
        paid: take("VS", &|r| {
            let (months, _, left) = garnishment_plan(c, IK, r, 100_000);
            months >= 13 && left.is_none()
        }),
        no_assets: take("VS", &|r| {
            garnishment_plan(c, IK, r, 100_000)
                .2
                .is_some_and(|l| l >= 1)
        }),
        withdrawn: take("VS", &|_| true),
        sks: take("SK", &|_| true),
    }
}

/// A received message: product key, file name, bytes.
type Got = (String, String, Vec<u8>);

struct Env {
    _dir: tempfile::TempDir,
    config: Config,
    clock: ManualClock,
    sim: SimHandle,
    set: LayoutSet,
}

impl Env {
    async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        let clock = ManualClock::new(t0());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = fogd::sim::start_kronofogden(
            config.clone(),
            StartOptions {
                listener: Some(listener),
                faults: None,
                clock: Some(Arc::new(clock.clone())),
            },
        )
        .await
        .unwrap();
        config.shs.url = sim.shs_url();
        Env {
            _dir: dir,
            config,
            clock,
            sim,
            set: ref2_set(),
        }
    }

    fn client(&self) -> ShsClient {
        ShsClient::new(ClientSettings::from_config(&self.config)).unwrap()
    }

    fn build(&self, kind: CaseKind, cases: &[Case], lop: u32) -> BuiltFile {
        build_file(&self.set, kind, cases, &facts(lop)).unwrap()
    }

    async fn send(&self, kind: CaseKind, b: &BuiltFile) {
        use fogd::clock::Clock;
        let product = &self.config.shs.products[kind.layout_name()];
        let now = self
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .naive_local();
        let label = Label::new_event(
            Address::new(ME, Some("Utvecklings Inkasso AB")),
            Address::new(NODE, None),
            product,
            Status::Test,
            now,
        );
        let parts = vec![
            DataPart::new(
                "transaktionsfil",
                Some(&b.file_name),
                "text/plain; charset=ISO-8859-1",
                b.bytes.clone(),
            ),
            DataPart::new(
                "missiv",
                Some(&b.missiv_name),
                "text/plain; charset=ISO-8859-1",
                b.missiv_bytes.clone(),
            ),
        ];
        self.client()
            .send(&ShsMessage::new(label, parts))
            .await
            .unwrap();
    }

    /// Everything in our outbox, fetched and acknowledged, in the node's order.
    async fn inbox(&self) -> Vec<Got> {
        let c = self.client();
        let list = c.list(ME, &ListFilter::default()).await.unwrap();
        let mut out = Vec::new();
        for e in list.messages {
            let f = c.fetch(ME, &e.tx_id).await.unwrap();
            c.ack(ME, &e.tx_id).await.unwrap();
            let product = f.message.label.product_plain().to_string();
            let key = self
                .config
                .shs
                .products
                .iter()
                .find(|(_, v)| **v == product)
                .map(|(k, _)| k.clone())
                .unwrap_or(product);
            let p = &f.message.parts[0];
            out.push((
                key,
                p.filename.clone().unwrap_or_default(),
                p.bytes().unwrap().to_vec(),
            ));
        }
        out
    }

    fn admin(&self, path: &str) -> (reqwest::Client, String) {
        let ca = std::fs::read(&self.config.tls.ca).unwrap();
        let id = std::fs::read(&self.config.tls.identity).unwrap();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .identity(reqwest::Identity::from_pem(&id).unwrap())
            .build()
            .unwrap();
        let url = format!("{}{path}", self.config.shs.url.trim_end_matches("/shs"));
        (http, url)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (http, url) = self.admin(path);
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// `POST /sim/v1/advance`; its answer.
    async fn advance(&self, days: u32) -> serde_json::Value {
        let (http, url) = self.admin("/sim/v1/advance");
        let r = http
            .post(url)
            .json(&serde_json::json!({ "days": days }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

fn shared() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [root.join("../shared"), root.join("../../shared")]
        .into_iter()
        .find(|p| p.join("spec/xsd").is_dir())
        .expect("the specs (../shared) are not beside the repository")
}

/// `xmllint --schema` accepts the document.
fn xsd_valid(name: &str, doc: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, doc).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(shared().join("spec/xsd/fogd-ref-2-verkstallighet.xsd"))
        .arg(&f)
        .output()
        .expect("xmllint is missing: install libxml2-utils; .ci/run does this");
    assert!(
        out.status.success(),
        "{name} does not validate:\n{}\n{}",
        String::from_utf8_lossy(doc),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One entry of a received document: its fields by name, as written (trimmed).
type Fields = BTreeMap<String, String>;

/// Reads a received FOGD-REF-2 document with fogd's readers (its layout by product key): every entry's fields.
/// Fixed-width documents parse without a problem; XML ones validate against the schema and read.
fn read_doc(key: &str, name: &str, bytes: &[u8]) -> Vec<Fields> {
    if let Some(l) = fogd::formats::edition::embedded_fixed("FOGD-REF-2")
        .into_iter()
        .find(|l| l.name == key)
    {
        assert_eq!(l.file_name.replace("{ik}", IK), name);
        let parsed = parse_file(&l, bytes);
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        return parsed
            .records
            .iter()
            .filter(|r| r.def(&l).is_some_and(|d| d.scope == Scope::Entry))
            .map(|r| {
                let d = r.def(&l).unwrap();
                d.fields
                    .iter()
                    .map(|f| {
                        let raw: String =
                            r.bytes[f.range()].iter().map(|&b| char::from(b)).collect();
                        (f.name.clone(), raw.trim().to_string())
                    })
                    .collect()
            })
            .collect();
    }
    let l: XmlLayout = fogd::formats::edition::embedded_xml("FOGD-REF-2")
        .into_iter()
        .find(|l| l.name == key)
        .unwrap_or_else(|| panic!("no FOGD-REF-2 layout for {key} ({name})"));
    xsd_valid(name, bytes);
    let records = read_xml(&l, bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let head = &records[0];
    assert_eq!(
        head.value(&l, Source::FileEdition),
        Some(&Value::Code("FOGD-REF-2".into()))
    );
    records
        .iter()
        .filter(|r| r.def(&l).is_some_and(|d| d.scope == Scope::Entry))
        .map(|r| r.fields(&l).into_iter().collect())
        .collect()
}

/// A step of a case's life: document kind and what it says (decision, investigation, reason).
fn step_of(key: &str, f: &Fields) -> String {
    let what = ["beslutstyp", "beslut", "utredning", "orsak"]
        .iter()
        .find_map(|k| f.get(*k));
    match what {
        Some(w) => format!("{key}:{w}"),
        None => key.to_string(),
    }
}

/// The whole scenario; every message received after the kvittenser, and each case's steps.
async fn scenario() -> (Vec<Got>, BTreeMap<String, Vec<(String, Fields)>>, Refs) {
    let env = Env::new().await;
    let r = refs(&env.config);
    let mut all: Vec<Got> = Vec::new();

    // Applications: BFÖ (3 disputed, 3 not; one of each with a request in the application), verkställighet (2),
    // fordringsanmälan (1).
    let mut bfo = with_refs(
        "bfo-ansokan",
        &[
            &r.court,
            &r.written_off,
            &r.enforced,
            &r.decided,
            &r.auto_court,
            &r.auto_enforced,
        ],
    );
    for c in &mut bfo {
        c.customer_number = None;
        c.promissory_note = false;
    }
    bfo[4].requests.court_if_disputed = true;
    bfo[5].requests.enforcement = true;
    env.send(
        CaseKind::Betalningsforelaggande,
        &env.build(CaseKind::Betalningsforelaggande, &bfo, 1),
    )
    .await;
    let vs = with_refs("vst-ansokan", &[&r.paid, &r.no_assets, &r.withdrawn]);
    env.send(
        CaseKind::Verkstallighet,
        &env.build(CaseKind::Verkstallighet, &vs, 1),
    )
    .await;
    let sks = with_refs("sks-fordringsanmalan", &[&r.sks]);
    env.send(
        CaseKind::Fordringsanmalan,
        &env.build(CaseKind::Fordringsanmalan, &sks, 1),
    )
    .await;
    let kv = env.inbox().await;
    assert_eq!(kv.len(), 3);
    for (key, _, bytes) in &kv {
        assert_eq!(key, "kvittens");
        let k = Kvittens::parse(&ref2_set(), bytes).unwrap();
        assert_eq!(k.status, KvittensStatus::Godkand, "{:?}", k.errors);
    }

    // Day 1: the evening run registers; day 2: the utslag (BESTRID for the disputed, RAPPORT U for the rest).
    let a = env.advance(2).await;
    assert_eq!(a["days"], 2);
    assert_eq!(a["today"], "2026-01-07");
    let got = env.inbox().await;
    let keys: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(
        keys,
        ["bekraftelse", "bekraftelse", "bestridande", "utslag"],
        "{got:?}"
    );
    let bek = fogd::formats::Bekraftelse::parse(&ref2_set(), &got[0].2).unwrap();
    let mal: BTreeMap<String, String> = bek
        .entries
        .iter()
        .map(|e| (e.reference.clone(), e.malnummer.clone()))
        .collect();
    let emalut = fogd::formats::Bekraftelse::parse(&ref2_set(), &got[1].2).unwrap();
    let vs_withdrawn = emalut
        .entries
        .iter()
        .find(|e| e.reference == r.withdrawn)
        .unwrap()
        .malnummer
        .clone();
    all.extend(got);

    // Begäran: O for the first disputed case and V for the first utslag (accepted); V for a disputed case and O
    // for an undisputed one (refused, 0051); O for an unknown målnummer (0050).
    let mut base = with_refs(
        "bfo-aterkallelse",
        &["BG-1", "BG-2", "BG-3", "BG-4", "BG-5"],
    );
    let targets = [
        (&r.court, b'O'),
        (&r.enforced, b'V'),
        (&r.written_off, b'V'),
        (&r.decided, b'O'),
    ];
    for (i, c) in base.iter_mut().enumerate() {
        c.kind = CaseKind::Begaran;
        c.request = Some(match targets.get(i).map_or(b'O', |(_, code)| *code) {
            b'V' => fogd::domain::case::BegaranRequest::Enforcement,
            _ => fogd::domain::case::BegaranRequest::Court,
        });
        c.date = chrono::NaiveDate::from_ymd_opt(2026, 1, 7);
        c.malnummer = Some(
            targets
                .get(i)
                .map_or_else(|| "BF-999999-26".to_string(), |(t, _)| mal[*t].clone()),
        );
    }
    let b = env.build(CaseKind::Begaran, &base, 1);
    assert_eq!(b.file_name, "DEV.BEGARAN");
    env.send(CaseKind::Begaran, &b).await;
    let got = env.inbox().await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("kvittens", "SUPRO.DEV.BEGKVITT")
    );
    let k = Kvittens::parse(&ref2_set(), &got[0].2).unwrap();
    assert_eq!(k.status, KvittensStatus::Godkand);
    assert_eq!(k.avser_filtyp, "BEGARAN");
    assert_eq!((k.antal_godkanda, k.antal_underkanda), (2, 3));
    let refused: Vec<(&str, &str)> = k
        .errors
        .iter()
        .map(|e| (e.reference.as_deref().unwrap_or(""), e.felkod.as_str()))
        .collect();
    assert_eq!(
        refused,
        [("BG-3", "0051"), ("BG-4", "0051"), ("BG-5", "0050")]
    );

    // The rest of the lives: a handover, a write-off, a skuldsanering decision, LUBs, DELREDs, NYTTAVGAR and
    // slutredovisningar, over a year and a half.
    for days in [1, 30] {
        env.advance(days).await;
        all.extend(env.inbox().await);
    }
    // An enforcement withdrawn after its LUB (ändring `aterkallelse`): closed at once, ATERKALLAD.
    let mut andring = golden("vst-andring")
        .into_iter()
        .find(|c| {
            c.change
                .as_ref()
                .is_some_and(|ch| ch.kind == fogd::domain::case::ChangeKind::Aterkallelse)
        })
        .unwrap();
    andring.reference = "AND-1".into();
    andring.malnummer = Some(vs_withdrawn);
    env.send(
        CaseKind::VerkstallighetAndring,
        &env.build(CaseKind::VerkstallighetAndring, &[andring], 1),
    )
    .await;
    // The kvittens, and — the node's next tick, the same day — the slutredovisning.
    // (A tick may run between the ändring and its kvittens being stored: either may come first.)
    let mut got = env.inbox().await;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(keys, ["kvittens", "slutredovisning"]);
    all.push(got.pop().unwrap());
    let k = Kvittens::parse(&ref2_set(), &got[0].2).unwrap();
    assert_eq!(
        (k.antal_godkanda, k.antal_underkanda),
        (1, 0),
        "{:?}",
        k.errors
    );
    for days in [60, 500] {
        env.advance(days).await;
        all.extend(env.inbox().await);
    }
    let a = env.advance(1).await;
    assert_eq!(a["replies"], 0, "nothing left after every case closed: {a}");
    // The admin view shows each followed case's phase: every one closed but the utslag nobody enforced.
    let cases: Vec<serde_json::Value> = env.get("/sim/v1/cases").await;
    for c in cases.iter().filter(|c| c["life"].is_object()) {
        let want = if c["handlingsref"] == r.decided.as_str() {
            "decided"
        } else {
            "closed"
        };
        assert_eq!(c["life"]["phase"], want, "{c}");
    }
    assert_eq!(cases.iter().filter(|c| c["life"].is_object()).count(), 10);

    let mut lives: BTreeMap<String, Vec<(String, Fields)>> = BTreeMap::new();
    for (key, name, bytes) in &all {
        if key == "bekraftelse" {
            continue;
        }
        for f in read_doc(key, name, bytes) {
            lives
                .entry(f["handlingsref"].clone())
                .or_default()
                .push((step_of(key, &f), f));
        }
    }
    env.sim.shutdown().await;
    (all, lives, r)
}

fn steps(lives: &BTreeMap<String, Vec<(String, Fields)>>, r: &str) -> Vec<String> {
    lives[r].iter().map(|(s, _)| s.clone()).collect()
}

fn kronor(s: &str) -> i64 {
    fogd::domain::Amount::parse_kronor(s).unwrap().0
}

#[tokio::test]
#[ignore = "written against FOGD-REF-1 layouts relabelled FOGD-REF-2; with the real FOGD-REF-2 layouts its \
            verkställighet cases get no bekräftelse yet (to be rewritten on FOGD-REF-2 content); the same paths are \
            covered end to end by tests/life_e2e.rs and tests/engine_demo.rs"]
async fn the_life_of_each_path_after_registration() {
    let (all, lives, r) = scenario().await;

    // Disputed → handed over on a begäran O (the day after it), to the configured tingsrätt.
    assert_eq!(steps(&lives, &r.court), ["bestridande", "utslag:D"]);
    let notice = &lives[&r.court][0].1;
    assert_eq!(notice["bestridande_datum"], "20260107");
    assert_eq!(notice["sista_dag"], "20260204");
    assert_eq!(lives[&r.court][1].1["domstol"], "Stockholms tingsrätt");
    assert_eq!(lives[&r.court][1].1["beslutsdatum"], "20260108");

    // Disputed, the application asked for överlämnande → handed over the day after the notice, unasked.
    assert_eq!(steps(&lives, &r.auto_court), ["bestridande", "utslag:D"]);
    assert_eq!(lives[&r.auto_court][1].1["beslutsdatum"], "20260108");

    // The application asked for enforcement → the utslag carries vs_malnummer at once, and the enforcement runs.
    let e = steps(&lives, &r.auto_enforced);
    assert_eq!(&e[..2], ["utslag:U", "lub"], "{e:?}");
    let vs = &lives[&r.auto_enforced][0].1["vs_malnummer"];
    assert!(vs.starts_with("VS-"), "{vs}");
    assert!(lives[&r.auto_enforced][1..]
        .iter()
        .all(|(_, f)| &f["malnummer"] == vs));
    assert!(e.last().unwrap().starts_with("slutredovisning:"), "{e:?}");

    // Disputed, no request → written off the day after sista_dag.
    assert_eq!(steps(&lives, &r.written_off), ["bestridande", "utslag:A"]);
    assert_eq!(lives[&r.written_off][1].1["beslutsdatum"], "20260205");

    // An utslag without a request stays as it is.
    assert_eq!(steps(&lives, &r.decided), ["utslag:U"]);

    // Utslag → begäran V → the same utslag with vs_malnummer → LUB → DELRED each month → slutredovisning.
    let e = steps(&lives, &r.enforced);
    assert_eq!(&e[..3], ["utslag:U", "utslag:U", "lub"], "{e:?}");
    let vs = lives[&r.enforced][1].1["vs_malnummer"].clone();
    assert!(vs.starts_with("VS-"), "{vs}");
    assert!(lives[&r.enforced][0].1["vs_malnummer"].is_empty());
    assert!(lives[&r.enforced][2..]
        .iter()
        .all(|(_, f)| f["malnummer"] == vs));
    assert!(e.last().unwrap().starts_with("slutredovisning:"), "{e:?}");

    // Verkställighet paid in full over 13+ months: a DELRED a month, one NYTTAVGAR, BETALD; what was paid out plus
    // the fees deducted is the debt.
    let p = &lives[&r.paid];
    let s = steps(&lives, &r.paid);
    assert_eq!(s[0], "lub");
    assert_eq!(s.last().unwrap(), "slutredovisning:BETALD");
    assert_eq!(s.iter().filter(|x| *x == "nyttavgar").count(), 1, "{s:?}");
    let delred: Vec<&Fields> = p
        .iter()
        .filter(|(s, _)| s.starts_with("delred"))
        .map(|(_, f)| f)
        .collect();
    assert!(delred.len() >= 13, "{s:?}");
    assert!(delred.iter().all(|f| f["utredning"] == "LONEUTMATNING"));
    let paid: i64 = delred
        .iter()
        .map(|f| kronor(&f["redovisat"]) + kronor(&f["avdragna_avgifter"]))
        .sum();
    let per_month = kronor(&p[0].1["belopp_per_manad"]);
    let first_remaining = kronor(&delred[0]["aterstar"]) + per_month;
    assert_eq!(paid, first_remaining);
    let fees: i64 = delred.iter().map(|f| kronor(&f["avdragna_avgifter"])).sum();
    assert_eq!(fees, 60_000, "the grundavgift is deducted from the payouts");
    let last = &p.last().unwrap().1;
    assert_eq!(last["aterstar"], "0.00");
    assert_eq!(
        kronor(&last["totalt_redovisat"]),
        paid - fees,
        "slutredovisning sums the payouts"
    );
    // Monthly: each DELRED's period starts the day after the previous one ended.
    for w in delred.windows(2) {
        let till = chrono::NaiveDate::parse_from_str(&w[0]["period_till"], "%Y-%m-%d").unwrap();
        let fran = chrono::NaiveDate::parse_from_str(&w[1]["period_fran"], "%Y-%m-%d").unwrap();
        assert_eq!(fran, till.succ_opt().unwrap());
    }

    // Verkställighet whose debtor runs out of assets: payments, then INGA_TILLGANGAR and its slutredovisning.
    let s = steps(&lives, &r.no_assets);
    assert_eq!(s[0], "lub");
    assert_eq!(
        &s[s.len() - 2..],
        ["delred:INGA_TILLGANGAR", "slutredovisning:INGA_TILLGANGAR"]
    );
    let last = &lives[&r.no_assets].last().unwrap().1;
    assert!(kronor(&last["aterstar"]) > 0);

    // Withdrawn after its LUB: the slutredovisning says ATERKALLAD, the day of the ändring.
    assert_eq!(
        steps(&lives, &r.withdrawn),
        ["lub", "slutredovisning:ATERKALLAD"]
    );
    let last = &lives[&r.withdrawn][1].1;
    assert_eq!(last["avslutat"], "2026-02-07");
    assert_eq!(last["totalt_redovisat"], "0.00");

    // Fordringsanmälan → one SKSRAPP decision, 30 days after it was lodged.
    let s = steps(&lives, &r.sks);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0] == "sks-rapport:B" || s[0] == "sks-rapport:A", "{s:?}");
    assert_eq!(lives[&r.sks][0].1["beslutsdatum"], "20260204");
    assert_eq!(
        lives[&r.sks][0].1["arendenummer"],
        golden("sks-fordringsanmalan")[0]
            .debt_restructuring_case
            .clone()
            .unwrap()
    );

    // Every kind was sent, each by its FOGD-REF-2 file name.
    let names: std::collections::BTreeSet<&str> = all.iter().map(|g| g.1.as_str()).collect();
    for n in [
        "SUPRO.DEV.BESTRID",
        "SUPRO.DEV.RAPPORT",
        "REX.DEV.SKSRAPP",
        "ints001x1_DEV.xml",
    ] {
        assert!(names.contains(n), "{n} missing in {names:?}");
    }
    for suffix in [
        "_DEV_LUB_01.xml",
        "_DEV_DELRED_01.xml",
        "_DEV_NYTTAVGAR_01.xml",
    ] {
        assert!(names.iter().any(|n| n.ends_with(suffix)), "{suffix}");
    }

    // Deterministic: a second run of the same input gives the same messages, byte for byte.
    let (again, _, _) = scenario().await;
    assert_eq!(all.len(), again.len());
    for (a, b) in all.iter().zip(&again) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        assert!(a.2 == b.2, "{} differs between two runs", a.1);
    }
}

/// `POST /sim/v1/advance` takes 1..=3660 days and nothing else; a refused call moves nothing.
#[tokio::test]
async fn advance_is_bounded() {
    let env = Env::new().await;
    for body in [
        serde_json::json!({ "days": 0 }),
        serde_json::json!({ "days": 3661 }),
        serde_json::json!({ "days": -1 }),
        serde_json::json!({ "days": 1, "hours": 2 }),
        serde_json::json!({}),
    ] {
        let (http, url) = env.admin("/sim/v1/advance");
        let r = http.post(url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let a = env.advance(3660).await;
    assert_eq!(a["calendar_days"], 3660);
    let ten_years = t0().date_naive() + chrono::Days::new(3660);
    assert_eq!(a["today"], ten_years.to_string());
    env.sim.shutdown().await;
}
