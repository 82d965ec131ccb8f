//! Which Polars execution runs a plan. The engine chooses, so a caller writes one plan whatever the data's size:
//!
//! - A plan that **reads files** (any `scan_parquet` in it) runs on Polars' streaming engine: scan, filter and
//!   aggregate fuse into one pipeline that decodes row groups as it goes, so memory is bounded by the pipeline, not
//!   by the data, and decoding overlaps with the rest of the plan.
//! - A plan over **frames already in memory** (a cached handle, `df.lazy()`) runs on the in-memory engine while
//!   they are small, and on the streaming engine from [`STREAMING_MIN_ROWS`] rows on. Measured interleaved by frame
//!   size on concurrent-query's requests (reports/execution-by-size-2026-11-30): at 10k-100k rows the in-memory
//!   engine wins or ties (top-N at 10k, the filter at 100k), from 300k rows streaming wins or ties (top-N 1.75x
//!   faster at 300k; VWAP 2.2x and top-N 3.2x at 1M; 3.6x and 7.0x at 4M).
//!
//! - A plan with a **horizontal concatenation** runs in memory, whatever it reads. Polars 0.55's streaming engine
//!   materializes a one-row input of an `HCONCAT` once per row of the other: Polars' SQL plans `x IN (SELECT x FROM
//!   t ...)` over the same table as the subquery's column imploded into one list, concatenated beside every row, so
//!   on the streaming engine it allocates rows x subquery rows (a 1.3 TB allocation aborted the server on the 1M-row
//!   trades table, issue 21). The in-memory engine broadcasts the list without copying it. (Polars 2.1 plans the
//!   same SQL as a semi join.)
//!
//! Sinks always stream. [`Execution::for_plan`] is the rule; [`ExecutionStats`] counts what it chose.

use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::{DataFrame, DslPlan, Engine as PolarsExecution, LazyFrame, PolarsResult};

/// Rows of in-memory frames from which a plan over them runs on Polars' streaming engine (see the module docs).
pub const STREAMING_MIN_ROWS: usize = 300_000;

/// A Polars execution the engine can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Polars' in-memory engine.
    InMemory,
    /// Polars' streaming engine.
    Streaming,
}

impl Execution {
    /// The execution for `plan`: streaming when it reads files or its frames in memory hold at least
    /// [`STREAMING_MIN_ROWS`] rows, in-memory otherwise, and in memory whenever it concatenates frames horizontally
    /// (see the module docs).
    pub fn for_plan(plan: &LazyFrame) -> Execution {
        let nodes = || (&plan.logical_plan).into_iter();
        if nodes().any(|node| matches!(node, DslPlan::HConcat { .. })) {
            Execution::InMemory
        } else if nodes().any(|node| matches!(node, DslPlan::Scan { .. })) {
            Execution::Streaming
        } else if nodes().map(|node| if let DslPlan::DataFrameScan { df, .. } = node { df.height() } else { 0 }).sum::<usize>()
            >= STREAMING_MIN_ROWS
        {
            Execution::Streaming
        } else {
            Execution::InMemory
        }
    }

    /// The execution for a plan whose result is streamed ([`Engine::stream`](crate::Engine::stream)):
    /// [`Execution::for_plan`]'s choice, except that a plan over frames in memory is collected in memory only when
    /// its result cannot outgrow its input (it only filters, projects, adds columns, aggregates, dedupes, sorts or
    /// slices). Anything that can grow (joins, unions, explodes, pivots, ...) streams, so the result's memory
    /// stays bounded whatever its size.
    pub fn for_stream(plan: &LazyFrame) -> Execution {
        let bounded = |node: &DslPlan| {
            matches!(
                node,
                DslPlan::DataFrameScan { .. }
                    | DslPlan::Filter { .. }
                    | DslPlan::Select { .. }
                    | DslPlan::HStack { .. }
                    | DslPlan::GroupBy { .. }
                    | DslPlan::Distinct { .. }
                    | DslPlan::Sort { .. }
                    | DslPlan::Slice { .. }
                    | DslPlan::Cache { .. }
                    // As tall as its tallest input (and run in memory: see the module docs).
                    | DslPlan::HConcat { .. }
                    // A plan already converted (Polars' SQL context converts its tables): its inner plan is walked too.
                    | DslPlan::IR { .. }
            )
        };
        let hconcat = (&plan.logical_plan).into_iter().any(|node| matches!(node, DslPlan::HConcat { .. }));
        match Execution::for_plan(plan) {
            Execution::InMemory if hconcat || (&plan.logical_plan).into_iter().all(bounded) => Execution::InMemory,
            _ => Execution::Streaming,
        }
    }

    fn polars(self) -> PolarsExecution {
        match self {
            Execution::InMemory => PolarsExecution::InMemory,
            Execution::Streaming => PolarsExecution::Streaming,
        }
    }
}

/// How many plans ran on each execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecutionStats {
    /// Plans run by the in-memory engine.
    pub in_memory: u64,
    /// Plans (and sinks) run by the streaming engine.
    pub streaming: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    in_memory: AtomicU64,
    streaming: AtomicU64,
}

impl Counters {
    pub fn count(&self, execution: Execution) {
        match execution {
            Execution::InMemory => self.in_memory.fetch_add(1, Ordering::Relaxed),
            Execution::Streaming => self.streaming.fetch_add(1, Ordering::Relaxed),
        };
    }

    pub fn stats(&self) -> ExecutionStats {
        ExecutionStats { in_memory: self.in_memory.load(Ordering::Relaxed), streaming: self.streaming.load(Ordering::Relaxed) }
    }

    /// Runs `plan` (blocking: call from `spawn_blocking`) on the execution [`Execution::for_plan`] picks.
    pub fn collect(&self, plan: LazyFrame) -> PolarsResult<DataFrame> {
        let execution = Execution::for_plan(&plan);
        self.count(execution);
        Ok(plan.collect_with_engine(execution.polars())?.unwrap_single())
    }

    /// Writes what `plan` produces to one Parquet file, batch by batch (blocking).
    pub fn sink_parquet(&self, plan: LazyFrame, path: &str) -> PolarsResult<()> {
        use polars::prelude::{FileWriteFormat, ParquetWriteOptions, PlRefPath, SinkDestination, SinkTarget, UnifiedSinkArgs};
        self.count(Execution::Streaming);
        plan.sink(
            SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(path)) },
            FileWriteFormat::Parquet(std::sync::Arc::new(ParquetWriteOptions::default())),
            UnifiedSinkArgs::default(),
        )?
        .collect_with_engine(PolarsExecution::Streaming)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn frames_in_memory_run_in_memory_and_scans_stream() {
        let df = df!("a" => [1i64, 2, 3]).unwrap();
        assert_eq!(Execution::for_plan(&df.clone().lazy().filter(col("a").gt(lit(1)))), Execution::InMemory);
        let scan = LazyFrame::scan_parquet(PlRefPath::new("/nonexistent/*.parquet"), ScanArgsParquet::default()).unwrap();
        let plan = scan.filter(col("a").gt(lit(1))).group_by([col("a")]).agg([col("a").count().alias("n")]);
        assert_eq!(Execution::for_plan(&plan), Execution::Streaming);
        // A join of a frame with a scan reads files: it streams.
        let joined = df.clone().lazy().join(plan, [col("a")], [col("a")], JoinArgs::new(JoinType::Inner));
        assert_eq!(Execution::for_plan(&joined), Execution::Streaming);
        // Streamed results: frames in memory that can only shrink are collected; a join of frames, which can grow
        // without bound, streams.
        let shrinking = df.clone().lazy().filter(col("a").gt(lit(1))).group_by([col("a")]).agg([col("a").count().alias("n")]);
        assert_eq!(Execution::for_stream(&shrinking.sort(["a"], Default::default()).limit(2)), Execution::InMemory);
        let cross = df.clone().lazy().cross_join(df.lazy(), None);
        assert_eq!(Execution::for_plan(&cross), Execution::InMemory);
        assert_eq!(Execution::for_stream(&cross), Execution::Streaming);
    }

    #[test]
    fn large_frames_in_memory_stream_and_small_ones_do_not() {
        let frame = |n: usize| df!("a" => (0..n as i64).collect::<Vec<_>>()).unwrap().lazy();
        let plan = |n: usize| frame(n).filter(col("a").gt(lit(1))).sort(["a"], Default::default()).limit(10);
        assert_eq!(Execution::for_plan(&plan(STREAMING_MIN_ROWS - 1)), Execution::InMemory);
        assert_eq!(Execution::for_plan(&plan(STREAMING_MIN_ROWS)), Execution::Streaming);
        assert_eq!(Execution::for_stream(&plan(STREAMING_MIN_ROWS)), Execution::Streaming);
        assert_eq!(Execution::for_stream(&plan(1000)), Execution::InMemory);
    }

    #[test]
    fn a_same_table_in_subquery_runs_in_memory_even_over_files() {
        // Polars' SQL plans it as the subquery's column imploded and concatenated beside every row, which Polars'
        // streaming engine materializes once per row (issue 21: a 1.3 TB allocation).
        use polars::sql::SQLContext;
        let sql = "SELECT a FROM t WHERE a IN (SELECT a FROM t WHERE a > 1) GROUP BY a ORDER BY 1 LIMIT 3";
        let mut ctx = SQLContext::new();
        ctx.register("t", df!("a" => [1i64, 2, 3]).unwrap().lazy());
        let plan = ctx.execute(sql).unwrap();
        assert_eq!(Execution::for_stream(&plan), Execution::InMemory);
        assert_eq!(plan.collect().unwrap().height(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df!("a" => [1i64, 2, 3]).unwrap()).unwrap();
        let mut ctx = SQLContext::new();
        ctx.register("t", LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string()), ScanArgsParquet::default()).unwrap());
        let plan = ctx.execute(sql).unwrap();
        assert_eq!((Execution::for_plan(&plan), Execution::for_stream(&plan)), (Execution::InMemory, Execution::InMemory));
        assert_eq!(plan.collect().unwrap().height(), 2);
    }
}
