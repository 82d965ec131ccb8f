//! `transport-ceiling` (streaming): what the transport and parsing alone allow. A tokio-tungstenite client per
//! connection parses every tick and drops it; nothing is stored. Its achieved rate is the ceiling every storing
//! variant is compared with, and its latency is send-to-parsed.

use tokio::task::JoinSet;

use crate::engines::{Engine, EngineKind, FeedSession, Ingested, Input, Op, Output, unsupported};
use crate::error::{Error, Result};
use crate::feed::client::consume;
use crate::feed::latency::Visibility;
use crate::feed::wire::Received;
use crate::feed::now_ns;

/// The ceiling consumer, with its runtime (one worker per core).
#[derive(Default)]
pub struct TransportCeilingEngine {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Engine for TransportCeilingEngine {
    fn prepare(&mut self, _input: &Input) -> Result<()> {
        self.runtime = Some(super::polaroid::runtime()?);
        Ok(())
    }

    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        let Op::Ingest(session) = op else { return Err(unsupported(EngineKind::TransportCeiling, op)) };
        let runtime = self.runtime.as_ref().ok_or_else(|| crate::error::internal("transport-ceiling: prepare() was not called"))?;
        runtime.block_on(session_of(session)).map(Output::Ingested)
    }
}

async fn session_of(session: &FeedSession) -> Result<Ingested> {
    let mut tasks = JoinSet::new();
    for conn in 0..session.connections {
        let url = session.url.clone();
        tasks.spawn(async move {
            let mut visibility = Visibility::default();
            let mut seqs = Vec::new();
            let stats = consume(&url, conn, |trades: Vec<Received>| {
                let now = now_ns();
                for r in trades {
                    visibility.record(r.sent_ns, now);
                    seqs.push(std::hint::black_box(r).tick.seq);
                }
                std::future::ready(Ok(()))
            })
            .await?;
            Ok::<_, Error>((stats, visibility, seqs))
        });
    }
    let mut out = Ingested::empty();
    while let Some(joined) = tasks.join_next().await {
        let (stats, visibility, seqs) = joined.map_err(|source| Error::Task { what: "a feed connection task", source })??;
        out.connections.merge(&stats);
        out.visibility.merge(&visibility);
        out.seqs.extend(seqs);
    }
    Ok(out)
}
