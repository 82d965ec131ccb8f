//! `polars-threadpool`: eager reads spread over a thread pool with one thread per core, the usual way to
//! parallelize "read many files" by hand. Everything after the reads is the same as `polars-eager`.

use rayon::prelude::*;

use crate::engines::polars_eager::eager_execute;
use crate::engines::{Engine, EngineKind, Input, Op, Output, read_file};
use crate::error::Result;

/// Eager reads on a pool of its own (apart from Polars' internal pool, as a user's pool would be).
pub struct PolarsThreadPoolEngine {
    pool: rayon::ThreadPool,
}

impl PolarsThreadPoolEngine {
    /// A pool with one thread per available core.
    pub fn new() -> Self {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("reader-{i}"))
            .build()
            .expect("building a thread pool only fails when threads cannot be spawned at all");
        PolarsThreadPoolEngine { pool }
    }
}

impl Default for PolarsThreadPoolEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine for PolarsThreadPoolEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        eager_execute(EngineKind::PolarsThreadPool, input, op, |files, columns| {
            self.pool.install(|| files.par_iter().map(|f| read_file(input, f, columns)).collect())
        })
    }
}
