//! Provenance: what made a run, on what machine. Build-time facts (git commit, compiler, Polars version) come from
//! `build.rs`; machine facts from sysinfo at run time.

use sysinfo::{CpuRefreshKind, RefreshKind, System};

use polaroid_results::{CacheMode, CapMethod, DatasetInfo, Provenance};

/// The Polars version linked into this binary.
pub const POLARS_VERSION: &str = polars::VERSION;
/// The git commit this binary was built from, or `unknown`.
pub const GIT_COMMIT: &str = env!("POLAROID_GIT_COMMIT");
/// The compiler that built this binary.
pub const RUSTC_VERSION: &str = env!("POLAROID_RUSTC_VERSION");

/// Current UTC time, RFC 3339.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// Provenance of a run starting now.
pub fn collect(command: Vec<String>, cache_mode: CacheMode, cap: CapMethod, datasets: Vec<DatasetInfo>) -> Provenance {
    let sys = System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()).with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram()));
    let started = now();
    Provenance {
        polaroid_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: (GIT_COMMIT != "unknown").then(|| GIT_COMMIT.to_string()),
        polars_version: POLARS_VERSION.to_string(),
        rustc_version: RUSTC_VERSION.to_string(),
        os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_string()),
        kernel: System::kernel_version().unwrap_or_else(|| "unknown".into()),
        hostname: System::host_name().unwrap_or_else(|| "unknown".into()),
        cpu_model: sys.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_else(|| "unknown".into()),
        cores_logical: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cores_physical: System::physical_core_count(),
        memory_total_bytes: sys.total_memory(),
        command,
        started_at: started.clone(),
        updated_at: started,
        cache_mode,
        memory_cap_method: cap,
        datasets,
        interleaved: None,
    }
}
