//! Shared fixtures: a temp workspace per test and a way to run the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polaroid_results::RunResult;

pub const BIN: &str = env!("CARGO_BIN_EXE_polaroid-bench");

/// A temporary directory holding a data dir and result files for one test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("data")).unwrap();
        Sandbox { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `polaroid-bench run --suite smoke --data-dir <data> --no-calibrate --out <out> ARGS`.
    pub fn run(&self, out: &Path, args: &[&str]) -> Output {
        let mut cmd = self.command();
        cmd.args(["run", "--suite", "smoke", "--no-calibrate", "--data-dir"]).arg(self.data()).arg("--out").arg(out);
        cmd.args(args).output().expect("run polaroid-bench")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        // Tests must not read a developer's POLAROID_* settings.
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("POLAROID_")) {
            cmd.env_remove(key);
        }
        cmd
    }
}

pub fn load(path: &Path) -> RunResult {
    RunResult::load(path).expect("a valid result document")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
