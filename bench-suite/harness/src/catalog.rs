//! The catalog: what this binary can measure, as data (`polaroid_results::catalog::Catalog`), for `list` and for
//! front ends that offer valid names.

use polaroid_results::catalog::{Catalog, SizeInfo, TaskInfo, VariantInfo, WorkloadInfo};

use crate::engines::EngineKind;
use crate::workloads::file::FileWorkload;
use crate::workloads::{Params, Size, WORKLOADS, Workload};

/// Every workload (tasks, default variants, settings per size) and every variant with its role.
pub fn catalog() -> Catalog {
    catalog_of(&WORKLOADS, EngineKind::ALL.to_vec(), None)
}

/// What a workload file would run: its queries, its engines, and the settings per size after its `[run]`.
pub fn file_catalog(file: &FileWorkload) -> Catalog {
    catalog_of(&crate::workloads::sql::workloads(file), file.engines.clone(), Some(file))
}

/// A workload's settings at `size`, a workload file's `[run]`, `[concurrency]` and `[s3]` applied, as a run without
/// command-line options would have them.
fn settings_at(w: &Workload, size: Size, file: Option<&FileWorkload>) -> crate::protocol::Settings {
    let mut st = (w.settings)(size);
    if let Some(file) = file {
        let none = crate::workloads::Overrides { memory_cap_bytes: None, clients: None, latency_ms: None };
        crate::workloads::sql::file_settings(file, crate::workloads::sql::is_mix(w), &mut st);
        crate::workloads::sql::s3_sweep(file, &none, &mut st);
    }
    st
}

fn catalog_of(workloads: &[&Workload], variants: Vec<EngineKind>, file: Option<&FileWorkload>) -> Catalog {
    let workloads = workloads
        .iter()
        .map(|w| WorkloadInfo {
            name: w.name.into(),
            about: w.about.into(),
            fairness: w.fairness.into(),
            tasks: w.tasks.iter().map(|t| TaskInfo { name: t.name.into(), times: t.about.into() }).collect(),
            variants: w.engines.iter().map(|e| e.name().to_string()).collect(),
            sizes: Size::ALL
                .iter()
                .map(|&size| {
                    let (r, st) = (w.recipe.map(|recipe| recipe(size, 42)), settings_at(w, size, file));
                    SizeInfo {
                        name: size.name().into(),
                        files: r.as_ref().map_or(0, |r| r.files),
                        rows_per_file: r.as_ref().map_or(0, |r| r.rows_per_file),
                        processes: st.processes,
                        warmup: st.warmup,
                        runs: st.runs,
                        run_duration_s: (st.run_duration_s > 0.0).then_some(st.run_duration_s),
                        timeout_s: st.timeout_s,
                        memory_cap_bytes: st.memory_cap_bytes,
                        sweep: st.sweep.iter().map(Params::to_map).collect(),
                    }
                })
                .collect(),
        })
        .collect();
    Catalog {
        workloads,
        variants: variants.iter().map(|e| VariantInfo { name: e.name().into(), about: e.about().into(), role: e.role() }).collect(),
        timed: "the engine's execute() with its result fully materialized".into(),
        not_timed: "process start, data generation, the engine's prepare(), the first warm-up run (whose answer is checked), freeing results".into(),
    }
}
