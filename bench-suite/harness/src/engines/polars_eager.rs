//! `polars-eager`: what a user writing eager Polars does: read each file with `ParquetReader` in a loop (asking for
//! only the columns the task needs), stack the frames, then run the plan on the loaded frame.

use std::path::PathBuf;

use crate::engines::{Engine, EngineKind, Input, Op, Output, concat, read_file, unsupported, write_parquet};
use crate::error::Result;
use crate::plans::{self, AGGREGATE_COLUMNS, VWAP_MIN_QUANTITY};

/// Sequential eager reads.
pub struct PolarsEagerEngine;

impl Engine for PolarsEagerEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        eager_execute(EngineKind::PolarsEager, input, op, |files, columns| {
            files.iter().map(|f| read_file(input, f, columns)).collect()
        })
    }
}

/// The eager variants share everything but how the files are read (sequentially or on a pool).
pub(crate) fn eager_execute(
    kind: EngineKind,
    input: &Input,
    op: &Op,
    read_all: impl Fn(&[PathBuf], Option<&[&str]>) -> Result<Vec<polars::prelude::DataFrame>>,
) -> Result<Output> {
    use polars::prelude::IntoLazy;
    match op {
        Op::LoadAll => Ok(Output::Frames(read_all(&input.files, None)?)),
        Op::Vwap => {
            let df = concat(read_all(&input.files, Some(&AGGREGATE_COLUMNS))?)?;
            Ok(Output::Frames(vec![plans::vwap(df.lazy(), VWAP_MIN_QUANTITY).collect()?]))
        }
        Op::Aggregate => {
            let df = concat(read_all(&input.files, Some(&AGGREGATE_COLUMNS))?)?;
            Ok(Output::Frames(vec![plans::full_aggregate(df.lazy()).collect()?]))
        }
        Op::Sink { out } => {
            let mut df = concat(read_all(&input.files, None)?)?;
            write_parquet(&mut df, out)?;
            Ok(Output::Written(out.clone()))
        }
        Op::Query(_) | Op::Ingest(_) | Op::Sql { .. } => Err(unsupported(kind, op)),
    }
}
