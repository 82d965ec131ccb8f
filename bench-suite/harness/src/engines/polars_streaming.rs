//! `polars-streaming`: the same lazy scan and plan as `polars-lazy`, executed by Polars' streaming engine, which
//! processes the data in batches and can work on data larger than memory. `polars-streaming-tuned` is the same code
//! in a process started with the knobs of [`EngineKind::env`](crate::engines::EngineKind::env).

use polars::prelude::Engine as PolarsExecution;

use crate::engines::polars_lazy::lazy_execute;
use crate::engines::{Engine, EngineKind, Input, Op, Output};
use crate::error::Result;

/// Lazy scan, streaming engine (the variant: default knobs or tuned ones).
pub struct PolarsStreamingEngine(pub EngineKind);

impl Engine for PolarsStreamingEngine {
    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        lazy_execute(self.0, input, op, PolarsExecution::Streaming)
    }
}
