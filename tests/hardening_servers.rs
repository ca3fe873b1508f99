//! Issue 13 points 1 and 2, against the real binaries: slow and idle clients under a low file limit cannot take
//! `fogd serve` or `fogd sim` down, and deeply nested XML from a node is refused with a clear error by the client
//! (`fogd poll`, and `fogd serve`'s poll job) instead of aborting it. Small limits keep these tests to seconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "serve_support/mod.rs"]
mod serve_support;

use serve_support::Install;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds small enough for a test: a head must arrive within 1 s, a handshake within 1 s.
const LIMITS: &str = "[limits]\nheader_read_timeout = \"1s\"\ntls_handshake_timeout = \"1s\"\nidle_timeout = \"2s\"\n\
                      body_timeout = \"2s\"\nmax_connections = 1000\n";
/// The file limit the servers run under (the connection cap is derived from it: 128 less a reserve).
const PRLIMIT: &[&str] = &["prlimit", "--nofile=128:128", "--"];
/// Half-open connections opened against each server: far more than its file limit.
const ATTACKERS: usize = 300;

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Whether the server closed `s` within `within` (a read returns end of file or an error).
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 512];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or an alert before the close
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

fn log_lines_containing(path: &std::path::Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_cannot_take_serve_down_under_a_low_file_limit() {
    let inst = Install::new(LIMITS);
    let mut srv = inst.serve_under(PRLIMIT, &["--no-jobs"], &[]);
    let addr = srv.base.trim_start_matches("http://").to_string();
    // A head that never ends: closed by the header-read timeout.
    let mut slow = connect(&addr);
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let t = Instant::now();
    assert!(
        closed_within(&mut slow, Duration::from_secs(4)),
        "slow head not closed"
    );
    assert!(t.elapsed() < Duration::from_secs(4));
    // A keep-alive connection quiet for longer than the head timeout (but not the idle timeout) stays usable: the
    // head timeout counts from a request's first byte, not while a connection waits for its next request.
    let mut keep = connect(&addr);
    let ask = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for round in 0..2 {
        keep.write_all(ask).unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains("ok\n") {
            let n = keep.read(&mut b).unwrap();
            assert!(n > 0, "keep-alive connection closed before answer {round}");
            got.extend_from_slice(&b[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200"));
        if round == 0 {
            std::thread::sleep(Duration::from_millis(1500));
        }
    }
    // ... and is closed once idle for longer than the idle timeout.
    assert!(
        closed_within(&mut keep, Duration::from_secs(4)),
        "idle connection not closed"
    );
    // Far more half-sent requests than the file limit allows, held open.
    let mut held = Vec::new();
    for _ in 0..ATTACKERS {
        match TcpStream::connect(&addr) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                held.push(s);
            }
            Err(_) => break,
        }
    }
    // Real clients are still served, promptly, while they are held.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    for i in 0..5 {
        let t = Instant::now();
        let r = http.get(srv.url("/healthz")).send().await;
        let r = r.unwrap_or_else(|e| panic!("healthz {i} under attack: {e}"));
        assert_eq!(r.status(), 200);
        assert!(t.elapsed() < Duration::from_secs(3));
        // More attackers arrive meanwhile.
        for _ in 0..20 {
            if let Ok(mut s) = TcpStream::connect(&addr) {
                let _ = s.write_all(b"POST /signin HTTP/1.1\r\n");
                held.push(s);
            }
        }
    }
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        http.get(srv.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert!(srv.terminate().success());
    // No log storm: accept errors, if any, are logged once per interval.
    let storms = log_lines_containing(&srv.log, "Too many open files")
        + log_lines_containing(&srv.log, "accept failed");
    assert!(storms <= 3, "{storms} accept-error lines");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_cannot_take_the_sim_down_under_a_low_file_limit() {
    let inst = Install::new(LIMITS);
    let log = inst.path().join("sim.log");
    let mut c = inst.cmd_under(PRLIMIT);
    c.args(["sim", "--listen", "127.0.0.1:0", "--state"])
        .arg(inst.path().join("sim.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Kill(child);

    // A connection that never sends a ClientHello: closed by the handshake timeout (it stayed 70 s and more).
    let mut silent = connect(&addr);
    let t = Instant::now();
    assert!(
        closed_within(&mut silent, Duration::from_secs(4)),
        "silent client not closed"
    );
    assert!(t.elapsed() < Duration::from_secs(4));
    let mut held = Vec::new();
    for _ in 0..ATTACKERS {
        match TcpStream::connect(&addr) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    // An SHS client with the dev identity is served meanwhile.
    let certs = inst.path().join("fogd-data/certs");
    let ca = std::fs::read(certs.join("ca.pem")).unwrap();
    let id = std::fs::read(certs.join("client-identity.pem")).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .identity(reqwest::Identity::from_pem(&id).unwrap())
        .timeout(Duration::from_secs(4))
        .build()
        .unwrap();
    for i in 0..3 {
        let r = client
            .get(format!("https://{addr}/shs/ds/5599999991"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("list {i} under attack: {e}"));
        assert_eq!(r.status(), 200);
        for _ in 0..20 {
            if let Ok(s) = TcpStream::connect(&addr) {
                held.push(s);
            }
        }
    }
    drop(held);
    let lines = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(lines < 2000, "{lines} log lines");
    let storms = log_lines_containing(&log, "Too many open files");
    assert!(storms <= 3, "{storms} accept-error lines");
}

/// A fake SHS node (TLS with the dev server certificate) that answers every request with `body` as XML.
fn fake_node(certs: &std::path::Path, body: Vec<u8>) -> String {
    let certs_v = fogd::certs::load_certs(&certs.join("server.pem")).unwrap();
    let key = fogd::certs::load_private_key(&certs.join("server-key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs_v, key)
        .unwrap();
    let sc = Arc::new(sc);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let body = Arc::new(body);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            let (sc, body) = (sc.clone(), body.clone());
            std::thread::spawn(move || {
                let Ok(mut conn) = rustls::ServerConnection::new(sc) else {
                    return;
                };
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(&body);
                let _ = tls.flush();
            });
        }
    });
    addr
}

fn deep_list(depth: usize) -> Vec<u8> {
    let mut d = String::from(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<shs.message-list version=\"1.2\">",
    );
    d.push_str(&"<message>".repeat(depth));
    d.push_str(&"</message>".repeat(depth));
    d.push_str("</shs.message-list>");
    d.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_list_from_a_node_is_a_clear_error_not_an_abort() {
    let inst = Install::new("");
    let certs = inst.path().join("fogd-data/certs");
    fogd::certs::write_dev_certs(&certs, "5599999991", "Utvecklings Inkasso AB").unwrap();
    let addr = fake_node(&certs, deep_list(100_000));
    let cfg = std::fs::read_to_string(inst.path().join("fogd.toml")).unwrap();
    let cfg = cfg.replace(
        &cfg[cfg.find("url = \"https://").unwrap()..cfg.find("/shs\"").unwrap() + 5],
        &format!("url = \"https://{addr}/shs\""),
    );
    std::fs::write(
        inst.path().join("fogd.toml"),
        format!("{cfg}[schedule]\npoll = \"* * * * * *\"\n"),
    )
    .unwrap();

    // One poll pass: fails with a message naming the problem, exit 1, no signal.
    let out = inst.cmd().arg("poll").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nested deeper than"), "{err}");

    // The daemon polls it every second and stays up, API included.
    let mut srv = inst.serve(&[], &[]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(srv.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert!(srv.child.try_wait().unwrap().is_none(), "fogd serve died");
    let log = std::fs::read_to_string(&srv.log).unwrap();
    assert!(log.contains("nested deeper than"), "{log}");
    assert!(srv.terminate().success());
}
