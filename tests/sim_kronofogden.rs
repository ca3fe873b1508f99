#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Kronofogden's behaviour (FOGD-REF-1) behind the simulated node, end to end over real mutual TLS on loopback:
//! files built with `formats::build_file`, sent with the `ShsClient`, receipts fetched back and parsed; time from
//! a manual clock.

use chrono::{DateTime, TimeZone, Utc};
use fogd::clock::ManualClock;
use fogd::config::Config;
use fogd::domain::{Case, CaseKind};
use fogd::formats::{
    build_file, Bekraftelse, BekraftelseTyp, Beslutstyp, BuiltFile, FileFacts, FileStatus,
    Kvittens, KvittensStatus, LayoutSet, Niva, UtslagReport,
};
use fogd::shs::label::{Address, Status};
use fogd::shs::{ClientSettings, DataPart, Label, ListFilter, ShsClient, ShsMessage};
use fogd::sim::kronofogden::is_disputed;
use fogd::sim::{SimHandle, StartOptions};
use serde_json::Value;
use std::sync::Arc;

const ME: &str = "5599999991";
const NODE: &str = "2021000001";

/// Monday 2026-01-05 10:00 UTC (11:00 in Stockholm).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    config: Config,
    clock: ManualClock,
    sim: Option<SimHandle>,
    set: LayoutSet,
}

impl Env {
    async fn new(f: impl FnOnce(&mut Config)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut c = Config::default();
        c.tls.ca = d.join("certs/ca.pem");
        c.tls.identity = d.join("certs/client-identity.pem");
        c.tls.server_cert = d.join("certs/server.pem");
        c.tls.server_key = d.join("certs/server-key.pem");
        c.sim.state = d.join("sim.db");
        c.sim.utslag_delay_secs = 3600;
        f(&mut c);
        let mut env = Env {
            _dir: dir,
            config: c,
            clock: ManualClock::new(t0()),
            sim: None,
            set: LayoutSet::embedded(),
        };
        env.start().await;
        env
    }

    async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = fogd::sim::start_kronofogden(
            self.config.clone(),
            StartOptions {
                listener: Some(listener),
                faults: None,
                clock: Some(Arc::new(self.clock.clone())),
            },
        )
        .await
        .unwrap();
        self.config.shs.url = sim.shs_url();
        self.sim = Some(sim);
    }

    async fn restart(&mut self) {
        self.sim.take().unwrap().shutdown().await;
        self.start().await;
    }

    fn client(&self) -> ShsClient {
        ShsClient::new(ClientSettings::from_config(&self.config)).unwrap()
    }

    fn raw(&self) -> reqwest::Client {
        let ca = std::fs::read(&self.config.tls.ca).unwrap();
        let id = std::fs::read(&self.config.tls.identity).unwrap();
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .identity(reqwest::Identity::from_pem(&id).unwrap())
            .build()
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        let base = self.config.shs.url.trim_end_matches("/shs");
        format!("{base}{path}")
    }

    async fn admin(&self, path: &str) -> Vec<Value> {
        let r = self.raw().get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Vec<Value>>().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.raw()
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    fn build(&self, kind: CaseKind, cases: &[Case], lop: u32) -> BuiltFile {
        build_file(&self.set, kind, cases, &facts(lop)).unwrap()
    }

    /// Sends a built file (with its missiv, or `missiv` instead; `None` = no missiv part).
    async fn send_parts(&self, kind: CaseKind, b: &BuiltFile, missiv: Option<&[u8]>) -> String {
        let product = &self.config.shs.products[kind.layout_name()];
        let label = Label::new_event(
            Address::new(ME, Some("Utvecklings Inkasso AB")),
            Address::new(NODE, None),
            product,
            Status::Test,
            self.clock.now_local(),
        );
        let mut parts = vec![DataPart::new(
            "transaktionsfil",
            Some(&b.file_name),
            "text/plain; charset=ISO-8859-1",
            b.bytes.clone(),
        )];
        if let Some(m) = missiv {
            parts.push(DataPart::new(
                "missiv",
                Some(&b.missiv_name),
                "text/plain; charset=ISO-8859-1",
                m.to_vec(),
            ));
        }
        let msg = ShsMessage::new(label, parts);
        self.client().send(&msg).await.unwrap();
        msg.label.corr_id
    }

    async fn send(&self, kind: CaseKind, b: &BuiltFile) -> String {
        self.send_parts(kind, b, Some(&b.missiv_bytes)).await
    }

    /// Everything in our outbox: (product key, corr.id, file name, bytes); fetched and acknowledged.
    async fn inbox(&self) -> Vec<(String, String, String, Vec<u8>)> {
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
                f.message.label.corr_id.clone(),
                p.filename.clone().unwrap_or_default(),
                p.bytes().unwrap().to_vec(),
            ));
        }
        out
    }

    /// Exactly one kvittens waiting: parsed, with its file name; checks its correlation.
    async fn kvittens(&self, corr: &str) -> (String, Kvittens) {
        let mut got = self.inbox().await;
        assert_eq!(got.len(), 1, "{:?}", names(&got));
        let (key, c, name, bytes) = got.remove(0);
        assert_eq!(key, "kvittens");
        assert_eq!(c, corr);
        (name, Kvittens::parse(&self.set, &bytes).unwrap())
    }
}

trait LocalNow {
    fn now_local(&self) -> chrono::NaiveDateTime;
}
impl LocalNow for ManualClock {
    fn now_local(&self) -> chrono::NaiveDateTime {
        use fogd::clock::Clock;
        self.now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .naive_local()
    }
}

fn names(v: &[(String, String, String, Vec<u8>)]) -> Vec<(String, String)> {
    v.iter().map(|x| (x.0.clone(), x.2.clone())).collect()
}

fn facts(lop: u32) -> FileFacts {
    FileFacts {
        intressentkod: "DEV".into(),
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

fn cases(kind: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(format!(
        "{}/fixtures/golden/cases/{kind}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The golden BFÖ cases with new references.
fn bfo(refs: &[&str]) -> Vec<Case> {
    let base = cases("bfo-ansokan");
    refs.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut c = base[i % base.len()].clone();
            c.reference = (*r).into();
            c
        })
        .collect()
}

fn follow_up(kind: &str, i: usize, reference: &str, malnummer: &str) -> Case {
    let mut c = cases(kind)[i].clone();
    c.reference = reference.into();
    c.malnummer = Some(malnummer.into());
    c
}

fn felkoder(k: &Kvittens) -> Vec<&str> {
    k.errors.iter().map(|e| e.felkod.as_str()).collect()
}

/// Replaces the 12-digit debtor id of record 20 of case `href` with `id`.
fn patch_debtor_id(bytes: &mut [u8], href: &str, id: &str) {
    let mut pos = 0;
    let mut found = None;
    for line in bytes.split(|&b| b == b'\n') {
        if line.starts_with(b"20") && line[2..22].starts_with(href.as_bytes()) {
            found = Some(pos);
            break;
        }
        pos += line.len() + 1;
    }
    if let Some(pos) = found {
        bytes[pos + 25..pos + 37].copy_from_slice(id.as_bytes());
        return;
    }
    panic!("no record 20 for {href}");
}

#[tokio::test]
async fn bfo_lifecycle_kvittens_evening_run_follow_ups_and_utslag() {
    let env = Env::new(|c| c.sim.disputed_share = 0.5).await;
    let refs = ["BFO-A", "BFO-B", "BFO-C", "BFO-D", "BFO-E", "BFO-F"];
    let cs = bfo(&refs);
    let b = env.build(CaseKind::Betalningsforelaggande, &cs, 1);
    let corr = env.send(CaseKind::Betalningsforelaggande, &b).await;
    let (name, k) = env.kvittens(&corr).await;
    assert_eq!(name, "SUPRO.DEV.KVITTENS");
    assert_eq!(k.status, KvittensStatus::Godkand);
    assert_eq!(k.avser_filtyp, "ANSOKAN");
    assert_eq!(k.avser_lopnummer, 1);
    assert_eq!(k.antal_godkanda, 6);
    assert!(k.errors.is_empty());

    // No bekräftelse before the evening; the cron (19:00 Stockholm = 18:00 UTC) brings it.
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 5, 17, 59, 0).unwrap());
    assert!(env.inbox().await.is_empty());
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 5, 18, 0, 30).unwrap());
    let got = env.inbox().await;
    assert_eq!(got.len(), 1, "{:?}", names(&got));
    assert_eq!(got[0].0, "bekraftelse");
    assert_eq!(got[0].1, corr);
    assert_eq!(got[0].2, "SUPRO.DEV.ANSBEKR");
    let bek = Bekraftelse::parse(&env.set, &got[0].3).unwrap();
    assert_eq!(bek.filtyp, BekraftelseTyp::Ansbekr);
    assert_eq!(bek.avser_lopnummer, 1);
    let refs_back: Vec<&str> = bek.entries.iter().map(|e| e.reference.as_str()).collect();
    assert_eq!(refs_back, refs);
    let mal: Vec<String> = bek.entries.iter().map(|e| e.malnummer.clone()).collect();
    assert!(mal
        .iter()
        .all(|m| m.starts_with("BF-") && m.ends_with("-26")));
    let unique: std::collections::HashSet<_> = mal.iter().collect();
    assert_eq!(unique.len(), mal.len());
    // A second run has nothing new.
    let r: Value = env
        .post("/sim/v1/evening-run", Value::Null)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["replies"], 0);

    // Nedsättning: one known (BFO-A by 2500 kr), one unknown målnummer.
    let neds = vec![
        follow_up("bfo-nedsattning", 0, "NED-1", &mal[0]),
        follow_up("bfo-nedsattning", 1, "NED-2", "BF-999999-26"),
    ];
    let reduction = neds[0].amount.unwrap().0;
    let b = env.build(CaseKind::Nedsattning, &neds, 1);
    let corr = env.send(CaseKind::Nedsattning, &b).await;
    let (name, k) = env.kvittens(&corr).await;
    assert_eq!(name, "SUPRO.DEV.NEDKVITT");
    assert_eq!(k.status, KvittensStatus::Godkand);
    assert_eq!((k.antal_godkanda, k.antal_underkanda), (1, 1));
    assert_eq!(k.errors.len(), 1);
    assert_eq!(k.errors[0].niva, Niva::H);
    assert_eq!(k.errors[0].reference.as_deref(), Some("NED-2"));
    assert_eq!(k.errors[0].felkod, "0050");

    // Återkallelse of BFO-B: applied at once; the withdrawal shows as R in the next report.
    let atk = vec![follow_up("bfo-aterkallelse", 0, "ATK-1", &mal[1])];
    let b = env.build(CaseKind::Aterkallelse, &atk, 1);
    let corr = env.send(CaseKind::Aterkallelse, &b).await;
    let got = env.inbox().await;
    assert_eq!(got.len(), 2, "{:?}", names(&got));
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("kvittens", corr.as_str())
    );
    assert_eq!(got[0].2, "SUPRO.DEV.ATK.KVITTENS");
    let k = Kvittens::parse(&env.set, &got[0].3).unwrap();
    assert_eq!(k.status, KvittensStatus::Godkand);
    assert_eq!(
        (got[1].0.as_str(), got[1].2.as_str()),
        ("utslag", "SUPRO.DEV.RAPPORT")
    );
    let rep = UtslagReport::parse(&env.set, &got[1].3).unwrap();
    assert_eq!(rep.decisions.len(), 1);
    assert_eq!(rep.decisions[0].reference, "BFO-B");
    assert_eq!(rep.decisions[0].beslutstyp, Beslutstyp::Aterkallad);

    // A second återkallelse of the withdrawn case: closed (0051).
    let atk = vec![follow_up("bfo-aterkallelse", 0, "ATK-2", &mal[1])];
    let b = env.build(CaseKind::Aterkallelse, &atk, 2);
    let corr = env.send(CaseKind::Aterkallelse, &b).await;
    let (_, k) = env.kvittens(&corr).await;
    assert_eq!(k.status, KvittensStatus::Godkand);
    assert_eq!(felkoder(&k), ["0051"]);

    // Utslag after the delay: U with the claimed total (less the nedsättning) or A, as is_disputed predicts.
    env.clock.advance(chrono::Duration::seconds(3599 - 30));
    assert!(env.inbox().await.is_empty(), "not due yet");
    env.clock.advance(chrono::Duration::seconds(60));
    let got = env.inbox().await;
    assert_eq!(got.len(), 1, "{:?}", names(&got));
    let rep = UtslagReport::parse(&env.set, &got[0].3).unwrap();
    assert_eq!(rep.decisions.len(), 5);
    let mut disputed = 0;
    for d in &rep.decisions {
        let i = refs.iter().position(|r| *r == d.reference).unwrap();
        assert_eq!(d.malnummer, mal[i]);
        if is_disputed("DEV", &d.reference, 0.5) {
            disputed += 1;
            assert_eq!(d.beslutstyp, Beslutstyp::Avskrivning);
            assert_eq!(d.faststallt_belopp.0, 0);
        } else {
            assert_eq!(d.beslutstyp, Beslutstyp::Utslag);
            let want = cs[i].total_amount().0 - if i == 0 { reduction } else { 0 };
            assert_eq!(d.faststallt_belopp.0, want, "{}", d.reference);
            assert!(!d.utslag_ref.is_empty());
        }
    }
    assert!(
        disputed > 0 && disputed < 5,
        "the refs were chosen to give both"
    );

    // A nedsättning after the decision: closed.
    let neds = vec![follow_up("bfo-nedsattning", 1, "NED-3", &mal[2])];
    let b = env.build(CaseKind::Nedsattning, &neds, 2);
    let corr = env.send(CaseKind::Nedsattning, &b).await;
    let (_, k) = env.kvittens(&corr).await;
    assert_eq!(felkoder(&k), ["0051"]);

    // Admin views.
    let files = env.admin("/sim/v1/files").await;
    assert_eq!(files.len(), 5);
    assert_eq!(files[0]["name"], "DEV.ANSOKAN");
    assert_eq!(files[0]["filtyp"], "ANSOKAN");
    assert_eq!(files[0]["intressentkod"], "DEV");
    assert_eq!(files[0]["lopnummer"], 1);
    assert_eq!(files[0]["status"], "G");
    assert_eq!(files[0]["handlingsrefs"].as_array().unwrap().len(), 6);
    assert_eq!(files[0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(files[0]["received"], "2026-01-05T11:00:00");
    assert!(files[0]["tx_id"].as_str().is_some());
    assert_eq!(files[1]["felkoder"][0], "0050");
    let cases = env.admin("/sim/v1/cases").await;
    let a = cases.iter().find(|c| c["handlingsref"] == "BFO-A").unwrap();
    assert_eq!(a["malnummer"], mal[0].as_str());
    assert_eq!(a["claimed_ore"], cs[0].total_amount().0);
    assert_eq!(a["current_ore"], cs[0].total_amount().0 - reduction);
    let b_ = cases.iter().find(|c| c["handlingsref"] == "BFO-B").unwrap();
    assert_eq!(
        (b_["status"].as_str(), b_["decision"].as_str()),
        (Some("withdrawn"), Some("R"))
    );
    let n2 = cases.iter().find(|c| c["handlingsref"] == "NED-2").unwrap();
    assert_eq!(n2["status"], "rejected");
    assert_eq!(n2["felkoder"][0], "0050");
}

#[tokio::test]
async fn lopnummer_series_missiv_and_malformed_files() {
    let env = Env::new(|_| {}).await;
    let k = CaseKind::Betalningsforelaggande;
    let b1 = env.build(k, &bfo(&["L-1"]), 1);
    let corr = env.send(k, &b1).await;
    assert_eq!(env.kvittens(&corr).await.1.status, KvittensStatus::Godkand);

    // A gap: 3 after 1.
    let b3 = env.build(k, &bfo(&["L-3"]), 3);
    let corr = env.send(k, &b3).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(kv.status, KvittensStatus::Underkand);
    assert_eq!(felkoder(&kv), ["0010"]);
    assert_eq!(kv.errors[0].niva, Niva::F);
    assert_eq!((kv.antal_godkanda, kv.antal_underkanda), (0, 1));

    // A repeat of an approved number.
    let again = env.build(k, &bfo(&["L-1b"]), 1);
    let corr = env.send(k, &again).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0011"])
    );

    // Missiv disagreeing (it describes another file) and a missing missiv.
    let b2 = env.build(k, &bfo(&["L-2", "L-2b"]), 2);
    let corr = env.send_parts(k, &b2, Some(&b3.missiv_bytes)).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(kv.status, KvittensStatus::Underkand);
    assert!(!kv.errors.is_empty());
    assert!(felkoder(&kv).iter().all(|c| *c == "0021"), "{kv:?}");
    let corr = env.send_parts(k, &b2, None).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0020"])
    );

    // A malformed record: one record cut short → 0002.
    let mut bad = b2.clone();
    let pos = bad.bytes.windows(4).position(|w| w == b"\r\n30").unwrap() + 2;
    bad.bytes.remove(pos + 100);
    let corr = env.send(k, &bad).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(kv.status, KvittensStatus::Underkand);
    assert!(felkoder(&kv).contains(&"0002"), "{kv:?}");
    assert!(kv.errors.iter().all(|e| e.niva == Niva::F));
    // The wrong TOT-BEL → 0031 (the missiv is not compared for a broken file).
    let mut bad = b2.clone();
    let tail = bad.bytes.len() - 130;
    assert_eq!(&bad.bytes[tail..tail + 2], b"99");
    bad.bytes[tail + 29] = if bad.bytes[tail + 29] == b'9' {
        b'8'
    } else {
        b'9'
    };
    let corr = env.send(k, &bad).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0031"])
    );

    // The corrected file is accepted with the same löpnummer.
    let corr = env.send(k, &b2).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, kv.avser_lopnummer),
        (KvittensStatus::Godkand, 2)
    );

    // The reject-next hook (admin route), then the same number again is accepted.
    let r = env
        .post("/sim/v1/reject-next", serde_json::json!({"felkod": "0021"}))
        .await;
    assert_eq!(r.status(), 200);
    let bad = env
        .post("/sim/v1/reject-next", serde_json::json!({"felkod": "21"}))
        .await;
    assert_eq!(bad.status(), 400);
    let b3 = env.build(k, &bfo(&["L-3"]), 3);
    let corr = env.send(k, &b3).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0021"])
    );
    // The in-process hook (what `fogd demo` uses), through the fault spec.
    env.sim
        .as_ref()
        .unwrap()
        .add_faults("reject=0003*1")
        .unwrap();
    let b3b = env.build(k, &bfo(&["L-3", "L-3x"]), 3);
    let corr = env.send(k, &b3b).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0003"])
    );
    let corr = env.send(k, &b3).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, kv.avser_lopnummer),
        (KvittensStatus::Godkand, 3)
    );

    // Series are per filtyp: a nedsättning series starts at 1.
    let files = env.admin("/sim/v1/files").await;
    let st: Vec<(i64, &str)> = files
        .iter()
        .map(|f| {
            (
                f["lopnummer"].as_i64().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        st,
        [
            (1, "G"),
            (3, "U"),
            (1, "U"),
            (2, "U"),
            (2, "U"),
            (2, "U"),
            (2, "U"),
            (2, "G"),
            (3, "U"),
            (3, "U"),
            (3, "G")
        ]
    );
    // Only the accepted files' cases are registered in the evening.
    let r: Value = env
        .post("/sim/v1/evening-run", Value::Null)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["replies"], 3);
    let cases = env.admin("/sim/v1/cases").await;
    let refs: Vec<&str> = cases
        .iter()
        .map(|c| c["handlingsref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["L-1", "L-2", "L-2b", "L-3"]);
    assert!(cases.iter().all(|c| c["status"] == "registered"));
}

#[tokio::test]
async fn case_level_errors_reject_only_their_cases() {
    let env = Env::new(|_| {}).await;
    let k = CaseKind::Betalningsforelaggande;
    // A bad personnummer in one case of three → G, H/0041 for that case only.
    let mut b = env.build(k, &bfo(&["H-1", "H-2", "H-3"]), 1);
    patch_debtor_id(&mut b.bytes, "H-2", "198001011232");
    let corr = env.send(k, &b).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(kv.status, KvittensStatus::Godkand);
    assert_eq!((kv.antal_godkanda, kv.antal_underkanda), (2, 1));
    assert_eq!(felkoder(&kv), ["0041"]);
    assert_eq!(kv.errors[0].niva, Niva::H);
    assert_eq!(kv.errors[0].reference.as_deref(), Some("H-2"));

    // Duplicates: H-1 again (already held), H-2 again (was rejected: fine), H-4 twice in the file.
    let b = env.build(k, &bfo(&["H-1", "H-2", "H-4", "H-4"]), 2);
    let corr = env.send(k, &b).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(kv.status, KvittensStatus::Godkand);
    assert_eq!((kv.antal_godkanda, kv.antal_underkanda), (2, 2));
    let errs: Vec<(Option<&str>, &str)> = kv
        .errors
        .iter()
        .map(|e| (e.reference.as_deref(), e.felkod.as_str()))
        .collect();
    assert_eq!(errs, [(Some("H-1"), "0060"), (Some("H-4"), "0060")]);

    // The evening run registers exactly the accepted ones.
    env.post("/sim/v1/evening-run", Value::Null).await;
    let got = env.inbox().await;
    assert_eq!(got.len(), 2);
    let regs: Vec<Vec<String>> = got
        .iter()
        .map(|g| {
            Bekraftelse::parse(&env.set, &g.3)
                .unwrap()
                .entries
                .into_iter()
                .map(|e| e.reference)
                .collect()
        })
        .collect();
    assert_eq!(regs, [vec!["H-1", "H-3"], vec!["H-2", "H-4"]]);
}

#[tokio::test]
async fn verkstallighet_andring_and_fordringsanmalan() {
    let env = Env::new(|_| {}).await;
    let mut vs = cases("vst-ansokan");
    let base = vs[0].clone();
    for r in ["VS-2", "VS-3"] {
        let mut c = base.clone();
        c.reference = r.into();
        vs.push(c);
    }
    let b = env.build(CaseKind::Verkstallighet, &vs, 1);
    let corr = env.send(CaseKind::Verkstallighet, &b).await;
    let (name, kv) = env.kvittens(&corr).await;
    assert_eq!(name, "REX.DEV.KVITTENS");
    assert_eq!(
        (kv.status, kv.avser_filtyp.as_str()),
        (KvittensStatus::Godkand, "EMALIN")
    );
    env.post("/sim/v1/evening-run", Value::Null).await;
    let got = env.inbox().await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].2.as_str()),
        ("bekraftelse", "DEV.EMALUT")
    );
    let bek = Bekraftelse::parse(&env.set, &got[0].3).unwrap();
    assert_eq!(bek.filtyp, BekraftelseTyp::Emalut);
    let mal: Vec<String> = bek.entries.iter().map(|e| e.malnummer.clone()).collect();
    assert!(mal.iter().all(|m| m.starts_with("VS-")));

    // Ändring: belopp, uppskov, återkallelse on the three; a BFÖ-style or unknown målnummer → 0050.
    let ands = vec![
        follow_up("vst-andring", 0, "AND-1", &mal[0]),
        follow_up("vst-andring", 1, "AND-2", &mal[1]),
        follow_up("vst-andring", 2, "AND-3", &mal[2]),
        follow_up("vst-andring", 0, "AND-4", "BF-000001-26"),
    ];
    let b = env.build(CaseKind::VerkstallighetAndring, &ands, 1);
    let corr = env.send(CaseKind::VerkstallighetAndring, &b).await;
    let (name, kv) = env.kvittens(&corr).await;
    assert_eq!(name, "REX.DEV.KVITTENS");
    assert_eq!(
        (kv.status, kv.avser_filtyp.as_str()),
        (KvittensStatus::Godkand, "ANDRING")
    );
    assert_eq!(felkoder(&kv), ["0050"]);
    let all = env.admin("/sim/v1/cases").await;
    let get = |r: &str| all.iter().find(|c| c["handlingsref"] == r).unwrap().clone();
    assert_eq!(
        get("VST-0001")["current_ore"],
        ands[0].change.as_ref().unwrap().amount.unwrap().0
    );
    assert_eq!(get("VS-2")["deferral_until"], "2024-09-30");
    assert_eq!(get("VS-3")["status"], "withdrawn");
    assert_eq!(get("AND-1")["status"], "applied");
    assert_eq!(get("AND-1")["concerns_malnummer"], mal[0].as_str());
    // A later ändring of the withdrawn case: 0051.
    let b = env.build(
        CaseKind::VerkstallighetAndring,
        &[follow_up("vst-andring", 0, "AND-5", &mal[2])],
        2,
    );
    let corr = env.send(CaseKind::VerkstallighetAndring, &b).await;
    assert_eq!(felkoder(&env.kvittens(&corr).await.1), ["0051"]);

    // Fordringsanmälan: kvittens only, lodged; no bekräftelse, no utslag.
    let b = env.build(
        CaseKind::Fordringsanmalan,
        &cases("sks-fordringsanmalan"),
        1,
    );
    let corr = env.send(CaseKind::Fordringsanmalan, &b).await;
    let (name, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (name.as_str(), kv.status, kv.avser_filtyp.as_str()),
        ("REX.DEV.KVITTENS", KvittensStatus::Godkand, "SKSANM")
    );
    env.post("/sim/v1/evening-run", Value::Null).await;
    env.clock.advance(chrono::Duration::days(2));
    assert!(env.inbox().await.is_empty());
    let all = env.admin("/sim/v1/cases").await;
    let s = all
        .iter()
        .find(|c| c["handlingsref"] == "SKS-0001")
        .unwrap();
    assert_eq!(s["status"], "lodged");
    assert_eq!(s["kind"], "fordringsanmalan");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let mut env = Env::new(|_| {}).await;
    let k = CaseKind::Betalningsforelaggande;
    let corr = env.send(k, &env.build(k, &bfo(&["R-1"]), 1)).await;
    assert_eq!(env.kvittens(&corr).await.1.status, KvittensStatus::Godkand);
    env.restart().await;
    // The series and the case register survived.
    let corr = env.send(k, &env.build(k, &bfo(&["R-1"]), 1)).await;
    assert_eq!(felkoder(&env.kvittens(&corr).await.1), ["0011"]);
    let corr = env.send(k, &env.build(k, &bfo(&["R-1", "R-2"]), 2)).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Godkand, vec!["0060"])
    );
    // An evening run missed while stopped happens at the first tick after the restart.
    env.sim.take().unwrap().shutdown().await;
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 6, 7, 0, 0).unwrap());
    env.start().await;
    let got = env.inbox().await;
    assert_eq!(got.len(), 2, "{:?}", names(&got));
    assert!(got.iter().all(|g| g.0 == "bekraftelse"));
    // Målnummer keep counting after a restart.
    env.restart().await;
    let corr = env.send(k, &env.build(k, &bfo(&["R-3"]), 3)).await;
    env.kvittens(&corr).await;
    env.post("/sim/v1/evening-run", Value::Null).await;
    let got = env.inbox().await;
    let bek = Bekraftelse::parse(&env.set, &got[0].3).unwrap();
    assert_eq!(bek.entries[0].malnummer, "BF-000003-26");
    assert_eq!(env.admin("/sim/v1/files").await.len(), 4);
}

#[tokio::test]
async fn no_evening_run_on_weekends_and_foreign_products_refused() {
    let env = Env::new(|_| {}).await;
    let k = CaseKind::Betalningsforelaggande;
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 10, 10, 0, 0).unwrap()); // Saturday
    assert!(
        env.inbox().await.is_empty(),
        "the missed Monday run had nothing to do"
    );
    let corr = env.send(k, &env.build(k, &bfo(&["W-1"]), 1)).await;
    env.kvittens(&corr).await;
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 11, 20, 0, 0).unwrap()); // Sunday evening
    assert!(env.inbox().await.is_empty());
    env.clock
        .set(Utc.with_ymd_and_hms(2026, 1, 12, 18, 5, 0).unwrap()); // Monday 19:05 Stockholm
    assert_eq!(env.inbox().await.len(), 1);

    // A message with an inbound product (kvittens) is refused with an SHS error; nothing is recorded.
    let b = env.build(k, &bfo(&["W-2"]), 2);
    let label = Label::new_event(
        Address::new(ME, None),
        Address::new(NODE, None),
        &env.config.shs.products["kvittens"],
        Status::Test,
        env.clock.now_local(),
    );
    let msg = ShsMessage::new(
        label,
        vec![DataPart::new(
            "transaktionsfil",
            Some("DEV.ANSOKAN"),
            "text/plain",
            b.bytes,
        )],
    );
    let err = env.client().send(&msg).await.unwrap_err();
    assert!(err.to_string().contains("IllegalProductType"), "{err}");
    assert_eq!(env.admin("/sim/v1/files").await.len(), 1);
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `fogd sim` binary runs this behaviour, and `--faults reject=FELKOD*1` rejects the first file.
#[tokio::test]
async fn fogd_sim_binary_answers_as_kronofogden() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("certs");
    let toml = format!(
        "[tls]\nca = \"{c}/ca.pem\"\nidentity = \"{c}/client-identity.pem\"\nserver_cert = \"{c}/server.pem\"\nserver_key = \"{c}/server-key.pem\"\n",
        c = c.display()
    );
    std::fs::write(dir.path().join("fogd.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--faults",
            "reject=0021*1",
            "--state",
        ])
        .arg(dir.path().join("sim.db"))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    let mut config = Config::default();
    config.tls.ca = c.join("ca.pem");
    config.tls.identity = c.join("client-identity.pem");
    config.shs.url = format!("https://{addr}/shs");
    let env = Env {
        _dir: dir,
        config,
        clock: ManualClock::new(t0()),
        sim: None,
        set: LayoutSet::embedded(),
    };
    let k = CaseKind::Betalningsforelaggande;
    let b = env.build(k, &bfo(&["BIN-1"]), 1);
    let corr = env.send(k, &b).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!(
        (kv.status, felkoder(&kv)),
        (KvittensStatus::Underkand, vec!["0021"])
    );
    let corr = env.send(k, &b).await;
    let (_, kv) = env.kvittens(&corr).await;
    assert_eq!((kv.status, kv.antal_godkanda), (KvittensStatus::Godkand, 1));
}

/// FOGD-REF-2 end to end (fogd-ref-2.md §1, §2.1): an application with an ombud, a bought claim, both requests and
/// rättegångskostnader is imported (the intake form, validated), built in FOGD-REF-2, and accepted by the node (G);
/// the same file naming an edition the node does not know gets U with felkod 0005; a FOGD-REF-1 file is still
/// served by the same node.
#[tokio::test]
async fn a_fogd_ref_2_application_is_accepted_and_an_unknown_edition_gets_0005() {
    use fogd::domain::intake::open_source;
    use fogd::domain::validate::{validate, Rules, ValidationContext};
    let mut env = Env::new(|_| {}).await;
    env.set = LayoutSet::embedded_edition("FOGD-REF-2").unwrap();
    let input = serde_json::json!([{
        "reference": "R2-E2E-1", "kind": "betalningsforelaggande",
        "creditor": { "id": "559999-9991", "name": "Utvecklings Inkasso AB", "street": "Box 1",
                      "postal_code": "111 22", "city": "Stockholm", "email": "inkasso@example.se" },
        "agent": { "id": "556036-0793", "name": "Ombud AB", "street": "Gatan 2", "postal_code": "41101",
                   "city": "Göteborg", "reference": "OMB-1" },
        "original_creditor": { "id": "556677-8808", "name": "Säljaren AB", "transfer_date": "2025-10-01" },
        "requests": { "enforcement": true, "court_if_disputed": true },
        "debtors": [ { "id": "19121212-1212", "name": "Tolvan Tolvansson", "business": true,
                       "street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm" } ],
        "claims": [
          { "kind": "kapital", "amount": "4500", "due_date": "2025-09-30", "arose": "2025-08-15",
            "basis": "Obetald faktura 1001" },
          { "kind": "ansokningsavgift", "amount": "300", "basis": "Ansökningsavgift" },
          { "kind": "ombudsarvode", "amount": "380", "basis": "Ombudsarvode" }
        ]
    }]);
    let ctx = ValidationContext {
        rules: Rules::default(),
        today: t0().date_naive(),
        default_intressentkod: "DEV".into(),
    };
    let text = input.to_string();
    let src = open_source(text.as_bytes(), None).unwrap();
    let cases: Vec<Case> = src
        .records()
        .unwrap()
        .map(|r| {
            let v = validate(r.input.as_ref().unwrap(), &ctx);
            v.case.unwrap_or_else(|| panic!("{:#?}", v.issues))
        })
        .collect();
    let case = &cases[0];
    assert!(case.agent.is_some() && case.original_creditor.is_some());
    assert!(case.requests.enforcement && case.requests.court_if_disputed);

    let kind = CaseKind::Betalningsforelaggande;
    let b = env.build(kind, &cases, 1);
    assert_eq!(&b.bytes[33..43], b"FOGD-REF-2");
    let corr = env.send(kind, &b).await;
    let (_, k) = env.kvittens(&corr).await;
    assert_eq!(k.status, KvittensStatus::Godkand, "{:?}", k.errors);
    assert!(k.errors.is_empty(), "{:?}", k.errors);
    assert_eq!((k.antal_godkanda, k.antal_underkanda), (1, 0));

    // The same application, naming an edition the node does not know.
    let mut other = cases.clone();
    other[0].reference = "R2-E2E-2".into();
    let mut b = env.build(kind, &other, 2);
    b.bytes[33..43].copy_from_slice(b"FOGD-REF-9");
    let corr = env.send(kind, &b).await;
    let (_, k) = env.kvittens(&corr).await;
    assert_eq!(k.status, KvittensStatus::Underkand);
    assert_eq!(k.errors[0].felkod, "0005", "{:?}", k.errors);
    assert_eq!(k.errors[0].niva, Niva::F);

    // The U file did not use löpnummer 2: a FOGD-REF-1 file takes it, read with FOGD-REF-1's layouts.
    let ref1 = LayoutSet::embedded();
    let mut old = cases.clone();
    old[0].reference = "R1-E2E-3".into();
    old[0].agent.as_mut().unwrap().name = String::new();
    let b = build_file(
        &ref1,
        kind,
        &[fogd::domain::Case {
            original_creditor: None,
            requests: Default::default(),
            claims: old[0].claims[..1].to_vec(),
            ..old[0].clone()
        }],
        &facts(2),
    )
    .unwrap();
    assert_eq!(&b.bytes[33..43], b"FOGD-REF-1");
    let corr = env.send(kind, &b).await;
    let (_, k) = env.kvittens(&corr).await;
    assert_eq!(k.status, KvittensStatus::Godkand, "{:?}", k.errors);
}
