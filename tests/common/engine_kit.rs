//! Shared kit for engine tests: stores on both backends, an in-process fake SHS node (no TLS), and helpers that
//! import and approve fixture cases and answer files with kvittens / bekräftelse / utslag built by `formats`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use fogd::clock::{ManualClock, SharedClock};
use fogd::config::Config;
use fogd::engine::import::{import, ImportOptions};
use fogd::engine::journal::{approve, Selection};
use fogd::engine::{Engine, ShsPort};
use fogd::formats::{
    Bekraftelse, BekraftelseEntry, BekraftelseTyp, Beslutstyp, Decision, Kvittens, KvittensError,
    KvittensStatus, LayoutSet, Niva, UtslagReport,
};
use fogd::shs::label::Address;
use fogd::shs::{
    DataPart, FetchedMessage, Label, ListEntry, MessageList, SendReceipt, SequenceType,
    ShsClientError, ShsMessage, Status,
};
use fogd::store::Store;
use futures_util::future::BoxFuture;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// What the fake does with the next send.
#[derive(Debug)]
pub enum SendFault {
    /// Fail before the body left (nothing stored).
    Before(ShsClientError),
    /// Store the message, then fail (the answer is lost).
    After(ShsClientError),
}

/// An in-process SHS node: keeps what was sent, serves an outbox for the ingivare.
#[derive(Default)]
pub struct FakeShs {
    pub sent: Mutex<Vec<ShsMessage>>,
    pub attempts: Mutex<Vec<String>>,
    seen: Mutex<HashSet<String>>,
    pub faults: Mutex<VecDeque<SendFault>>,
    pub outbox: Mutex<Vec<(String, Bytes)>>,
    pub acks: Mutex<Vec<String>>,
}

impl FakeShs {
    /// Puts a message with one data part into the ingivare's outbox.
    pub fn reply(
        &self,
        product: &str,
        name: &str,
        datapart: &str,
        bytes: Vec<u8>,
        corr: Option<&str>,
    ) -> String {
        let mut label = Label::new_event(
            Address::new("2021000001", None),
            Address::new("5599999991", None),
            product,
            Status::Test,
            NaiveDate::from_ymd_opt(2026, 6, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        );
        if let Some(c) = corr {
            label.corr_id = c.to_string();
        }
        let tx = label.tx_id.clone();
        let msg = ShsMessage::new(
            label,
            vec![DataPart::new(
                datapart,
                Some(name),
                "text/plain; charset=ISO-8859-1",
                bytes,
            )],
        );
        self.outbox
            .lock()
            .unwrap()
            .push((tx.clone(), Bytes::from(msg.to_bytes().unwrap())));
        tx
    }
}

impl ShsPort for FakeShs {
    fn send<'a>(
        &'a self,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<SendReceipt, ShsClientError>> {
        Box::pin(async move {
            self.attempts.lock().unwrap().push(msg.label.tx_id.clone());
            let fault = self.faults.lock().unwrap().pop_front();
            let store = |s: &FakeShs| -> bool {
                let dup = !s.seen.lock().unwrap().insert(msg.label.tx_id.clone());
                if !dup {
                    s.sent.lock().unwrap().push(msg.clone());
                }
                dup
            };
            match fault {
                Some(SendFault::Before(e)) => Err(e),
                Some(SendFault::After(e)) => {
                    store(self);
                    Err(e)
                }
                None => {
                    let duplicate = store(self);
                    Ok(SendReceipt {
                        tx_id: msg.label.tx_id.clone(),
                        corr_id: Some(msg.label.corr_id.clone()),
                        content_id: None,
                        node_id: None,
                        local_id: None,
                        arrival: None,
                        duplicate,
                    })
                }
            }
        })
    }
    fn list<'a>(&'a self, _outbox: &'a str) -> BoxFuture<'a, Result<MessageList, ShsClientError>> {
        Box::pin(async move {
            let messages = self
                .outbox
                .lock()
                .unwrap()
                .iter()
                .map(|(tx, _)| ListEntry {
                    tx_id: tx.clone(),
                    corr_id: None,
                    content_id: None,
                    timestamp: None,
                    size: None,
                    originator: None,
                    from: None,
                    to: None,
                    end_recipient: None,
                    product: None,
                    sequence_type: SequenceType::Event,
                    status: Status::Test,
                    meta: Vec::new(),
                    subject: None,
                    data: Vec::new(),
                })
                .collect();
            Ok(MessageList { messages })
        })
    }
    fn fetch<'a>(
        &'a self,
        _outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<FetchedMessage, ShsClientError>> {
        Box::pin(async move {
            let raw = self
                .outbox
                .lock()
                .unwrap()
                .iter()
                .find(|(t, _)| t == tx_id)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| ShsClientError::NotFound(tx_id.to_string()))?;
            let message = ShsMessage::parse(raw.clone()).unwrap();
            Ok(FetchedMessage { raw, message })
        })
    }
    fn ack<'a>(
        &'a self,
        _outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ShsClientError>> {
        Box::pin(async move {
            self.acks.lock().unwrap().push(tx_id.to_string());
            let mut o = self.outbox.lock().unwrap();
            let before = o.len();
            o.retain(|(t, _)| t != tx_id);
            if o.len() == before {
                return Err(ShsClientError::NotFound(tx_id.to_string()));
            }
            Ok(())
        })
    }
}

/// A test configuration.
pub fn config() -> Config {
    let mut c = Config::default();
    c.batch.send_retry_base_secs = 10;
    c.batch.send_retry_max_secs = 600;
    c
}

/// A store on SQLite in a temp dir (kept alive by the returned guard).
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/fogd.db", dir.path().display());
    (Store::open(&url, 4).await.unwrap(), dir)
}

/// A store on a fresh PostgreSQL schema, or `None` (with a printed note) when `FOGD_TEST_POSTGRES_URL` is unset.
pub async fn postgres_store() -> Option<Store> {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL run");
        return None;
    };
    let schema = format!("fogd_eng_{}", uuid::Uuid::new_v4().simple());
    Some(
        Store::open_with_schema(&url, 4, Some(&schema))
            .await
            .unwrap(),
    )
}

/// An engine with the fake node and a manual clock at 2026-06-01 10:00 UTC.
pub fn engine(store: Store, config: Config) -> (Engine, Arc<FakeShs>, ManualClock) {
    let fake = Arc::new(FakeShs::default());
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap());
    let shared: SharedClock = Arc::new(clock.clone());
    let e = Engine::new(
        store,
        fake.clone(),
        Arc::new(LayoutSet::embedded()),
        Arc::new(config),
        shared,
    );
    (e, fake, clock)
}

/// Imports JSON cases and approves everything in the journal.
pub async fn import_and_approve(e: &Engine, json: &str) {
    let src = fogd::domain::intake::open_source(json.as_bytes(), None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&e.config, e.clock.as_ref()).unwrap();
    let out = import(
        Some(&e.store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("test.json"),
        e.clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(
        out.problems
            .iter()
            .all(|p| p.severity != fogd::domain::validate::Severity::Error),
        "{:?}",
        out.problems
    );
    approve(&e.store, &Selection::All, "test", e.clock.as_ref())
        .await
        .unwrap();
}

/// A BFÖ case as JSON.
pub fn bfo(reference: &str) -> serde_json::Value {
    serde_json::json!({
        "reference": reference,
        "kind": "betalningsforelaggande",
        "creditor": { "id": "556036-0793", "name": "Exempel Kredit AB" },
        "debtors": [{ "id": "556677-8808", "name": "Bröderna Öhmans Åkeri AB", "street": "Industrivägen 3",
                      "postal_code": "90325", "city": "Umeå" }],
        "claims": [{ "kind": "kapital", "amount": "1000", "due_date": "2026-05-15", "basis": "Faktura" }]
    })
}

/// A nedsättning of `concerns`.
pub fn neds(reference: &str, concerns: &str) -> serde_json::Value {
    serde_json::json!({
        "reference": reference, "kind": "nedsattning", "concerns": concerns, "date": "2026-06-01",
        "reason": "betalning", "amount": "100.00", "claim_index": 1
    })
}

/// A kvittens for `filtyp`/`lopnummer` with these errors.
pub fn kvittens(
    filtyp: &str,
    lop: u32,
    status: KvittensStatus,
    errors: Vec<KvittensError>,
) -> Vec<u8> {
    Kvittens {
        intressentkod: "DEV".into(),
        avser_filtyp: filtyp.into(),
        avser_lopnummer: lop,
        status,
        datum: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        tid: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        antal_godkanda: 0,
        antal_underkanda: errors.len() as u32,
        errors,
    }
    .build(&LayoutSet::embedded())
    .unwrap()
}

/// A case-level kvittens error.
pub fn h_error(reference: &str, felkod: &str) -> KvittensError {
    KvittensError {
        niva: Niva::H,
        reference: Some(reference.into()),
        felkod: felkod.into(),
        feltext: "fel".into(),
    }
}

/// A file-level kvittens error.
pub fn f_error(felkod: &str) -> KvittensError {
    KvittensError {
        niva: Niva::F,
        reference: None,
        felkod: felkod.into(),
        feltext: "filfel".into(),
    }
}

/// An ANSBEKR for (reference, målnummer) pairs.
pub fn ansbekr(lop: u32, entries: &[(&str, &str)]) -> Vec<u8> {
    Bekraftelse {
        intressentkod: "DEV".into(),
        filtyp: BekraftelseTyp::Ansbekr,
        avser_lopnummer: lop,
        datum: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        entries: entries
            .iter()
            .map(|(r, m)| BekraftelseEntry {
                reference: r.to_string(),
                malnummer: m.to_string(),
                registrerad: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                svarande_nr: 1,
            })
            .collect(),
    }
    .build(&LayoutSet::embedded())
    .unwrap()
}

/// A RAPPORT with (reference, målnummer, beslutstyp).
pub fn rapport(decisions: &[(&str, &str, Beslutstyp)]) -> Vec<u8> {
    UtslagReport {
        intressentkod: "DEV".into(),
        datum: NaiveDate::from_ymd_opt(2026, 6, 20).unwrap(),
        decisions: decisions
            .iter()
            .map(|(r, m, b)| Decision {
                reference: r.to_string(),
                malnummer: m.to_string(),
                beslutstyp: *b,
                beslutsdatum: NaiveDate::from_ymd_opt(2026, 6, 20).unwrap(),
                faststallt_belopp: fogd::domain::Amount(100_000),
                utslag_ref: "U1".into(),
            })
            .collect(),
    }
    .build(&LayoutSet::embedded())
    .unwrap()
}

pub const KVITTENS_PRODUCT: &str = "b12dedf1-ec5b-55d4-8fe6-9d37c73368b1";

/// Runs the scenario `$body(store)` as two tests in a module `$name`: on a temporary SQLite store, and on
/// PostgreSQL (a fresh schema) when `FOGD_TEST_POSTGRES_URL` is set.
#[allow(unused_macros)]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _dir) = super::sqlite_store().await;
                super::$body(store).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(store) = super::postgres_store().await {
                    super::$body(store).await;
                }
            }
        }
    };
}
