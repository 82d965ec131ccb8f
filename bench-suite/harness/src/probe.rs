//! Facts about this process from the kernel (/proc, getrusage, prctl): a leaf that every room may use.
#![allow(unsafe_code)]

/// `VmHWM` from a /proc status file, bytes.
pub fn vm_hwm_bytes(status_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_file).ok()?;
    let kib: u64 = text.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Makes a child started from `cmd` get SIGKILL when this process dies (its companions must not outlive the runner,
/// even when the runner is killed).
pub fn kill_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and only calls prctl, which is async-signal-safe
    // and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
}

/// User + system CPU seconds this process has used so far (`getrusage(RUSAGE_SELF)`).
pub fn own_cpu_seconds() -> f64 {
    // SAFETY: rusage is plain old data; zeroed is valid, and getrusage only writes through the pointer.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a pointer to a live local.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Makes the kernel kill this process when the process that started it dies, even by `kill -9`: a measurement
/// (or a feed) must never outlive its runner. Exits at once if the parent is already gone.
pub fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory of ours; getppid cannot fail.
    let parent_gone = unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        libc::getppid() == 1
    };
    if parent_gone {
        std::process::exit(2);
    }
}
