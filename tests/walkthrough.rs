//! The README's walk-through of an installation of one's own, run verbatim: the fenced block after the
//! `<!-- walkthrough: … -->` marker in README.md is extracted and run by `bash -eu -o pipefail` in an empty
//! directory, with the built `fogd` first on the `PATH` and free ports for the simulator and the API. Nothing of it
//! is skipped: any failing command fails the test. Then the end state is checked: both cases registered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = "<!-- walkthrough:";

/// The walk-through block of README.md (the first ```sh fence after the marker).
fn walkthrough(readme: &str) -> String {
    let after = &readme[readme
        .find(MARKER)
        .expect("README.md has no walk-through marker")..];
    let mut lines = after.lines().skip(1);
    assert_eq!(
        lines.next().map(str::trim),
        Some("```sh"),
        "the marker must be followed by a ```sh fence"
    );
    let mut block = String::new();
    for l in lines {
        if l.trim_start().starts_with("```") {
            return block;
        }
        block.push_str(l);
        block.push('\n');
    }
    panic!("the walk-through block is not closed");
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Kills what the walk-through started in the background if it stopped half-way (its `*.pid` files).
struct Leftovers<'a>(&'a Path);

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        for name in ["serve.pid", "sim.pid"] {
            if let Ok(pid) = std::fs::read_to_string(self.0.join(name)) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

#[test]
fn the_readme_walk_through_runs_verbatim() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let script = walkthrough(&readme);
    // The block is the whole walk-through, not a stub: every step a real installation takes is in it.
    for step in [
        "fogd dev-certs",
        "org_number",
        "intressentkod",
        "fogd sim ",
        "fogd serve",
        "/api/v1/cases",
        "fogd journal approve",
        "fogd send",
        "fogd poll",
        "fogd sim evening-run",
        "kill",
    ] {
        assert!(script.contains(step), "the walk-through lacks {step:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_fogd"), bin.join("fogd")).unwrap();
    let work = dir.path().join("install");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(dir.path().join("walkthrough.sh"), &script).unwrap();
    let _leftovers = Leftovers(&work);

    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-eu", "-o", "pipefail"])
        .arg(dir.path().join("walkthrough.sh"))
        .current_dir(&work)
        .env("PATH", path)
        .env("SIM_PORT", free_port().to_string())
        .env("API_PORT", free_port().to_string())
        .stdout(Stdio::from(
            std::fs::File::create(dir.path().join("out.txt")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("err.txt")).unwrap(),
        ));
    for (k, _) in std::env::vars() {
        if k.starts_with("FOGD_") {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the walk-through took more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    let err = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert!(
        status.success(),
        "{status}\n--- stdout\n{out}\n--- stderr\n{err}"
    );

    // The end state, read the way an operator reads it.
    let o = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .args(["status", "--format", "json"])
        .current_dir(&work)
        .env_remove("FOGD_CONFIG")
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "{v}");
    for c in cases {
        assert_eq!(c["state"], "registered", "{c}\n{out}");
        assert!(
            c["malnummer"]
                .as_str()
                .is_some_and(|m| m.starts_with("BF-")),
            "{c}"
        );
        assert_eq!(c["intressentkod"], "EXI", "{c}");
    }
    assert_eq!(v["files"][0]["file_name"], "EXI.ANSOKAN", "{v}");
    // The background processes were stopped by the walk-through itself.
    for name in ["serve.pid", "sim.pid"] {
        let pid = std::fs::read_to_string(work.join(name)).unwrap();
        let alive = Command::new("kill")
            .args(["-0", pid.trim()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "{name} still running");
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}
