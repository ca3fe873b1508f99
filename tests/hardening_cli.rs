//! Issue 13 points 8 and 10 through the CLI: `fogd import` reads regular files of bounded size only; what is
//! stored for an invalid case is bounded and clean; `fogd status` on a terminal writes control characters
//! visibly; `sim`, `send` and `poll` refuse private keys others can read; data is created private whatever the
//! umask.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let cfg = format!(
            "[database]\nurl = \"sqlite://{}/fogd-data/fogd.db\"\n{extra}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("fogd.toml"), cfg).unwrap();
        Env { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fogd"));
        c.current_dir(self.path())
            .env("FOGD_CONFIG", self.path().join("fogd.toml"))
            .env("FOGD_LOG_FORMAT", "json");
        c
    }
    fn fogd(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn import_reads_only_regular_files_of_bounded_size() {
    let env = Env::new("[limits]\nimport_max_bytes = 2000\n");
    // A device: refused at once (it read 2.1 GB in 2.6 s before).
    let t = Instant::now();
    let out = env.fogd(&["import", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // A pipe: refused without waiting for a writer.
    let fifo = env.path().join("cases.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = env.fogd(&["import", fifo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a regular file"));
    // A directory.
    let out = env.fogd(&["import", env.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // Over the size limit: refused naming the key.
    let big = env.write("big.json", &vec![b' '; 2001]);
    let out = env.fogd(&["import", big.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("import_max_bytes = 2000"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_cases_are_stored_bounded_and_clean_and_status_escapes_on_a_terminal() {
    let env = Env::new("");
    let huge = "R".repeat(1024 * 1024);
    let cases = serde_json::json!([
        { "reference": huge, "kind": "betalningsforelaggande" },
        { "reference": "A\u{0}B\u{1b}[2J\u{1b}]0;owned\u{7}", "kind": "betalningsforelaggande" },
    ]);
    let file = env.write("bad.json", cases.to_string().as_bytes());
    let out = env.fogd(&["import", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.len() < 100_000,
        "the problems echo {} bytes",
        stdout.len()
    );

    let out = env.fogd(&["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refs: Vec<String> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs.len(), 2, "{refs:?}");
    for r in &refs {
        assert!(
            r.chars().count() <= 64,
            "stored reference of {} chars",
            r.chars().count()
        );
        assert!(!r.chars().any(char::is_control), "{r:?}");
    }
    assert!(
        refs.iter()
            .any(|r| r.starts_with("RRRR") && r.contains('#')),
        "{refs:?}"
    );
    assert!(
        refs.iter()
            .any(|r| r == "A\\u{0}B\\u{1b}[2J\\u{1b}]0;owned\\u{7}"),
        "{refs:?}"
    );
    let db = std::fs::metadata(env.path().join("fogd-data/fogd.db"))
        .unwrap()
        .len();
    assert!(
        db < 2 * 1024 * 1024,
        "database of {db} bytes for two invalid cases"
    );

    // Stored text with control characters straight from the store (as another writer could leave it): on a
    // terminal `fogd status` writes them visibly.
    let url = format!("sqlite://{}/fogd-data/fogd.db", env.path().display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Another writer: a plain connection to the file, not fogd's store.
        let pool = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
        let done = sqlx::query("UPDATE cases SET hold_reason = ? WHERE reference LIKE 'A%'")
            .bind("check \u{1b}[31mred\u{1b}[0m \u{9b}2J")
            .execute(&pool)
            .await
            .unwrap();
        assert!(done.rows_affected() > 0);
        pool.close().await;
    });
    let fogd = env!("CARGO_BIN_EXE_fogd");
    let out = Command::new("script")
        .args(["-qec", &format!("{fogd} status"), "/dev/null"])
        .current_dir(env.path())
        .env("FOGD_CONFIG", env.path().join("fogd.toml"))
        .env("FOGD_LOG_FORMAT", "json")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("A\\u{0}B"), "{text}");
    assert!(
        !out.stdout.contains(&0x1b),
        "raw ESC reached the terminal: {text:?}"
    );
    assert!(!text.contains('\u{9b}'), "raw CSI reached the terminal");
    assert!(text.contains("\\u{1b}[31mred"), "{text}");
}

#[test]
fn send_poll_and_sim_refuse_private_keys_others_can_read() {
    let env = Env::new("[shs]\nurl = \"https://127.0.0.1:9/shs\"\nconnect_timeout_secs = 1\n");
    let certs = env.path().join("fogd-data/certs");
    fogd::certs::write_dev_certs(&certs, "5599999991", "Test").unwrap();
    let identity = certs.join("client-identity.pem");
    let server_key = certs.join("server-key.pem");
    for (file, m, cmd) in [
        (&identity, 0o640, "send"),
        (&identity, 0o604, "poll"),
        (&server_key, 0o644, "sim"),
    ] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(m)).unwrap();
        let out = env.fogd(&[cmd, "--help"]);
        assert!(out.status.success());
        let out = if cmd == "sim" {
            env.fogd(&["sim", "--listen", "127.0.0.1:0"])
        } else {
            env.fogd(&[cmd])
        };
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        let rel = file.strip_prefix(env.path()).unwrap();
        assert!(
            err.contains(&format!("chmod 600 {}", rel.display())),
            "{cmd}: {err}"
        );
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // With the modes fixed, `send` gets past the check (and fails on the missing node, exit 1, not 2).
    let out = env.fogd(&["send"]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn data_is_created_private_whatever_the_umask() {
    let env = Env::new(
        "[sim]\nstate = \"fogd-data/sim/sim.db\"\n[shs]\nurl = \"https://127.0.0.1:9/shs\"\nconnect_timeout_secs = 1\n",
    );
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases/cases.json");
    let fogd = env!("CARGO_BIN_EXE_fogd");
    let run = |args: &str| {
        let out = Command::new("sh")
            .args(["-c", &format!("umask 000 && exec {fogd} {args}")])
            .current_dir(env.path())
            .env("FOGD_CONFIG", env.path().join("fogd.toml"))
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "{args}");
        out
    };
    run(&format!("import {cases}"));
    // `send` makes the development certificates (and fails on the missing node).
    run("send");
    let data = env.path().join("fogd-data");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("certs")), 0o700);
    for f in [
        "fogd.db",
        "fogd.db-wal",
        "fogd.db-shm",
        "certs/client-identity.pem",
    ] {
        let p = data.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{f}");
        } else {
            assert!(f != "fogd.db", "no database");
        }
    }
    // The simulator's state too.
    let mut sim = Command::new("sh")
        .args([
            "-c",
            &format!("umask 000 && exec {fogd} sim --listen 127.0.0.1:0"),
        ])
        .current_dir(env.path())
        .env("FOGD_CONFIG", env.path().join("fogd.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sim.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(line.starts_with("listening on"), "{line:?}");
    assert_eq!(mode(&data.join("sim")), 0o700);
    assert_eq!(mode(&data.join("sim/sim.db")), 0o600);
}
