//! Fail points (cargo feature `failpoints`): `fogd send` aborts right after the network send, before recording
//! `sent`; a restart recovers the file (outcome unknown) and re-sends it with the same tx.id, which the node
//! reports as a duplicate. Runs only with `cargo test --features failpoints`.
#![cfg(feature = "failpoints")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fogd::config::Config;
use fogd::sim::kronofogden::KronofogdenBehaviour;
use fogd::sim::{start_with, StartOptions};
use std::process::Command;
use std::sync::Arc;

fn fogd(dir: &std::path::Path, args: &[&str], failpoint: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fogd"));
    c.args(["--config", "fogd.toml"])
        .args(args)
        .current_dir(dir)
        .env("FOGD_LOG", "warn");
    match failpoint {
        Some(f) => c.env("FOGD_FAILPOINT", f),
        None => c.env_remove("FOGD_FAILPOINT"),
    };
    c.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_after_network_send_then_recover() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut config = Config::default();
    config.tls.ca = d.join("certs/ca.pem");
    config.tls.identity = d.join("certs/client-identity.pem");
    config.tls.server_cert = d.join("certs/server.pem");
    config.tls.server_key = d.join("certs/server-key.pem");
    config.sim.state = d.join("sim.db");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let behaviour = Arc::new(KronofogdenBehaviour::from_config(&config).unwrap());
    let sim = start_with(
        config.clone(),
        behaviour,
        StartOptions {
            listener: Some(listener),
            faults: None,
            clock: None,
        },
    )
    .await
    .unwrap();
    let toml = format!(
        "[database]\nurl = \"sqlite://{db}\"\n[shs]\nurl = \"{url}\"\n[tls]\nca = \"{ca}\"\nidentity = \"{id}\"\nserver_cert = \"{sc}\"\nserver_key = \"{sk}\"\n",
        db = d.join("fogd.db").display(),
        url = sim.shs_url(),
        ca = config.tls.ca.display(),
        id = config.tls.identity.display(),
        sc = config.tls.server_cert.display(),
        sk = config.tls.server_key.display(),
    );
    std::fs::write(d.join("fogd.toml"), toml).unwrap();
    let cases = serde_json::json!([{
        "reference": "FP-1", "kind": "betalningsforelaggande",
        "creditor": { "id": "556036-0793", "name": "Exempel Kredit AB" },
        "debtors": [{ "id": "556677-8808", "name": "Bröderna Öhmans Åkeri AB", "street": "Industrivägen 3",
                      "postal_code": "90325", "city": "Umeå" }],
        "claims": [{ "kind": "kapital", "amount": "1000", "due_date": "2026-05-15", "basis": "Faktura" }]
    }]);
    std::fs::write(d.join("cases.json"), cases.to_string()).unwrap();
    assert_eq!(
        fogd(d, &["import", "cases.json"], None).status.code(),
        Some(0)
    );
    assert_eq!(
        fogd(d, &["journal", "approve", "--all"], None)
            .status
            .code(),
        Some(0)
    );
    let crashed = fogd(d, &["send"], Some("after_network_send"));
    assert_ne!(crashed.status.code(), Some(0), "the fail point aborts");
    assert!(String::from_utf8_lossy(&crashed.stderr).contains("fail point after_network_send"));
    let status = fogd(d, &["status", "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["files"][0]["state"], "sending", "{v}");
    let tx = v["files"][0]["tx_id"].as_str().unwrap().to_string();
    let again = fogd(d, &["send"], None);
    let out = String::from_utf8_lossy(&again.stdout).to_string();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{out} {}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(out.contains("sent 1 (1 duplicate)"), "{out}");
    let v: serde_json::Value =
        serde_json::from_slice(&fogd(d, &["status", "--format", "json"], None).stdout).unwrap();
    assert_eq!(v["files"][0]["state"], "sent");
    assert_eq!(v["files"][0]["tx_id"], tx.as_str(), "same tx.id");
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    assert_eq!(fogd(d, &["poll"], None).status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_slice(&fogd(d, &["status", "--format", "json"], None).stdout).unwrap();
    assert_eq!(v["files"][0]["state"], "receipted_ok", "{v}");
    assert_eq!(v["cases"][0]["state"], "accepted");
    sim.shutdown().await;
}
