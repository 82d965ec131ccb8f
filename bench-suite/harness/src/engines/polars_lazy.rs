//! `polars-lazy`: one `LazyFrame::scan_parquet` over all the files, the plan on top, collected with Polars'
//! in-memory engine (projection and predicate pushdown included, as a lazy user gets them). Through the S3 server,
//! the same scan of `s3://` with Polars' own cloud reader (a workload file's table: the scan of its prefix).

use polars::prelude::{Engine as PolarsExecution, LazyFrame};

use crate::engines::{Engine, EngineKind, Input, Op, Output, scan, scan_files, unsupported, write_parquet};
use crate::error::Result;
use crate::plans::{self, VWAP_MIN_QUANTITY};

/// Lazy scan, in-memory engine.
pub struct PolarsLazyEngine;

impl Engine for PolarsLazyEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        lazy_execute(EngineKind::PolarsLazy, input, op, PolarsExecution::InMemory)
    }
}

/// The lazy variants differ only in the Polars engine that executes the plan, and in how a sink is done: the
/// in-memory engine materializes the result and writes it; the streaming engine sinks batch by batch.
pub(crate) fn lazy_execute(kind: EngineKind, input: &Input, op: &Op, execution: PolarsExecution) -> Result<Output> {
    let collect = |lf: LazyFrame| -> Result<Output> {
        Ok(Output::Frames(vec![lf.collect_with_engine(execution)?.unwrap_single()]))
    };
    if let Op::Sql { tables, sql } = op {
        // Polars' SQL context over a lazy scan of each table: the plan it builds is collected like any other.
        // Through the S3 server, the scan of the table's prefix with Polars' own cloud reader.
        let mut ctx = polars::sql::SQLContext::new();
        for table in tables {
            let scan = match &input.remote {
                None => scan_files(&table.files)?,
                Some(remote) => {
                    use polars::prelude::{PlRefPath, ScanArgsParquet};
                    let args = ScanArgsParquet { cloud_options: Some(remote.cloud_options()), ..ScanArgsParquet::default() };
                    LazyFrame::scan_parquet(PlRefPath::new(crate::s3::table_glob(table)), args)?
                }
            };
            ctx.register(&table.name, scan);
        }
        return collect(ctx.execute(sql)?);
    }
    let source = match &input.remote {
        None => scan(&input.glob())?,
        Some(remote) => {
            use polars::prelude::{PlRefPath, ScanArgsParquet};
            let args = ScanArgsParquet { cloud_options: Some(remote.cloud_options()), ..ScanArgsParquet::default() };
            LazyFrame::scan_parquet(PlRefPath::new(remote.glob()), args)?
        }
    };
    match op {
        Op::LoadAll => collect(source),
        Op::Vwap => collect(plans::vwap(source, VWAP_MIN_QUANTITY)),
        Op::Aggregate => collect(plans::full_aggregate(source)),
        Op::Sink { out } => {
            if execution == PolarsExecution::Streaming {
                use polars::prelude::*;
                source
                    .sink(
                        SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(out.display().to_string())) },
                        FileWriteFormat::Parquet(std::sync::Arc::new(ParquetWriteOptions::default())),
                        UnifiedSinkArgs::default(),
                    )?
                    .collect_with_engine(execution)?;
            } else {
                let mut df = source.collect_with_engine(execution)?.unwrap_single();
                write_parquet(&mut df, out)?;
            }
            Ok(Output::Written(out.clone()))
        }
        Op::Query(_) | Op::Ingest(_) | Op::Sql { .. } => Err(unsupported(kind, op)),
    }
}
