#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bench: upload of a 50 MB data part to `fogd sim` over mutual TLS on loopback, by the fogd SHS client (streaming
//! from a file) and by `curl` with the same certificates; prints MB/s for both, their ratio, and this process's
//! peak RSS (the client side; the sim runs as a separate `fogd sim` process).
//!
//! Run: `cargo build --release --bin fogd --example bench_shs_upload && target/release/examples/bench_shs_upload [MB] [ROUNDS]`.

use fogd::shs::label::{Address, Status};
use fogd::shs::{ClientSettings, DataPart, Label, ShsClient, ShsMessage};
use futures_util::StreamExt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn message(part: &std::path::Path) -> ShsMessage {
    let at = fogd::shs::parse_time("2026-01-05T10:00:00").unwrap();
    let label = Label::new_event(
        Address::new("5599999991", Some("Bench")),
        Address::new("2021000001", None),
        "4d3faf08-f636-5b40-ba0d-742e5f17d771",
        Status::Test,
        at,
    );
    ShsMessage::new(
        label,
        vec![DataPart::from_file(
            "transaktionsfil",
            Some("DEV.ANSOKAN"),
            "application/octet-stream",
            part,
        )
        .unwrap()],
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mb: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let certs =
        fogd::certs::write_dev_certs(&dir.path().join("certs"), "5599999991", "Bench AB").unwrap();
    // The data part, written in chunks (never whole in memory).
    let part = dir.path().join("part.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&part).unwrap());
        let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..mb {
            f.write_all(&chunk).unwrap();
        }
    }
    let exe = std::env::current_exe().unwrap();
    let fogd_bin = [
        exe.with_file_name("fogd"),
        exe.parent().unwrap().with_file_name("fogd"),
    ]
    .into_iter()
    .find(|p| p.exists())
    .expect("the fogd binary beside target/*/examples (cargo build --bin fogd)");
    let mut sim = Command::new(&fogd_bin)
        .args(["sim", "--listen", "127.0.0.1:0", "--state"])
        .arg(dir.path().join("sim.db"))
        .env("FOGD_TLS_CA", &certs.ca)
        .env("FOGD_TLS_IDENTITY", &certs.client_identity)
        .env("FOGD_TLS_SERVER_CERT", &certs.server_cert)
        .env("FOGD_TLS_SERVER_KEY", &certs.server_key)
        .env("FOGD_LOG_LEVEL", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (build the fogd binary first)",
                fogd_bin.display()
            )
        });
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("listening on https://")
        .to_string();

    let mut cfg = fogd::config::Config::default();
    cfg.shs.url = format!("https://{addr}/shs");
    cfg.tls.ca = certs.ca.clone();
    cfg.tls.identity = certs.client_identity.clone();
    let client = ShsClient::new(ClientSettings::from_config(&cfg)).unwrap();
    let total = message(&part).encoded_len() as f64 / 1_000_000.0;

    let mut best_fogd = Duration::MAX;
    for _ in 0..rounds {
        let m = message(&part);
        let t = Instant::now();
        let r = client.send(&m).await.unwrap();
        best_fogd = best_fogd.min(t.elapsed());
        assert!(!r.duplicate);
    }
    let rss_client = fogd::procinfo::peak_rss_kb(None).unwrap_or(0);

    let mut best_curl = Duration::MAX;
    for _ in 0..rounds {
        // A fresh message (new tx.id) each round, streamed to a file.
        let m = message(&part);
        let path = dir.path().join("curl.mime");
        let mut f = tokio::fs::File::create(&path).await.unwrap();
        let (_, mut s) = m.into_stream();
        while let Some(c) = s.next().await {
            tokio::io::AsyncWriteExt::write_all(&mut f, &c.unwrap())
                .await
                .unwrap();
        }
        drop(f);
        let t = Instant::now();
        let o = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(&certs.ca)
            .arg("--cert")
            .arg(&certs.client_cert)
            .arg("--key")
            .arg(&certs.client_key)
            .args(["-H", "Content-Type: message/rfc822", "--data-binary"])
            .arg(format!("@{}", path.display()))
            .arg(format!("https://{addr}/shs/rs"))
            .output()
            .unwrap();
        best_curl = best_curl.min(t.elapsed());
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "202",
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let _ = sim.kill();
    let _ = sim.wait();
    let fogd_mbs = total / best_fogd.as_secs_f64();
    let curl_mbs = total / best_curl.as_secs_f64();
    println!("message size        {total:.1} MB ({mb} MiB data part), best of {rounds}");
    println!(
        "fogd client         {fogd_mbs:.1} MB/s ({:.3} s)",
        best_fogd.as_secs_f64()
    );
    println!(
        "curl                {curl_mbs:.1} MB/s ({:.3} s)",
        best_curl.as_secs_f64()
    );
    println!("ratio fogd/curl     {:.2}", fogd_mbs / curl_mbs);
    println!("peak RSS (client)   {:.1} MB", rss_client as f64 / 1024.0);
}
