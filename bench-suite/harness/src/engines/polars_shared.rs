//! `polars-shared`: the strong baseline for serving queries: the whole dataset is loaded into one DataFrame before
//! the clock starts (in `prepare`) and every request runs its plan on a cheap clone of it (columns are reference
//! counted, so a clone copies no data). `polars-shared-streaming` collects each request on Polars' streaming
//! engine instead of the in-memory one (issue 15 saw it 2.4x faster on the server's cached frames). A workload
//! file's tables are loaded the same way, one frame per table (through the S3 server, one GET per object), and its
//! SQL runs on them through Polars' SQL context.

use polars::prelude::{DataFrame, Engine as PolarsExecution, IntoLazy};

use crate::engines::{Engine, EngineKind, Input, Op, Output, concat, read_eager, unsupported};
use crate::error::Result;

/// One frame in memory, shared by every request, queried on one Polars execution.
pub struct PolarsSharedEngine {
    kind: EngineKind,
    execution: PolarsExecution,
    frame: Option<DataFrame>,
    /// A workload file's tables, each loaded into one frame in `prepare`.
    tables: Vec<(String, DataFrame)>,
}

impl PolarsSharedEngine {
    /// The variant `kind`, collecting on `execution`.
    pub fn new(kind: EngineKind, execution: PolarsExecution) -> PolarsSharedEngine {
        PolarsSharedEngine { kind, execution, frame: None, tables: Vec::new() }
    }
}

impl Engine for PolarsSharedEngine {
    fn prepare(&mut self, input: &Input) -> Result<()> {
        if !input.tables.is_empty() {
            for table in &input.tables {
                // Through the S3 server, each object with one GET (before the clock, as every load here is).
                let frames = match &input.remote {
                    None => table.files.iter().map(|f| read_eager(f, None)).collect::<Result<Vec<_>>>()?,
                    Some(remote) => crate::s3::table_keys(table)
                        .iter()
                        .map(|key| -> Result<DataFrame> {
                            use polars::prelude::{ParquetReader, SerReader};
                            Ok(ParquetReader::new(std::io::Cursor::new(remote.get_key(key)?)).finish()?)
                        })
                        .collect::<Result<Vec<_>>>()?,
                };
                let mut df = concat(frames)?;
                df.rechunk_mut();
                self.tables.push((table.name.clone(), df));
            }
            return Ok(());
        }
        let frames = input.files.iter().map(|f| read_eager(f, None)).collect::<Result<Vec<_>>>()?;
        let mut df = concat(frames)?;
        df.rechunk_mut();
        self.frame = Some(df);
        Ok(())
    }

    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        match op {
            Op::Query(q) => {
                let frame = self.frame.clone().ok_or_else(|| crate::error::internal(format!("{}: prepare was not called", self.kind.name())))?;
                let df = q.plan(frame.lazy()).collect_with_engine(self.execution)?.unwrap_single();
                Ok(Output::Frames(vec![df]))
            }
            Op::Sql { sql, .. } => {
                // Polars' SQL context over the frames in memory (clones share their columns).
                let mut ctx = polars::sql::SQLContext::new();
                for (name, df) in &self.tables {
                    ctx.register(name, df.clone().lazy());
                }
                Ok(Output::Frames(vec![ctx.execute(sql)?.collect_with_engine(self.execution)?.unwrap_single()]))
            }
            _ => Err(unsupported(self.kind, op)),
        }
    }
}
