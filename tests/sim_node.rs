#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fogd SHS client against the simulated node over real mutual TLS on loopback: send / list / fetch / ack,
//! duplicates, confirm messages, every SHS error code the node raises, body limit, handshake refusals, faults,
//! restart, admin API.

use bytes::Bytes;
use fogd::config::Config;
use fogd::shs::label::{Address, Status, TransferType};
use fogd::shs::{
    ClientSettings, DataPart, Label, ListFilter, Management, SequenceType, ShsClient,
    ShsClientError, ShsErrorCode, ShsMessage,
};
use fogd::sim::behaviour::EchoBehaviour;
use fogd::sim::{SimHandle, StartOptions};
use std::sync::Arc;
use std::time::Duration;

const ME: &str = "5599999991";
const NODE: &str = "2021000001";
const PRODUCT: &str = "4d3faf08-f636-5b40-ba0d-742e5f17d771";
const REPLY: &str = "b12dedf1-ec5b-55d4-8fe6-9d37c73368b1";

struct Env {
    dir: tempfile::TempDir,
    config: Config,
    sim: Option<SimHandle>,
}

fn config_in(dir: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.tls.ca = dir.join("certs/ca.pem");
    c.tls.identity = dir.join("certs/client-identity.pem");
    c.tls.server_cert = dir.join("certs/server.pem");
    c.tls.server_key = dir.join("certs/server-key.pem");
    c.sim.state = dir.join("sim.db");
    c
}

fn behaviour() -> Arc<EchoBehaviour> {
    Arc::new(EchoBehaviour {
        reply_product: REPLY.into(),
        evening_product: "2c92e378-4f27-5ea9-951b-6efc4980d971".into(),
    })
}

async fn start_sim(config: &Config, faults: Option<&str>) -> SimHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    fogd::sim::start_with(
        config.clone(),
        behaviour(),
        StartOptions {
            listener: Some(listener),
            faults: faults.map(str::to_string),
            clock: None,
        },
    )
    .await
    .unwrap()
}

impl Env {
    async fn new() -> Env {
        Self::with(|_| {}).await
    }
    async fn with(f: impl FnOnce(&mut Config)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        // Written with the CA key, so that the node's own identity can be issued (its outbox is its own).
        fogd::certs::write_dev_certs(&dir.path().join("certs"), ME, "Utvecklings Inkasso AB")
            .unwrap();
        let mut config = config_in(dir.path());
        f(&mut config);
        let sim = start_sim(&config, None).await;
        config.shs.url = sim.shs_url();
        Env {
            dir,
            config,
            sim: Some(sim),
        }
    }
    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }
    fn client(&self) -> ShsClient {
        self.client_with(|_| {})
    }
    /// A client with a certificate of the node's own organisation (Kronofogden's side: its outbox).
    fn node_client(&self) -> ShsClient {
        let path = self.identity_for(Some(NODE), "node-identity.pem");
        self.client_with(|s| s.identity = path)
    }
    /// A client identity issued by the dev CA for `org` (`None`: no subject serialNumber).
    fn identity_for(&self, org: Option<&str>, file: &str) -> std::path::PathBuf {
        let certs = self.dir.path().join("certs");
        let pem = fogd::certs::issue_client_identity(
            &std::fs::read_to_string(certs.join("ca.pem")).unwrap(),
            &std::fs::read_to_string(certs.join("ca-key.pem")).unwrap(),
            org,
            "Test AB",
        )
        .unwrap();
        let path = certs.join(file);
        std::fs::write(&path, pem).unwrap();
        path
    }
    fn client_with(&self, f: impl FnOnce(&mut ClientSettings)) -> ShsClient {
        let mut s = ClientSettings::from_config(&self.config);
        f(&mut s);
        ShsClient::new(s).unwrap()
    }
    /// A raw HTTPS client with the dev identity (for bodies the ShsClient would never write).
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
        format!("https://{}{path}", self.sim().addr)
    }
}

fn message(subject: &str) -> ShsMessage {
    let at = fogd::shs::parse_time("2026-01-05T10:00:00").unwrap();
    let mut label = Label::new_event(
        Address::new(ME, Some("Utvecklings Inkasso AB")),
        Address::new(NODE, None),
        PRODUCT,
        Status::Test,
        at,
    );
    label.subject = Some(subject.into());
    ShsMessage::new(
        label,
        vec![
            DataPart::new(
                "transaktionsfil",
                Some("DEV.ANSOKAN"),
                "text/plain; charset=ISO-8859-1",
                &b"00 rad\r\n99 slut\r\n"[..],
            ),
            DataPart::new(
                "missiv",
                Some("DEV.ANSOKAN.MISSIV"),
                "text/plain; charset=ISO-8859-1",
                &b"missiv"[..],
            ),
        ],
    )
}

#[tokio::test]
async fn send_duplicate_list_fetch_ack_confirm() {
    let env = Env::new().await;
    let c = env.client();
    let kf = env.node_client();
    let msg = message("ansökan");
    let r = c.send(&msg).await.unwrap();
    assert_eq!(r.tx_id, msg.label.tx_id);
    assert_eq!(r.corr_id.as_deref(), Some(msg.label.corr_id.as_str()));
    assert_eq!(r.content_id.as_deref(), Some(msg.label.content_id.as_str()));
    assert_eq!(r.node_id.as_deref(), Some("fogd-sim"));
    assert!(!r.duplicate);
    let again = c.send(&msg).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.arrival, r.arrival);

    // The node's inbox holds the message once, with a Received history entry.
    let node_list = kf.list(NODE, &ListFilter::default()).await.unwrap();
    assert_eq!(node_list.messages.len(), 1);
    assert_eq!(node_list.messages[0].subject.as_deref(), Some("ansökan"));
    // The echo reply is in our outbox, correlated by corr.id.
    let mine = c.list(ME, &ListFilter::default()).await.unwrap();
    assert_eq!(mine.messages.len(), 1);
    let e = &mine.messages[0];
    assert_eq!(e.corr_id.as_deref(), Some(msg.label.corr_id.as_str()));
    assert_eq!(
        e.product.as_deref(),
        Some(format!("urn:X-shs:{REPLY}").as_str())
    );
    let f = c.fetch(ME, &e.tx_id).await.unwrap();
    assert_eq!(
        f.message.parts[0].bytes().unwrap().as_ref(),
        b"DEV.ANSOKAN\nDEV.ANSOKAN.MISSIV"
    );
    assert_eq!(f.message.label.from.as_ref().unwrap().plain(), NODE);
    // Fetched messages leave the list and cannot be fetched again.
    assert!(c
        .list(ME, &ListFilter::default())
        .await
        .unwrap()
        .messages
        .is_empty());
    assert!(matches!(
        c.fetch(ME, &e.tx_id).await,
        Err(ShsClientError::NotFound(_))
    ));
    c.ack(ME, &e.tx_id).await.unwrap();
    assert!(matches!(
        c.ack(ME, "no-such-tx").await,
        Err(ShsClientError::NotFound(_))
    ));

    // Kronofogden's side: fetch our message (history added) and acknowledge it -> a confirm comes to us.
    let got = kf.fetch(NODE, &msg.label.tx_id).await.unwrap();
    assert_eq!(got.message.label.history.len(), 1);
    assert_eq!(
        got.message.label.history[0].comment.as_deref(),
        Some("Received")
    );
    assert_eq!(got.message.parts, msg.parts);
    kf.ack(NODE, &msg.label.tx_id).await.unwrap();
    kf.ack(NODE, &msg.label.tx_id).await.unwrap(); // second ack: flag only, no second confirm
    let mine = c
        .list(
            ME,
            &ListFilter {
                noack: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.messages.len(), 1, "{mine:?}");
    let confirm = &mine.messages[0];
    assert_eq!(confirm.sequence_type, SequenceType::Adm);
    assert_eq!(confirm.product.as_deref(), Some("urn:X-shs:confirm"));
    let cm = c.fetch(ME, &confirm.tx_id).await.unwrap();
    let mgmt = Management::parse(cm.message.parts[0].bytes().unwrap()).unwrap();
    assert_eq!(mgmt.corr_id, msg.label.corr_id);
    assert_eq!(mgmt.content_id, msg.label.content_id);
    assert!(mgmt.error_code().is_none());
}

#[tokio::test]
async fn list_filters() {
    let env = Env::new().await;
    let c = env.client();
    let kf = env.node_client();
    let mut sent = Vec::new();
    for i in 0..3 {
        let m = message(&format!("m{i}"));
        c.send(&m).await.unwrap();
        sent.push(m);
    }
    let all = kf.list(NODE, &ListFilter::default()).await.unwrap();
    assert_eq!(
        all.messages
            .iter()
            .map(|m| m.tx_id.clone())
            .collect::<Vec<_>>(),
        sent.iter()
            .map(|m| m.label.tx_id.clone())
            .collect::<Vec<_>>()
    );
    let two = kf
        .list(
            NODE,
            &ListFilter {
                maxhits: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(two.messages.len(), 2);
    let desc = kf
        .list(
            NODE,
            &ListFilter {
                arrival_order: Some("descending".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(desc.messages[0].tx_id, sent[2].label.tx_id);
    let by_corr = kf
        .list(
            NODE,
            &ListFilter {
                corr_id: Some(sent[1].label.corr_id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_corr.messages.len(), 1);
    let by_content = kf
        .list(
            NODE,
            &ListFilter {
                content_id: Some(sent[0].label.content_id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_content.messages[0].tx_id, sent[0].label.tx_id);
    let prod = kf
        .list(
            NODE,
            &ListFilter {
                product_types: vec![REPLY.into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(prod.messages.is_empty());
    let prod = kf
        .list(
            NODE,
            &ListFilter {
                product_types: vec![PRODUCT.into()],
                status: Some(Status::Test),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(prod.messages.len(), 3);
    let prodn = kf
        .list(
            NODE,
            &ListFilter {
                status: Some(Status::Production),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(prodn.messages.is_empty());
    let orig = kf
        .list(
            NODE,
            &ListFilter {
                originator: Some(ME.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(orig.messages.len(), 3);
    let sorted = kf
        .list(
            NODE,
            &ListFilter {
                sort_attribute: Some("subject".into()),
                sort_order: Some("desc".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sorted.messages[0].subject.as_deref(), Some("m2"));
    let future = kf
        .list(
            NODE,
            &ListFilter {
                since: fogd::shs::parse_time("2999-01-01T00:00:00"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(future.messages.is_empty());
    // Another organisation's outbox: refused (403); malformed parameters and a missing outbox: 400.
    for foreign in ["1111111111", NODE] {
        let e = c.list(foreign, &ListFilter::default()).await.unwrap_err();
        assert!(
            matches!(e, ShsClientError::Http { status: 403, .. }),
            "{e:?}"
        );
    }
    let raw = env.raw();
    let r = raw
        .get(env.url(&format!("/shs/ds/urn:X-shs:{ME}?since=2024-01-01")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = raw
        .get(env.url(&format!("/shs/ds/{ME}?sortattribute=size")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = raw.get(env.url("/shs/ds/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["x-shs-errorcode"], "IllegalReceiver");
    let r = raw.get(env.url("/shs/ds/not-an-org")).send().await.unwrap();
    assert_eq!(r.headers()["x-shs-errorcode"], "IllegalReceiver");
}

async fn expect_code(c: &ShsClient, msg: &ShsMessage, code: ShsErrorCode) {
    match c.send(msg).await {
        Err(ShsClientError::Shs { code: got, info }) => {
            assert_eq!(got, code, "{info}");
            assert!(!info.is_empty());
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[tokio::test]
async fn every_shs_error_code_the_node_raises() {
    let env = Env::new().await;
    let c = env.client();
    let kf = env.node_client();
    let edit = |f: &dyn Fn(&mut Label)| {
        let mut m = message("x");
        f(&mut m.label);
        m
    };
    expect_code(
        &c,
        &edit(&|l| l.from = Some(Address::new("abc", Some("")))),
        ShsErrorCode::IllegalSender,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.from = Some(Address::new("5560000001", Some("")))),
        ShsErrorCode::UnknownSender,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.originator = Some(Address::new("zz", None))),
        ShsErrorCode::IllegalOriginator,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| {
            l.end_recipient = Some(Address {
                value: " ".into(),
                name: None,
            })
        }),
        ShsErrorCode::IllegalEndRecipient,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.to = Some(Address::new("kronofogden", None))),
        ShsErrorCode::IllegalReceiver,
    )
    .await;
    expect_code(&c, &edit(&|l| l.to = None), ShsErrorCode::IllegalReceiver).await;
    expect_code(
        &c,
        &edit(&|l| l.to = Some(Address::new("1111111111", None))),
        ShsErrorCode::UnknownReceiver,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.product = "urn:X-shs:not-a-uuid".into()),
        ShsErrorCode::IllegalProductType,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.product = "urn:X-shs:confirm".into()),
        ShsErrorCode::IllegalProductType,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.product = format!("urn:X-shs:{}", uuid::Uuid::new_v4())),
        ShsErrorCode::UnknownProductType,
    )
    .await;
    expect_code(
        &c,
        &edit(&|l| l.transfer_type = TransferType::Synch),
        ShsErrorCode::MissingAgreement,
    )
    .await;
    // The behaviour's own refusals travel the same way.
    expect_code(
        &c,
        &message("reject:IllegalDatapartContent"),
        ShsErrorCode::IllegalDatapartContent,
    )
    .await;
    expect_code(&c, &message("reject:OtherError"), ShsErrorCode::OtherError).await;

    // Malformed bodies: 400 with the right code, never a crash.
    let raw = env.raw();
    let good = String::from_utf8_lossy(&message("y").to_bytes().unwrap()).into_owned();
    let bodies: Vec<(Vec<u8>, &str)> = vec![
        (b"garbage".to_vec(), "IllegalMessageStructure"),
        (
            b"Content-Type: text/plain\r\n\r\nhello".to_vec(),
            "IllegalMessageStructure",
        ),
        (
            good.as_bytes()[..good.len() - 20].to_vec(),
            "IllegalMessageStructure",
        ),
        (
            good.replace("<shs.label ", "<shs.labl ").into_bytes(),
            "IllegalMessageStructure",
        ),
        (
            good.replace("sequence-type=\"event\"", "sequence-type=\"message\"")
                .into_bytes(),
            "IllegalMessageStructure",
        ),
        (
            good.replacen(
                "Content-Transfer-Encoding: binary\r\nContent-Disposition",
                "Content-Transfer-Encoding: base64\r\nContent-Disposition",
                1,
            )
            .into_bytes(),
            "IllegalDatapartContent",
        ),
        (Vec::new(), "IllegalMessageStructure"),
    ];
    for (body, code) in bodies {
        let r = raw
            .post(env.url("/shs/rs"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert_eq!(r.headers()["x-shs-errorcode"], code);
    }
    // Nothing of the refused messages was stored.
    assert!(kf
        .list(NODE, &ListFilter::default())
        .await
        .unwrap()
        .messages
        .is_empty());
}

#[tokio::test]
async fn body_over_the_limit_gets_413() {
    let env = Env::with(|c| c.sim.max_body_bytes = 20_000).await;
    let c = env.client();
    let mut m = message("big");
    m.parts[0] = DataPart::new(
        "transaktionsfil",
        Some("BIG"),
        "application/octet-stream",
        vec![b'x'; 50_000],
    );
    m.sync_label();
    match c.send(&m).await {
        Err(ShsClientError::Http { status: 413, .. }) => {}
        Err(ShsClientError::Transport(_)) => {} // the node may close while the body still flows
        other => panic!("expected 413, got {other:?}"),
    }
    c.send(&message("small")).await.unwrap();
}

#[tokio::test]
async fn handshake_refused_without_or_with_foreign_client_certificate() {
    let env = Env::new().await;
    let ca = std::fs::read(&env.config.tls.ca).unwrap();
    // No client certificate.
    let bare = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    assert!(bare
        .get(env.url("/shs/ds/5599999991"))
        .send()
        .await
        .is_err());
    // A client certificate from an unknown CA.
    let other = tempfile::tempdir().unwrap();
    let p = fogd::certs::write_dev_certs(other.path(), ME, "Fel CA AB").unwrap();
    let c = env.client_with(|s| s.identity = p.client_identity.clone());
    let e = c.send(&message("x")).await.unwrap_err();
    assert!(
        matches!(e, ShsClientError::Connect(_) | ShsClientError::Transport(_)),
        "{e:?}"
    );
    // A server the client does not trust (client trusts only the other CA).
    let c = env.client_with(|s| s.ca = p.ca.clone());
    let e = c.list(ME, &ListFilter::default()).await.unwrap_err();
    assert!(matches!(e, ShsClientError::Connect(_)), "{e:?}");
    assert!(e.is_retryable() && !e.outcome_unknown());
    // Nothing arrived.
    assert!(env
        .node_client()
        .list(NODE, &ListFilter::default())
        .await
        .unwrap()
        .messages
        .is_empty());
}

async fn post_faults(env: &Env, spec: &str) {
    let r = env
        .raw()
        .post(env.url("/sim/v1/faults"))
        .json(&serde_json::json!({ "spec": spec, "replace": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn faults_status_timeout_reset_and_retry_with_same_tx_id() {
    let env = Env::new().await;
    let c = env.client_with(|s| s.request_timeout = Duration::from_millis(1500));
    let kf = env.node_client();
    // 503 once: retryable; send_with_retry gets through.
    post_faults(&env, "status=503@rs*1").await;
    let m = message("a");
    let e = c.send(&m).await.unwrap_err();
    assert!(
        matches!(e, ShsClientError::Http { status: 503, .. }) && e.is_retryable(),
        "{e:?}"
    );
    post_faults(&env, "status=500@rs*2").await;
    let r = c
        .send_with_retry(&m, 3, Duration::from_millis(10))
        .await
        .unwrap();
    assert!(!r.duplicate);

    // Timeout after the node stored the message: outcome unknown; the retry with the same tx.id is a duplicate.
    post_faults(&env, "timeout@rs*1").await;
    let m2 = message("b");
    let e = c.send(&m2).await.unwrap_err();
    assert!(
        matches!(e, ShsClientError::Timeout(_)) && e.outcome_unknown(),
        "{e:?}"
    );
    let r = c.send(&m2).await.unwrap();
    assert!(r.duplicate);

    // Connection reset without an answer: same story.
    post_faults(&env, "reset@rs*1").await;
    let m3 = message("c");
    let e = c.send(&m3).await.unwrap_err();
    assert!(e.outcome_unknown() && e.is_retryable(), "{e:?}");
    let r = c
        .send_with_retry(&m3, 2, Duration::from_millis(10))
        .await
        .unwrap();
    assert!(r.duplicate);

    // Reset mid-body on fetch: error, and the message is still there to fetch again.
    post_faults(&env, "reset@fetch*1").await;
    let e = kf.fetch(NODE, &m.label.tx_id).await.unwrap_err();
    assert!(matches!(e, ShsClientError::Transport(_)), "{e:?}");
    let ok = kf.fetch(NODE, &m.label.tx_id).await.unwrap();
    assert_eq!(ok.message.parts, m.parts);

    // Duplicate list entries.
    post_faults(&env, "duplicate@list*1").await;
    let l = kf.list(NODE, &ListFilter::default()).await.unwrap();
    assert_eq!(l.messages.len(), 4);
    assert_eq!(l.messages[0].tx_id, l.messages[1].tx_id);

    // Delay.
    post_faults(&env, "delay=300@list*1").await;
    let t = std::time::Instant::now();
    kf.list(NODE, &ListFilter::default()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));

    // Withheld reply: missing from the first list, there on the next.
    post_faults(&env, "withhold*1").await;
    let before = c
        .list(ME, &ListFilter::default())
        .await
        .unwrap()
        .messages
        .len();
    c.send(&message("d")).await.unwrap();
    assert_eq!(
        c.list(ME, &ListFilter::default())
            .await
            .unwrap()
            .messages
            .len(),
        before
    );
    assert_eq!(
        c.list(ME, &ListFilter::default())
            .await
            .unwrap()
            .messages
            .len(),
        before + 1
    );

    // Faults are listed and cleared through the admin API.
    let raw = env.raw();
    post_faults(&env, "status=503@ack").await;
    let v: serde_json::Value = raw
        .get(env.url("/sim/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    raw.delete(env.url("/sim/v1/faults")).send().await.unwrap();
    let bad = raw
        .post(env.url("/sim/v1/faults"))
        .json(&serde_json::json!({"spec": "explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn state_survives_restart_and_admin_api() {
    let mut env = Env::new().await;
    let c = env.client();
    let m = message("persist");
    c.send(&m).await.unwrap();
    env.sim.take().unwrap().shutdown().await;
    let sim = start_sim(&env.config, None).await;
    env.config.shs.url = sim.shs_url();
    env.sim = Some(sim);
    let c = env.client();
    let kf = env.node_client();
    let l = kf.list(NODE, &ListFilter::default()).await.unwrap();
    assert_eq!(l.messages.len(), 1);
    assert!(c.send(&m).await.unwrap().duplicate);

    let raw = env.raw();
    let msgs: serde_json::Value = raw
        .get(env.url("/sim/v1/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(msgs.as_array().unwrap().len(), 2); // the message and the echo reply
    let files: serde_json::Value = raw
        .get(env.url("/sim/v1/files"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(files["pending_evening"], 1);
    let run: serde_json::Value = raw
        .post(env.url("/sim/v1/evening-run"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["replies"], 1);
    let mine = c.list(ME, &ListFilter::default()).await.unwrap();
    assert_eq!(mine.messages.len(), 2);
    let cases = raw.get(env.url("/sim/v1/cases")).send().await.unwrap();
    assert_eq!(cases.status().as_u16(), 200);
    drop(env.dir);
}

#[tokio::test]
async fn pkcs12_identity_works() {
    let env = Env::new().await;
    // Build a PKCS#12 from the dev client identity.
    let pem = std::fs::read(&env.config.tls.identity).unwrap();
    use rustls_pki_types::pem::PemObject;
    let cert = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
        .next()
        .unwrap()
        .unwrap();
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(&pem).unwrap();
    let mut ks = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        key.secret_pkcs8_der(),
        [1u8; 20],
        vec![p12_keystore::Certificate::from_der(cert.as_ref()).unwrap()],
    );
    ks.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    let p12 = ks.writer("hemligt").write().unwrap();
    let path = env.dir.path().join("client.p12");
    std::fs::write(&path, p12).unwrap();
    let c = env.client_with(|s| {
        s.identity = path.clone();
        s.identity_password = Some("hemligt".into());
    });
    c.send(&message("p12")).await.unwrap();
    let wrong = ShsClient::new(ClientSettings {
        identity_password: Some("fel".into()),
        ..c.settings().clone()
    });
    assert!(matches!(wrong, Err(ShsClientError::Setup(_))));
    let _ = Bytes::new();
}

impl Env {
    /// A raw HTTPS client presenting the identity at `path`.
    fn raw_as(&self, path: &std::path::Path) -> reqwest::Client {
        let ca = std::fs::read(&self.config.tls.ca).unwrap();
        let id = std::fs::read(path).unwrap();
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .identity(reqwest::Identity::from_pem(&id).unwrap())
            .build()
            .unwrap()
    }
}

/// Issue 13 point 7: the certificate's organisation is the caller; a certificate without one sends nothing and owns
/// no outbox; another organisation's outbox cannot be listed, fetched from or acknowledged; admin calls need the
/// admin identity.
#[tokio::test]
async fn identity_owns_its_outbox_and_admin_needs_an_admin() {
    let env = Env::new().await;
    let me = env.client();
    let m = message("mine");
    me.send(&m).await.unwrap();
    let mine = me.list(ME, &ListFilter::default()).await.unwrap();
    assert_eq!(mine.messages.len(), 1, "the echo reply");
    let reply = mine.messages[0].tx_id.clone();

    // No subject serialNumber: UnknownSender, and no outbox.
    let anon_path = env.identity_for(None, "anon.pem");
    let anon = env.client_with(|s| s.identity = anon_path.clone());
    expect_code(&anon, &message("anon"), ShsErrorCode::UnknownSender).await;
    let e = anon.list(ME, &ListFilter::default()).await.unwrap_err();
    assert!(
        matches!(e, ShsClientError::Http { status: 403, .. }),
        "{e:?}"
    );

    // Another organisation: its own (empty) outbox only.
    const OTHER: &str = "5567000004";
    let other_path = env.identity_for(Some(OTHER), "other.pem");
    let other = env.client_with(|s| s.identity = other_path.clone());
    assert!(other
        .list(OTHER, &ListFilter::default())
        .await
        .unwrap()
        .messages
        .is_empty());
    for e in [
        other.list(ME, &ListFilter::default()).await.map(|_| ()),
        other.fetch(ME, &reply).await.map(|_| ()),
        other.ack(ME, &reply).await,
        other.fetch(NODE, &m.label.tx_id).await.map(|_| ()),
    ] {
        let e = e.unwrap_err();
        assert!(
            matches!(e, ShsClientError::Http { status: 403, .. }),
            "{e:?}"
        );
    }
    // Its refused calls changed nothing: the reply is still there for its owner.
    assert_eq!(
        me.fetch(ME, &reply).await.unwrap().message.label.tx_id,
        reply
    );

    // Admin calls: the development identity (subject serialNumber = [ingivare] org_number) is the admin by
    // default; another organisation and a certificate without serialNumber are not.
    let owner = env.raw();
    assert_eq!(
        owner
            .get(env.url("/sim/v1/messages"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for (client, path) in [
        (env.raw_as(&other_path), "/sim/v1/messages"),
        (env.raw_as(&other_path), "/sim/v1/faults"),
        (env.raw_as(&anon_path), "/sim/v1/files"),
    ] {
        let r = client.get(env.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains("admin"), "{v}");
    }
    let r = env
        .raw_as(&other_path)
        .post(env.url("/sim/v1/faults"))
        .json(&serde_json::json!({"spec": "status=503@rs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        me.send(&message("still fine")).await.is_ok(),
        "no fault was added"
    );
}

/// `[sim] admin_token` and `[sim] admin_cert_serials` replace the default admin.
#[tokio::test]
async fn admin_by_token_or_certificate_serial() {
    let mut env = Env::with(|c| c.sim.admin_token = Some("s3cret-admin".into())).await;
    let owner = env.raw();
    let r = owner.get(env.url("/sim/v1/faults")).send().await.unwrap();
    assert_eq!(
        r.status(),
        403,
        "with a token configured the dev certificate alone is no admin"
    );
    let r = owner
        .get(env.url("/sim/v1/faults"))
        .bearer_auth("s3cret-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = owner
        .get(env.url("/sim/v1/faults"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // By certificate serial: the listed certificate only.
    let admin_path = env.identity_for(Some("5567000004"), "admin.pem");
    let pem = std::fs::read(&admin_path).unwrap();
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(&pem)
        .map(|c: rustls_pki_types::CertificateDer<'static>| c)
        .unwrap();
    let serial = fogd::certs::cert_serial_hex(der.as_ref()).unwrap();
    env.sim.take().unwrap().shutdown().await;
    env.config.sim.admin_token = None;
    env.config.sim.admin_cert_serials = vec![format!("serial={}", serial.to_uppercase())];
    let sim = start_sim(&env.config, None).await;
    env.sim = Some(sim);
    let r = env
        .raw_as(&admin_path)
        .get(env.url("/sim/v1/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = env
        .raw()
        .get(env.url("/sim/v1/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// Issue 13 point 2: a label nested 50,000 deep (it overflowed the node's stack) is refused with an SHS code, and
/// the node goes on serving.
#[tokio::test]
async fn deeply_nested_label_is_refused_with_an_shs_code() {
    let env = Env::new().await;
    let good = String::from_utf8_lossy(&message("y").to_bytes().unwrap()).into_owned();
    assert!(good.contains("<subject>y</subject>"));
    let n = 50_000;
    let deep = format!("<subject>{}{}</subject>", "<a>".repeat(n), "</a>".repeat(n));
    let body = good.replace("<subject>y</subject>", &deep);
    let r = env
        .raw()
        .post(env.url("/shs/rs"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["x-shs-errorcode"], "IllegalMessageStructure");
    let text = r.text().await.unwrap();
    assert!(text.contains("nested deeper than"), "{text}");
    // Still alive.
    env.client().send(&message("after")).await.unwrap();
}
