//! Records build-time provenance: the git commit, and the compiler (the Polars version comes from `polars::VERSION`).

use std::process::Command;

fn main() {
    // Read at run time: `env!` would bake in the directory the build script was first compiled in, which a shared
    // target directory reuses for other checkouts (then `git` runs in a directory that no longer exists).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let root = std::path::Path::new(&manifest_dir).join("../..");
    // `git` can fail transiently (e.g. while a commit holds the index lock): retry, and say why when it gives up.
    let mut commit = "unknown".to_string();
    for attempt in 0..5 {
        match Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&root).output() {
            Ok(o) if o.status.success() => {
                commit = String::from_utf8_lossy(&o.stdout).trim().to_string();
                break;
            }
            Ok(o) if attempt == 4 => println!("cargo:warning=no git commit in provenance: {}", String::from_utf8_lossy(&o.stderr).trim()),
            Err(e) if attempt == 4 => println!("cargo:warning=no git commit in provenance: {e}"),
            _ => std::thread::sleep(std::time::Duration::from_millis(200)),
        }
    }
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(&root)
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    let commit = if dirty && commit != "unknown" { format!("{commit}-dirty") } else { commit };
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=POLAROID_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=POLAROID_RUSTC_VERSION={rustc_version}");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/index");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
}
