//! `polaroid-flight`: concurrent-query's requests as SQL to the engine behind its Flight SQL server, a process of
//! its own that the runner starts with the dataset's file loaded as `trades` (see the `flight` module). The server's
//! engine is configured as the in-process `polaroid` variant's is, so the difference between the two is the network
//! layer: gRPC over loopback, Polars' SQL planning, and the result's trip through Arrow IPC.
//!
//! The client side is what a service's client library does: a pool of HTTP/2 connections opened in `prepare`
//! (untimed), each carrying many concurrent calls; every request picks the next connection. Results are collected
//! into Polars frames inside the timer.

use std::sync::atomic::{AtomicUsize, Ordering};

use polaroid_server::client::Client;

use crate::engines::{Engine, EngineKind, Input, Op, Output, unsupported};
use crate::error::{Error, Result};
use crate::plans::Query;

/// Connections in the client pool (HTTP/2 multiplexes the calls of up to 500 clients over them).
const CONNECTIONS: usize = 32;

/// The networked variant's client side.
#[derive(Default)]
pub struct FlightEngine {
    runtime: Option<tokio::runtime::Runtime>,
    clients: Vec<Client>,
    next: AtomicUsize,
}

/// The SQL of a request: the same rows and columns as [`Query::plan`] (answers are checked against the other
/// variants before any timing counts).
pub fn sql(query: &Query) -> String {
    match query {
        Query::Filter { symbol, min_price } => {
            format!("SELECT * FROM trades WHERE symbol = '{}' AND price > {min_price:?}", symbol.replace('\'', "''"))
        }
        Query::Vwap { min_quantity } => format!(
            "SELECT symbol, SUM(price * CAST(quantity AS DOUBLE)) / SUM(CAST(quantity AS DOUBLE)) AS vwap, \
             SUM(quantity) AS volume, COUNT(*) AS trades FROM trades WHERE quantity >= {min_quantity} GROUP BY symbol"
        ),
        Query::TopNotional { n } => format!(
            "SELECT *, price * CAST(quantity AS DOUBLE) AS notional FROM trades ORDER BY notional DESC, trade_id ASC LIMIT {n}"
        ),
    }
}

impl Engine for FlightEngine {
    fn prepare(&mut self, input: &Input) -> Result<()> {
        if input.remote.is_some() {
            return Err(Error::Unsupported {
                engine: EngineKind::PolaroidFlight.name().into(),
                task: "tables served over S3 (its server reads local files only: --table name=path)".into(),
            });
        }
        let url = input.server.clone().ok_or_else(|| Error::Unsupported {
            engine: EngineKind::PolaroidFlight.name().into(),
            task: "anything but concurrent-query and workload files (no server was started for it)".into(),
        })?;
        let runtime = crate::engines::runtime()?;
        let clients = runtime.block_on(async {
            let mut clients = Vec::with_capacity(CONNECTIONS);
            for _ in 0..CONNECTIONS {
                clients.push(Client::connect(&url, None).await.map_err(|s| server_err(format!("connecting to {url}"), s.code(), s.message()))?);
            }
            Ok::<_, Error>(clients)
        })?;
        self.clients = clients;
        self.runtime = Some(runtime);
        Ok(())
    }

    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        let text = match op {
            Op::Query(query) => sql(query),
            Op::Sql { sql, .. } => sql.clone(),
            _ => return Err(unsupported(EngineKind::PolaroidFlight, op)),
        };
        let runtime = self.runtime.as_ref().ok_or_else(|| crate::error::internal("polaroid-flight: prepare was not called"))?;
        let mut client = self.clients[self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len()].clone();
        let df = runtime
            .block_on(client.sql(&text))
            .map_err(|s| server_err("polaroid-flight: a query".into(), s.code(), s.message()))?;
        Ok(Output::Frames(vec![df]))
    }

    /// The server's own figures (from its `heartbeat`), named as the in-process engine's are: which Polars
    /// execution ran its plans, and where its adaptive admission limit settled.
    fn figures(&self) -> std::collections::BTreeMap<String, f64> {
        let mut figures = std::collections::BTreeMap::new();
        let (Some(runtime), Some(client)) = (self.runtime.as_ref(), self.clients.first()) else { return figures };
        let Ok(beat) = runtime.block_on(client.clone().action("heartbeat", serde_json::json!({}))) else { return figures };
        for (name, value) in [
            ("plans_in_memory", &beat["executions"]["in_memory"]),
            ("plans_streaming", &beat["executions"]["streaming"]),
            ("admission_limit", &beat["admission"]["limit"]),
            ("admission_limit_low", &beat["admission"]["limit_low"]),
            ("admission_limit_high", &beat["admission"]["limit_high"]),
        ] {
            if let Some(v) = value.as_f64() {
                figures.insert(name.to_string(), v);
            }
        }
        figures
    }
}

/// A status of the Flight SQL server as the harness' error.
fn server_err(what: String, code: impl std::fmt::Debug, message: &str) -> Error {
    Error::Server { what, code: format!("{code:?}"), message: message.to_string() }
}
