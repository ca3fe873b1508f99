//! Helpers for the `fogd serve` integration tests: a temp installation, the CLI, a running daemon on port 0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A temp installation: a directory with `fogd.toml`.
pub struct Install {
    pub dir: tempfile::TempDir,
}

impl Install {
    /// A new installation; `extra` is appended to the config (e.g. `[api]\nmax_body_bytes = 1000`).
    pub fn new(extra: &str) -> Install {
        let dir = tempfile::tempdir().unwrap();
        // An SHS port where nothing listens.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let cfg = format!(
            "[database]\nurl = \"sqlite://{}/fogd.db\"\n[shs]\nurl = \"https://127.0.0.1:{port}/shs\"\nconnect_timeout_secs = 2\n{extra}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("fogd.toml"), cfg).unwrap();
        Install { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `fogd` command in the installation's directory with its config.
    pub fn cmd(&self) -> Command {
        self.cmd_under(&[])
    }

    /// A `fogd` command run by `prefix` (e.g. `["prlimit", "--nofile=128:128", "--"]`), in the installation's
    /// directory with its config.
    pub fn cmd_under(&self, prefix: &[&str]) -> Command {
        let mut c = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(env!("CARGO_BIN_EXE_fogd"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_fogd")),
        };
        c.current_dir(self.path())
            .env("FOGD_CONFIG", self.path().join("fogd.toml"))
            .env("FOGD_LOG_FORMAT", "json")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC");
        c
    }

    /// Creates a token with `role`; returns it.
    pub fn token(&self, role: &str, name: &str) -> String {
        let out = self
            .cmd()
            .args(["token", "create", "--role", role, "--name", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Starts `fogd serve --listen 127.0.0.1:0` (plus `args`) and waits for its `listening on` line.
    pub fn serve(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        self.serve_under(&[], args, env)
    }

    /// As [`Install::serve`], run by `prefix` (see [`Install::cmd_under`]).
    pub fn serve_under(&self, prefix: &[&str], args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut c = self.cmd_under(prefix);
        c.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(self.path().join("serve.log")).unwrap(),
            ));
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = lines.next().expect("fogd serve printed nothing").unwrap();
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            base,
            log: self.path().join("serve.log"),
        }
    }
}

/// A running `fogd serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits (at most 20 s) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        for _ in 0..400 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("fogd serve did not stop within 20 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The example cases (JSON array).
pub fn example_cases() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cases/cases.json"
    ))
    .unwrap()
}

/// A running `fogd sim` (killed when dropped).
pub struct Sim {
    pub child: Child,
    /// `https://ADDR/shs`.
    pub shs_url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Install {
    /// Starts `fogd sim --listen 127.0.0.1:0` with this installation's config (and its dev certificates), its
    /// state in the installation, and `faults` if given.
    pub fn sim(&self, faults: Option<&str>) -> Sim {
        let mut c = self.cmd();
        c.args(["sim", "--listen", "127.0.0.1:0", "--state"])
            .arg(self.path().join("sim.db"));
        if let Some(f) = faults {
            c.args(["--faults", f]);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("fogd sim printed {line:?}"))
            .to_string();
        Sim {
            child,
            shs_url: format!("https://{addr}/shs"),
        }
    }
}

/// The value of the hidden form field `name` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

/// `name=value` of the `Set-Cookie` header naming cookie `name`.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

/// Signs in through the form as a browser does: `GET /signin` (the nonce cookie and the form's copy), then
/// `POST /signin` with the token; the answer of the post.
pub async fn sign_in(http: &reqwest::Client, srv: &Server, token: &str) -> reqwest::Response {
    let form = http.get(srv.url("/signin")).send().await.unwrap();
    let nonce_cookie = set_cookie(&form, "fogd_signin").expect("sign-in nonce cookie");
    let html = form.text().await.unwrap();
    let nonce = hidden_field(&html, "nonce").expect("nonce field");
    http.post(srv.url("/signin"))
        .header("cookie", nonce_cookie)
        .header("origin", srv.base.clone())
        .form(&[("token", token), ("nonce", nonce.as_str())])
        .send()
        .await
        .unwrap()
}
