//! Shared kit for the crash and fault harnesses (`tests/crash_*.rs`): a copy of the `fogd` binary, dev
//! certificates, `fogd sim` as a child process on port 0 with its own state file, a generated set of BFÖ cases,
//! helpers that run (and SIGKILL) `fogd` commands, the sim's admin API over mutual TLS, and the invariant checks
//! every harness ends with.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Kills a child on drop (the sim must not outlive a failed test).
pub struct KillOnDrop(pub Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The two intressentkoder the generated cases use (two löpnummer series of ANSOKAN).
pub const IKS: [&str; 2] = ["DEV", "DV2"];

/// Settings of one harness run.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Cases to generate.
    pub cases: usize,
    /// `batch.max_cases_per_file`.
    pub max_cases_per_file: u32,
    /// `batch.max_unreceipted_per_series`.
    pub max_unreceipted: u32,
    /// `shs.request_timeout_secs`.
    pub request_timeout_secs: u64,
    /// `database.url` (None: SQLite in the temp dir).
    pub database_url: Option<String>,
    /// Tolerate felkod 0010 (a number sent after a lower one that was then rejected whole: the node expected
    /// the rejected number again). Only for runs that inject a whole-file rejection.
    pub allow_0010: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            cases: 240,
            max_cases_per_file: 20,
            max_unreceipted: 2,
            request_timeout_secs: 3,
            database_url: None,
            allow_0010: false,
        }
    }
}

/// One harness: temp dir, binary copy, sim child, config.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
    pub addr: String,
    pub setup: Setup,
    pub references: Vec<String>,
    sim: Option<KillOnDrop>,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

fn certs_toml(d: &Path) -> String {
    let c = d.join("certs");
    format!(
        "[tls]\nca = \"{c}/ca.pem\"\nidentity = \"{c}/client-identity.pem\"\nserver_cert = \"{c}/server.pem\"\n\
         server_key = \"{c}/server-key.pem\"\n",
        c = c.display()
    )
}

/// A BFÖ case (JSON) with this reference and intressentkod; the amount varies with `i`.
pub fn bfo_case(reference: &str, ik: &str, i: usize) -> Value {
    serde_json::json!({
        "reference": reference, "kind": "betalningsforelaggande", "intressentkod": ik,
        "creditor": { "id": "556036-0793", "name": "Exempel Kredit AB" },
        "debtors": [{ "id": "556677-8808", "name": "Bröderna Öhmans Åkeri AB", "street": "Industrivägen 3",
                      "postal_code": "90325", "city": "Umeå" }],
        "claims": [{ "kind": "kapital", "amount": format!("{}.{:02}", 1000 + i, i % 100),
                     "due_date": "2026-05-15", "invoice_number": format!("F-{i}"), "basis": "Faktura" }]
    })
}

impl Harness {
    /// Copies the binary, makes certificates, writes the config and the cases, starts the sim.
    pub fn new(setup: Setup) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bin = private_binary();
        let out = Command::new(&bin)
            .arg("dev-certs")
            .arg(d.join("certs"))
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut refs = Vec::new();
        let mut cases = Vec::new();
        for i in 0..setup.cases {
            let ik = IKS[i % IKS.len()];
            let r = format!("CR-{ik}-{i:05}");
            cases.push(bfo_case(&r, ik, i));
            refs.push(r);
        }
        std::fs::write(d.join("cases.json"), Value::Array(cases).to_string()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let id = std::fs::read(d.join("certs/client-identity.pem")).unwrap();
        let ca = std::fs::read(d.join("certs/ca.pem")).unwrap();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .identity(reqwest::Identity::from_pem(&id).unwrap())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut h = Harness {
            dir,
            bin,
            addr: String::new(),
            setup,
            references: refs,
            sim: None,
            rt,
            http,
        };
        h.write_config();
        h.start_sim();
        h.write_config();
        h
    }

    /// The temp dir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write_config(&self) {
        let d = self.path();
        let db = self
            .setup
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", d.join("fogd.db").display()));
        let url = if self.addr.is_empty() {
            "https://127.0.0.1:1/shs".to_string()
        } else {
            format!("https://{}/shs", self.addr)
        };
        let toml = format!(
            "[database]\nurl = \"{db}\"\nmax_connections = 2\n\
             [shs]\nurl = \"{url}\"\nrequest_timeout_secs = {rt}\nconnect_timeout_secs = 2\n\
             [batch]\nmax_cases_per_file = {mc}\nmax_unreceipted_per_series = {mu}\n\
             send_retry_base_secs = 1\nsend_retry_max_secs = 2\n\
             [sim]\nstate = \"{sim}\"\nutslag_delay_secs = 100000\nevening_run = \"0 3 1 1 *\"\n{certs}",
            rt = self.setup.request_timeout_secs,
            mc = self.setup.max_cases_per_file,
            mu = self.setup.max_unreceipted,
            sim = d.join("sim.db").display(),
            certs = certs_toml(d),
        );
        std::fs::write(d.join("fogd.toml"), toml).unwrap();
    }

    fn start_sim(&mut self) {
        let d = self.path().to_path_buf();
        let log = std::fs::File::create(d.join("sim.log")).unwrap();
        let mut child = Command::new(&self.bin)
            .args(["--config", "fogd.toml", "sim", "--listen", "127.0.0.1:0"])
            .current_dir(&d)
            .env("FOGD_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let guard = KillOnDrop(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        self.addr = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| {
                panic!(
                    "sim said {line:?}; its log: {}",
                    std::fs::read_to_string(d.join("sim.log")).unwrap_or_default()
                )
            })
            .to_string();
        self.sim = Some(guard);
    }

    /// A `fogd` command (config of this harness, quiet logs, no fail point).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(["--config", "fogd.toml"])
            .args(args)
            .current_dir(self.path())
            .env("FOGD_LOG", "error")
            .env_remove("FOGD_FAILPOINT");
        c
    }

    /// Runs a command to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that must succeed (exit 0).
    pub fn run_ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "fogd {args:?}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Starts a command and SIGKILLs it after `delay` unless it ended first. Returns true when it was killed,
    /// false when it had finished (then with its exit code, which must be 0 or 1: 1 is a pass that saw a
    /// retryable failure).
    pub fn run_and_kill(&self, args: &[&str], delay: Duration) -> (bool, Duration) {
        let start = Instant::now();
        let mut child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                assert!(
                    matches!(st.code(), Some(0 | 1)),
                    "fogd {args:?} ended with {st:?}"
                );
                return (false, start.elapsed());
            }
            if start.elapsed() >= delay {
                child.kill().unwrap(); // SIGKILL on Unix
                let _ = child.wait();
                return (true, start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// `fogd status --format json`.
    pub fn status(&self) -> Value {
        serde_json::from_str(&self.run_ok(&["status", "--format", "json"])).unwrap()
    }

    /// GET on the sim's admin API.
    pub fn admin(&self, path: &str) -> Value {
        let url = format!("https://{}{path}", self.addr);
        self.rt.block_on(async {
            let r = self.http.get(&url).send().await.unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.json().await.unwrap()
        })
    }

    /// POST on the sim's admin API.
    pub fn admin_post(&self, path: &str, body: Value) -> Value {
        let url = format!("https://{}{path}", self.addr);
        self.rt.block_on(async {
            let r = self.http.post(&url).json(&body).send().await.unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.json().await.unwrap()
        })
    }

    /// Adds sim faults (`POST /sim/v1/faults {"spec": …}`).
    pub fn faults(&self, spec: &str) {
        self.admin_post("/sim/v1/faults", serde_json::json!({ "spec": spec }));
    }

    /// Case states in fogd, by reference.
    pub fn fogd_states(&self) -> BTreeMap<String, String> {
        let v = self.status();
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["reference"].as_str().unwrap().to_string(),
                    c["state"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Runs send/poll (no kills) until every case is in one of `states`, or panics after `limit`.
    pub fn drive_until(&self, states: &[&str], limit: Duration) {
        let start = Instant::now();
        let mut last_pending = usize::MAX;
        let mut since = Instant::now();
        loop {
            let st = self.fogd_states();
            let pending: Vec<_> = st
                .iter()
                .filter(|(_, s)| !states.contains(&s.as_str()))
                .collect();
            if st.len() == self.references.len() && pending.is_empty() {
                return;
            }
            if pending.len() != last_pending {
                last_pending = pending.len();
                since = Instant::now();
            } else if since.elapsed() > Duration::from_secs(3) {
                let n = self.redeliver_lost();
                if n > 0 {
                    eprintln!("re-delivered {n} message(s) fetched by a killed poll but never acknowledged");
                }
                since = Instant::now();
            }
            if start.elapsed() >= limit {
                let files: Vec<String> = self.status()["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f["state"] != "receipted_ok")
                    .map(|f| {
                        format!(
                            "file {} {} {} lop {} {} attempts {} last_error {}",
                            f["id"],
                            f["intressentkod"],
                            f["tx_id"],
                            f["lopnummer"],
                            f["state"],
                            f["attempts"],
                            f["last_error"]
                        )
                    })
                    .collect();
                let inbound = Command::new("sqlite3")
                    .args(["-cmd", ".timeout 5000"])
                    .arg(self.path().join("fogd.db"))
                    .arg("SELECT id, tx_id, kind, corr_id, acked_at IS NOT NULL, applied_at IS NOT NULL, apply_error FROM inbound WHERE apply_error IS NOT NULL OR applied_at IS NULL")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                panic!(
                    "not done after {limit:?}: {} of {} cases pending, e.g. {:?}\nfiles not receipted: {files:#?}\n\
                     inbound:\n{inbound}\nsim messages:\n{}",
                    pending.len(),
                    st.len(),
                    pending.iter().take(3).collect::<Vec<_>>(),
                    self.admin("/sim/v1/messages")
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|m| format!("{} {} {} {} acked {} {}", m["tx_id"], m["outbox"], m["corr_id"], m["state"], m["acked"], m["files"]))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            let _ = self.run(&["send"]);
            let _ = self.run(&["poll"]);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Plays the operator of an Axel node: a message whose fetch was fully streamed is `fetched` there and never
    /// listed again (shs.md §4.3), so a poll SIGKILLed between the end of the fetch and the commit of the raw
    /// message loses it — no client can close that window. The harness puts such messages (fetched, never
    /// acknowledged) back into the list, as an operator asking the node for a re-delivery would, and counts them.
    pub fn redeliver_lost(&self) -> usize {
        let o = Command::new("sqlite3")
            .args(["-cmd", ".timeout 5000"])
            .arg(self.path().join("sim.db"))
            .arg(
                "UPDATE shs_messages SET state = 'received' WHERE state = 'fetched' AND acked = 0 RETURNING tx_id;",
            )
            .output()
            .expect("sqlite3 is needed");
        String::from_utf8_lossy(&o.stdout).lines().count()
    }

    /// After the sends: everything accepted, then the sim's evening run, then everything registered.
    pub fn finish(&self, limit: Duration) {
        self.drive_until(&["accepted"], limit);
        self.admin_post("/sim/v1/evening-run", Value::Null);
        self.drive_until(&["registered"], limit);
    }

    /// The invariants every harness ends with (see the module doc of `tests/crash_harness.rs`).
    pub fn assert_invariants(&self) {
        check_invariants(
            &self.references,
            &self.status(),
            &self.admin("/sim/v1/files"),
            &self.admin("/sim/v1/cases"),
            1,
            self.setup.allow_0010,
        );
    }
}

/// The checks, on fogd's `status --format json` and the sim's `/sim/v1/files` and `/sim/v1/cases`:
///
/// 1. every generated reference is exactly one case in fogd, in the terminal state `registered`, and exactly one
///    non-rejected application at the sim, `registered` with the same målnummer;
/// 2. no handlingsref was approved twice (at most one accepted application per handlingsref; no felkod 0060);
/// 3. each löpnummer series the sim approved is contiguous from `first` (no gap, no number twice), and no file
///    was refused for its löpnummer (0010/0011);
/// 4. no löpnummer was approved with two different contents, every tx.id carried the bytes fogd froze for it, and
///    every file the sim approved is `receipted_ok` in fogd with that löpnummer.
pub fn check_invariants(
    refs: &[String],
    status: &Value,
    files: &Value,
    cases: &Value,
    first: i64,
    allow_0010: bool,
) {
    let fcases = status["cases"].as_array().unwrap();
    let ffiles = status["files"].as_array().unwrap();
    let sfiles = files.as_array().unwrap();
    let scases = cases.as_array().unwrap();

    // 1. one case each, terminal, agreeing with the sim.
    let mut by_ref: HashMap<&str, Vec<&Value>> = HashMap::new();
    for c in fcases {
        by_ref
            .entry(c["reference"].as_str().unwrap())
            .or_default()
            .push(c);
    }
    assert_eq!(
        fcases.len(),
        refs.len(),
        "fogd holds exactly the generated cases"
    );
    let mut sim_by_ref: HashMap<&str, Vec<&Value>> = HashMap::new();
    for c in scases {
        sim_by_ref
            .entry(c["handlingsref"].as_str().unwrap())
            .or_default()
            .push(c);
    }
    for r in refs {
        let f = by_ref.get(r.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(f.len(), 1, "{r}: {} cases in fogd", f.len());
        assert_eq!(f[0]["state"], "registered", "{r}: {}", f[0]);
        let s: Vec<_> = sim_by_ref
            .get(r.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter(|c| c["status"] != "rejected")
            .collect();
        // 2. never approved twice.
        assert_eq!(
            s.len(),
            1,
            "{r}: {} accepted applications at the sim: {s:?}",
            s.len()
        );
        assert_eq!(s[0]["status"], "registered", "{r}: {}", s[0]);
        assert_eq!(s[0]["malnummer"], f[0]["malnummer"], "{r}");
    }
    for c in scases {
        let fk: Vec<&str> = c["felkoder"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!fk.contains(&"0060"), "handlingsref sent twice: {c}");
    }

    // 3 and 4. series and contents.
    let fogd_by_tx: HashMap<&str, &Value> = ffiles
        .iter()
        .map(|f| (f["tx_id"].as_str().unwrap(), f))
        .collect();
    let mut approved: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    let mut contents: HashMap<(String, String, i64), HashSet<String>> = HashMap::new();
    let mut sim_tx = HashSet::new();
    for f in sfiles {
        let tx = f["tx_id"].as_str().unwrap();
        assert!(
            sim_tx.insert(tx.to_string()),
            "tx.id {tx} received twice as a file"
        );
        let felkoder: Vec<&str> = f["felkoder"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            (allow_0010 || !felkoder.contains(&"0010")) && !felkoder.contains(&"0011"),
            "a file was refused for its löpnummer: {f}"
        );
        let mine = fogd_by_tx
            .get(tx)
            .unwrap_or_else(|| panic!("the sim received tx.id {tx} that fogd never built"));
        assert_eq!(
            mine["sha256"], f["sha256"],
            "tx.id {tx} carried other bytes than fogd froze"
        );
        if f["status"] == "G" {
            let key = (
                f["intressentkod"].as_str().unwrap().to_string(),
                f["filtyp"].as_str().unwrap().to_string(),
            );
            let lop = f["lopnummer"].as_i64().unwrap();
            approved.entry(key.clone()).or_default().push(lop);
            contents
                .entry((key.0, key.1, lop))
                .or_default()
                .insert(f["sha256"].as_str().unwrap().to_string());
            assert_eq!(mine["state"], "receipted_ok", "approved at the sim: {mine}");
            assert_eq!(mine["lopnummer"].as_i64(), Some(lop));
        }
    }
    for ((ik, ft), mut lops) in approved {
        lops.sort_unstable();
        let want: Vec<i64> = (first..first + lops.len() as i64).collect();
        assert_eq!(lops, want, "series {ik}/{ft} is not contiguous");
    }
    for (k, shas) in contents {
        assert_eq!(shas.len(), 1, "löpnummer {k:?} approved with two contents");
    }
    // fogd's receipted_ok files are exactly the sim's approved ones.
    for f in ffiles {
        if f["state"] == "receipted_ok" {
            let tx = f["tx_id"].as_str().unwrap();
            let s = sfiles.iter().find(|s| s["tx_id"] == tx);
            assert!(
                s.is_some_and(|s| s["status"] == "G"),
                "fogd thinks {tx} was approved, the sim does not"
            );
        }
    }
}

/// A private copy of the binary under test, made once per test process: every build in the shared target dir
/// overwrites `CARGO_BIN_EXE_fogd`, so the copy is taken as early as possible and used by every harness.
///
/// The copy lives in `CARGO_TARGET_TMPDIR/crash-bins/fogd-<pid>`, and copies left by processes that are gone are
/// removed first: a static is never dropped, so a temporary directory held by one leaked a copy of the binary
/// (over 300 MB with debug info) on every run.
pub fn private_binary() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crash-bins");
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("fogd-")
                .and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let bin = dir.join(format!("fogd-{}", std::process::id()));
        std::fs::copy(env!("CARGO_BIN_EXE_fogd"), &bin).unwrap();
        bin
    })
    .clone()
}

/// A seed from `FOGD_CRASH_SEED`, else a random one; printed so a failure can be replayed.
pub fn seed() -> u64 {
    let s = std::env::var("FOGD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash harness seed: {s} (replay with FOGD_CRASH_SEED={s})");
    s
}
