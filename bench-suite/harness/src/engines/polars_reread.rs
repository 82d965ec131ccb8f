//! `polars-reread`: a service that answers every request by scanning the Parquet file again (lazy scan, in-memory
//! engine, pushdown included). Nothing is kept between requests: the naive design an async layer's cache competes
//! with.

use polars::prelude::Engine as PolarsExecution;

use crate::engines::{Engine, EngineKind, Input, Op, Output, scan, unsupported};
use crate::error::Result;

/// Re-reads the file per request.
pub struct PolarsRereadEngine;

impl Engine for PolarsRereadEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        match op {
            Op::Query(q) => {
                let df = q.plan(scan(&input.glob())?).collect_with_engine(PolarsExecution::InMemory)?.unwrap_single();
                Ok(Output::Frames(vec![df]))
            }
            _ => Err(unsupported(EngineKind::PolarsReread, op)),
        }
    }
}
