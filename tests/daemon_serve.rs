//! The daemon as a library call: `fogd::daemon::serve(config, options, shutdown)` starts, tells where it listens,
//! serves, schedules its jobs, and returns once the shutdown future completes; a start-up failure is a typed error.

use fogd::config::Config;
use fogd::daemon::{serve, DaemonError, ServeOptions};
use std::time::Duration;
use tokio::sync::oneshot;

/// A configuration whose data (database, certificates) lives in `dir`, the API on a free loopback port and the
/// SHS node on a closed port.
fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.database.url = format!("sqlite://{}/fogd.db", dir.display());
    c.api.listen = "127.0.0.1:0".into();
    c.tls.ca = dir.join("certs/ca.pem");
    c.tls.identity = dir.join("certs/client-identity.pem");
    c.tls.server_cert = dir.join("certs/server.pem");
    c.tls.server_key = dir.join("certs/server-key.pem");
    c.shs.url = "https://127.0.0.1:9/shs".into();
    c.shs.connect_timeout_secs = 1;
    c
}

#[tokio::test]
async fn serve_runs_until_its_shutdown_future_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let options = ServeOptions {
        jobs: true,
        ready: Some(ready_tx),
    };
    let daemon = tokio::spawn(serve(config(dir.path()), options, async {
        let _ = stop_rx.await;
    }));
    let listening = tokio::time::timeout(Duration::from_secs(30), ready_rx)
        .await
        .expect("ready within 30 s")
        .expect("serve told where it listens");
    assert!(!listening.tls);
    assert_ne!(
        listening.addr.port(),
        0,
        "the bound port, not the asked-for 0"
    );
    let url = listening.url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let http = reqwest::Client::new();
    let ready = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // The scheduled jobs run in this daemon: their counters are on /metrics.
    let metrics = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("fogd_up 1"), "{text}");
    for job in ["send", "poll", "alerts"] {
        assert!(
            text.contains(&format!("fogd_job_runs_total{{job=\"{job}\"}}")),
            "{job}: {text}"
        );
    }
    // Dev certificates were made for the jobs, under the configured paths.
    assert!(dir.path().join("certs/client-identity.pem").exists());

    stop_tx.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .expect("stopped within 30 s")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    // Stopped means stopped listening.
    assert!(
        tokio::net::TcpStream::connect(listening.addr)
            .await
            .is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn an_address_in_use_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut c = config(dir.path());
    c.api.listen = addr.clone();
    let options = ServeOptions {
        jobs: false,
        ready: None,
    };
    let err = serve(c, options, std::future::pending())
        .await
        .expect_err("the port is taken");
    assert!(matches!(err, DaemonError::Listen { .. }), "{err:?}");
    assert!(err.is_usage());
    assert!(
        err.to_string()
            .contains(&format!("cannot listen on {addr}")),
        "{err}"
    );
}
