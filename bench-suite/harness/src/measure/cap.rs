//! Memory caps for measurement processes, enforced by the kernel.
//!
//! Preference order: a cgroup v2 `memory.max`, else a cgroup v1 `memory.limit_in_bytes` (both need a writable
//! cgroup hierarchy, as root has on most machines), else `RLIMIT_AS` set by the measurement process on itself.
//! With a cgroup the kernel's OOM killer kills the process when it cannot reclaim below the cap, and the cgroup's
//! counters say so, so an `oom` outcome is recorded only when a kill was actually observed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use polaroid_results::CapMethod;

use crate::error::{Result, io_err};

const V2_ROOT: &str = "/sys/fs/cgroup";
const V1_ROOT: &str = "/sys/fs/cgroup/memory";

/// How caps are enforced on this machine, decided once per run.
#[derive(Debug, Clone)]
pub struct CapEnforcer {
    method: CapMethod,
    parent: Option<PathBuf>,
}

/// One measurement's cap. Dropping it removes its cgroup.
#[derive(Debug)]
pub struct CapGuard {
    method: CapMethod,
    dir: Option<PathBuf>,
    /// The cap in bytes.
    pub cap_bytes: u64,
}

impl CapEnforcer {
    /// Finds the best method this machine allows, by trying to create a cgroup for polaroid.
    pub fn detect() -> CapEnforcer {
        let v2_controllers = std::fs::read_to_string(Path::new(V2_ROOT).join("cgroup.controllers")).unwrap_or_default();
        if v2_controllers.split_whitespace().any(|c| c == "memory") {
            // Child groups get the memory controller only if the root delegates it; asking twice is harmless.
            let _ = std::fs::write(Path::new(V2_ROOT).join("cgroup.subtree_control"), "+memory");
            if let Some(parent) = try_parent(Path::new(V2_ROOT), "memory.max") {
                return CapEnforcer { method: CapMethod::CgroupV2, parent: Some(parent) };
            }
        }
        if let Some(parent) = try_parent(Path::new(V1_ROOT), "memory.limit_in_bytes") {
            return CapEnforcer { method: CapMethod::CgroupV1, parent: Some(parent) };
        }
        CapEnforcer { method: CapMethod::Rlimit, parent: None }
    }

    /// The method in use.
    pub fn method(&self) -> CapMethod {
        self.method
    }

    /// Creates the cap for one measurement process (a fresh cgroup when cgroups are used).
    pub fn cap(&self, cap_bytes: u64) -> Result<CapGuard> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let Some(parent) = &self.parent else {
            return Ok(CapGuard { method: self.method, dir: None, cap_bytes });
        };
        let dir = parent.join(format!("m{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir(&dir).map_err(io_err("creating cgroup", &dir))?;
        let limit_file = match self.method {
            CapMethod::CgroupV2 => "memory.max",
            _ => "memory.limit_in_bytes",
        };
        std::fs::write(dir.join(limit_file), cap_bytes.to_string()).map_err(io_err("setting memory limit in", &dir))?;
        if self.method == CapMethod::CgroupV1 {
            // Charge the process's existing pages (the binary, its start-up allocations) to the new group too, so
            // the group's peak covers the whole process, as it does under v2.
            let _ = std::fs::write(dir.join("memory.move_charge_at_immigrate"), "3");
        }
        if self.method == CapMethod::CgroupV2 {
            // No swap escape hatch: over the cap means reclaim or be killed.
            let _ = std::fs::write(dir.join("memory.swap.max"), "0");
        }
        Ok(CapGuard { method: self.method, dir: Some(dir), cap_bytes })
    }
}

/// A polaroid parent group under `root`, usable if a child group with `limit_file` can be created in it.
fn try_parent(root: &Path, limit_file: &str) -> Option<PathBuf> {
    let parent = root.join("polaroid");
    let _ = std::fs::create_dir(&parent);
    // Groups left by a run that was killed before it could clean up: named `m<pid>-<n>` after the run that made
    // them, removed only when that run is gone (a live run's group may be empty between its creation and the
    // child's attach; the kernel would let it be removed then).
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let owner = name.strip_prefix('m').and_then(|rest| rest.split('-').next()).and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = owner
            && !Path::new(&format!("/proc/{pid}")).exists()
            && entry.path().is_dir()
        {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
    let probe = parent.join(format!("probe-{}", std::process::id()));
    let usable = std::fs::create_dir(&probe).is_ok() && probe.join(limit_file).exists();
    let _ = std::fs::remove_dir(&probe);
    usable.then_some(parent)
}

impl CapGuard {
    /// Moves a process into the cap's cgroup (no-op for rlimit, which the process sets on itself).
    pub fn attach(&self, pid: u32) -> Result<()> {
        if let Some(dir) = &self.dir {
            let procs = dir.join("cgroup.procs");
            std::fs::write(&procs, pid.to_string()).map_err(io_err("moving the measurement process into", &procs))?;
        }
        Ok(())
    }

    /// The address-space limit the process must set on itself, for the rlimit method.
    pub fn rlimit_bytes(&self) -> Option<u64> {
        (self.method == CapMethod::Rlimit).then_some(self.cap_bytes)
    }

    /// Peak memory charged to the cgroup (anonymous memory plus page cache).
    pub fn peak_bytes(&self) -> Option<u64> {
        let file = match self.method {
            CapMethod::CgroupV2 => "memory.peak",
            CapMethod::CgroupV1 => "memory.max_usage_in_bytes",
            CapMethod::Rlimit => return None,
        };
        std::fs::read_to_string(self.dir.as_ref()?.join(file)).ok()?.trim().parse().ok()
    }

    /// OOM kills the kernel made in this cgroup, with the file they were read from.
    pub fn oom_kills(&self) -> Option<(u64, &'static str)> {
        let file = match self.method {
            CapMethod::CgroupV2 => "memory.events",
            CapMethod::CgroupV1 => "memory.oom_control",
            CapMethod::Rlimit => return None,
        };
        let text = std::fs::read_to_string(self.dir.as_ref()?.join(file)).ok()?;
        let kills = text.lines().find_map(|l| l.strip_prefix("oom_kill ")).and_then(|v| v.trim().parse().ok())?;
        Some((kills, file))
    }
}

impl Drop for CapGuard {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
}
