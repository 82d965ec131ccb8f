//! `polars-streaming`: the same lazy scan and plan as `polars-lazy`, executed by Polars' streaming engine, which
//! processes the data in batches and can work on data larger than memory.

use polars::prelude::Engine as PolarsExecution;

use crate::engines::polars_lazy::lazy_execute;
use crate::engines::{Engine, EngineKind, Input, Op, Output};
use crate::error::Result;

/// Lazy scan, streaming engine.
pub struct PolarsStreamingEngine;

impl Engine for PolarsStreamingEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        lazy_execute(EngineKind::PolarsStreaming, input, op, PolarsExecution::Streaming)
    }
}
