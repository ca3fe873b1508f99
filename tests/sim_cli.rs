#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `fogd sim` and `fogd dev-certs` binaries, driven by `curl` (a client fogd did not write).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn curl_drives_the_sim_with_dev_certs() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let out = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .arg("dev-certs")
        .arg(&certs)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = format!(
        "[tls]\nca = \"{c}/ca.pem\"\nidentity = \"{c}/client-identity.pem\"\nserver_cert = \"{c}/server.pem\"\nserver_key = \"{c}/server-key.pem\"\n",
        c = certs.display()
    );
    std::fs::write(dir.path().join("fogd.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .args(["sim", "--listen", "127.0.0.1:0", "--state"])
        .arg(dir.path().join("sim.db"))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();

    // A message written by fogd's writer, sent by curl.
    let at = fogd::shs::parse_time("2026-01-05T10:00:00").unwrap();
    let label = fogd::shs::Label::new_event(
        fogd::shs::label::Address::new("5599999991", Some("Dev")),
        fogd::shs::label::Address::new("2021000001", None),
        "4d3faf08-f636-5b40-ba0d-742e5f17d771",
        fogd::shs::Status::Test,
        at,
    );
    let tx = label.tx_id.clone();
    let msg = fogd::shs::ShsMessage::new(
        label,
        vec![fogd::shs::DataPart::new(
            "transaktionsfil",
            Some("DEV.ANSOKAN"),
            "text/plain",
            &b"data"[..],
        )],
    );
    let body = dir.path().join("msg.mime");
    std::fs::write(&body, msg.to_bytes().unwrap()).unwrap();
    // Kronofogden's side reads its own outbox with a certificate of its own organisation.
    let node_identity = certs.join("node-identity.pem");
    std::fs::write(
        &node_identity,
        fogd::certs::issue_client_identity(
            &std::fs::read_to_string(certs.join("ca.pem")).unwrap(),
            &std::fs::read_to_string(certs.join("ca-key.pem")).unwrap(),
            Some("2021000001"),
            "Kronofogden test",
        )
        .unwrap(),
    )
    .unwrap();
    let curl_as = |identity: Option<&std::path::Path>, extra: &[&str], url: &str| {
        let mut c = Command::new("curl");
        c.args(["-sS", "-D", "-", "--cacert"])
            .arg(certs.join("ca.pem"));
        match identity {
            Some(id) => c.arg("--cert").arg(id),
            None => c
                .arg("--cert")
                .arg(certs.join("client.pem"))
                .arg("--key")
                .arg(certs.join("client-key.pem")),
        };
        c.args(extra).arg(format!("https://{addr}{url}"));
        let o = c.output().expect("curl is needed at /usr/bin/curl");
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let curl = |extra: &[&str], url: &str| curl_as(None, extra, url);
    let node = |extra: &[&str], url: &str| curl_as(Some(&node_identity), extra, url);
    let data = format!("@{}", body.display());
    let (ok, out) = curl(
        &["-H", "Content-Type: message/rfc822", "--data-binary", &data],
        "/shs/rs",
    );
    assert!(ok && out.starts_with("HTTP/1.1 202"), "{out}");
    assert!(
        out.to_ascii_lowercase()
            .contains(&format!("x-shs-txid: {tx}")),
        "{out}"
    );
    assert!(
        out.to_ascii_lowercase().contains("x-shs-duplicatemsg: no"),
        "{out}"
    );
    let (_, out) = curl(
        &["-H", "Content-Type: message/rfc822", "--data-binary", &data],
        "/shs/rs",
    );
    assert!(
        out.to_ascii_lowercase().contains("x-shs-duplicatemsg: yes"),
        "{out}"
    );
    // Another organisation's outbox is not ours to read.
    let (_, out) = curl(&[], "/shs/ds/urn:X-shs:2021000001?filter=noack");
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    let (_, out) = node(&[], "/shs/ds/urn:X-shs:2021000001?filter=noack");
    assert!(
        out.starts_with("HTTP/1.1 200") && out.contains(&format!("tx.id=\"{tx}\"")),
        "{out}"
    );
    let (_, out) = node(&[], &format!("/shs/ds/2021000001/{tx}"));
    assert!(
        out.contains("message/rfc822") && out.contains("DEV.ANSOKAN"),
        "{out}"
    );
    let (_, out) = node(
        &["-X", "POST"],
        &format!("/shs/ds/2021000001/{tx}?action=ack"),
    );
    assert!(
        out.starts_with("HTTP/1.1 200") && out.trim_end().ends_with("OK"),
        "{out}"
    );
    let (_, out) = curl(&["--data-binary", "not mime"], "/shs/rs");
    assert!(
        out.starts_with("HTTP/1.1 400") && out.contains("IllegalMessageStructure"),
        "{out}"
    );
    // Without a client certificate curl's handshake fails.
    let o = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(certs.join("ca.pem"))
        .arg(format!("https://{addr}/shs/ds/5599999991"))
        .output()
        .unwrap();
    assert!(!o.status.success() || String::from_utf8_lossy(&o.stdout).is_empty());
}

/// Issue 18 point 3: the admin verbs talk to the node at `[shs] url` with the configured identity, from the same
/// directory as the node (the development set-up: the node's own certificate is the admin by default).
#[test]
fn sim_admin_verbs_from_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("fogd.toml"),
        format!(
            "[sim]\nlisten = \"127.0.0.1:{port}\"\n[shs]\nurl = \"https://127.0.0.1:{port}/shs\"\n"
        ),
    )
    .unwrap();
    let fogd = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fogd"));
        c.current_dir(dir.path()).env_remove("FOGD_CONFIG");
        c
    };
    let mut child = fogd()
        .arg("sim")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on https://"), "{line:?}");

    let run = |args: &[&str]| {
        let o = fogd().args(args).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["sim", "evening-run"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["replies"], 0);
    // The sim's calendar: three days on, nothing due in an empty node; 0 days is a usage error.
    let (code, out, err) = run(&["sim", "advance", "--days", "3"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["days"].as_u64(), v["calendar_days"].as_i64()),
        (Some(3), Some(3)),
        "{v}"
    );
    assert_eq!(v["replies"], 0);
    let (code, out, _) = run(&["sim", "advance", "--days", "2"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["calendar_days"], 5, "{v}");
    let (code, _, err) = run(&["sim", "advance", "--days", "0"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, out, err) = run(&["sim", "faults", "add", "status=503@rs*2"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (_, out, _) = run(&["sim", "faults", "list"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["arg"], 503, "{v}");
    let (code, _, _) = run(&["sim", "faults", "clear"]);
    assert_eq!(code, Some(0));
    let (_, out, _) = run(&["sim", "faults", "list"]);
    assert_eq!(out.trim(), "[]");
    let (code, out, _) = run(&["sim", "reject-next", "0021"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("0021") || out.contains("21"), "{out}");
    let (code, out, _) = run(&["sim", "messages"]);
    assert_eq!(code, Some(0));
    assert!(serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .is_array());
    // A bad spec is a usage error before any call; a node that is not there is an error naming the URL.
    let (code, _, err) = run(&["sim", "faults", "add", "bogus"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(&["sim", "evening-run", "--url", "https://127.0.0.1:1"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    // The help documents the admin calls.
    let (_, help, _) = run(&["sim", "--help"]);
    for call in [
        "/sim/v1/evening-run",
        "/sim/v1/advance",
        "fogd sim advance --days 30",
        "/sim/v1/faults",
        "fogd sim faults add",
        "admin_token",
    ] {
        assert!(help.contains(call), "{call} missing in\n{help}");
    }
}
