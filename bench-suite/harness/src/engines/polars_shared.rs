//! `polars-shared`: the strong baseline for serving queries: the whole dataset is loaded into one DataFrame before
//! the clock starts (in `prepare`) and every request runs its plan on a cheap clone of it (columns are reference
//! counted, so a clone copies no data).

use polars::prelude::{DataFrame, Engine as PolarsExecution, IntoLazy};

use crate::engines::{Engine, EngineKind, Input, Op, Output, concat, read_eager, unsupported};
use crate::error::{Error, Result};

/// One frame in memory, shared by every request.
#[derive(Default)]
pub struct PolarsSharedEngine {
    frame: Option<DataFrame>,
}

impl Engine for PolarsSharedEngine {
    fn prepare(&mut self, input: &Input) -> Result<()> {
        let frames = input.files.iter().map(|f| read_eager(f, None)).collect::<Result<Vec<_>>>()?;
        let mut df = concat(frames)?;
        df.rechunk_mut();
        self.frame = Some(df);
        Ok(())
    }

    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        match op {
            Op::Query(q) => {
                let frame = self.frame.clone().ok_or_else(|| Error::Config("polars-shared: prepare was not called".into()))?;
                let df = q.plan(frame.lazy()).collect_with_engine(PolarsExecution::InMemory)?.unwrap_single();
                Ok(Output::Frames(vec![df]))
            }
            _ => Err(unsupported(EngineKind::PolarsShared, op)),
        }
    }
}
