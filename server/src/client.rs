//! A Rust client of the server, over Flight SQL (arrow-flight's `FlightSqlServiceClient`): what the benchmark
//! harness's networked variant and the tests use. Results come back as Polars frames.

use arrow_array::RecordBatch;
use arrow_flight::Action;
use arrow_flight::error::FlightError;
use arrow_flight::sql::CommandStatementIngest;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use polaroid::polars::prelude::DataFrame;
use serde_json::Value;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};

use crate::catalog::TICKS;
use crate::convert;

/// One connection (an HTTP/2 channel, which multiplexes concurrent calls; clones share it).
#[derive(Clone)]
pub struct Client {
    inner: FlightSqlServiceClient<Channel>,
}

fn status(e: FlightError) -> Status {
    match e {
        FlightError::Tonic(s) => connection_lost(*s),
        other => Status::internal(other.to_string()),
    }
}

/// A call the transport dropped because the server closed the connection becomes UNAVAILABLE, gRPC's code for a
/// server that is gone. tonic reports it as CANCELLED (hyper's "connection closed") or, when the request was written
/// into a socket the server had already closed, as UNKNOWN "transport error" (a broken pipe: seen once in the
/// server test `a_killed_server_is_unavailable_until_restarted`, reports/cold-2026-11-30d). This client never
/// cancels a call itself, and a status the server sent has no transport error as its cause, so either can only be
/// the server going away.
fn connection_lost(s: Status) -> Status {
    let from_transport = std::error::Error::source(&s).is_some_and(|e| e.downcast_ref::<tonic::transport::Error>().is_some());
    if matches!(s.code(), tonic::Code::Cancelled | tonic::Code::Unknown) && from_transport {
        Status::unavailable(format!("the server closed the connection: {}", s.message()))
    } else {
        s
    }
}

impl Client {
    /// Connects to `url` (`http://127.0.0.1:50051` or `grpc://...`), sending `token` as a bearer token if given.
    pub async fn connect(url: &str, token: Option<&str>) -> Result<Client, Status> {
        let url = url.replacen("grpc://", "http://", 1).replacen("grpc+tcp://", "http://", 1);
        let endpoint = Endpoint::from_shared(url.clone()).map_err(|e| Status::invalid_argument(format!("'{url}' is not a server address: {e}")))?;
        let channel = endpoint.connect().await.map_err(|e| Status::unavailable(format!("cannot connect to {url}: {e}")))?;
        let mut inner = FlightSqlServiceClient::new(channel);
        if let Some(token) = token {
            inner.set_token(token.to_string());
        }
        Ok(Client { inner })
    }

    /// Runs a SQL query; the whole result as one frame.
    pub async fn sql(&mut self, sql: &str) -> Result<DataFrame, Status> {
        let info = self.inner.execute(sql.to_string(), None).await.map_err(status)?;
        let schema = std::sync::Arc::new(info.clone().try_decode_schema().map_err(|e| Status::internal(format!("result schema: {e}")))?);
        let mut batches = Vec::new();
        for endpoint in info.endpoint {
            let ticket = endpoint.ticket.ok_or_else(|| Status::internal("the server sent an endpoint without a ticket"))?;
            let stream = self.inner.do_get(ticket).await.map_err(status)?;
            batches.extend(stream.try_collect::<Vec<RecordBatch>>().await.map_err(status)?);
        }
        convert::to_frame(schema, &batches).map_err(|e| Status::internal(format!("reading the result into Polars: {e}")))
    }

    /// Calls one of polaroid's actions with a JSON body; its JSON result.
    pub async fn action(&mut self, name: &str, body: Value) -> Result<Value, Status> {
        let action = Action::new(name, serde_json::to_vec(&body).expect("JSON values serialize"));
        let mut results = self.inner.do_action(action).await.map_err(status)?;
        let result = results.message().await.map_err(connection_lost)?.ok_or_else(|| Status::internal(format!("action '{name}' returned nothing")))?;
        serde_json::from_slice(&result.body).map_err(|e| Status::internal(format!("action '{name}' returned no JSON: {e}")))
    }

    /// Appends record batches (columns seq, symbol, price, quantity, ts_ns) to `ticks`; how many were acknowledged.
    pub async fn append(&mut self, batches: Vec<RecordBatch>) -> Result<i64, Status> {
        let command = CommandStatementIngest { table: TICKS.to_string(), ..Default::default() };
        let stream = futures::stream::iter(batches.into_iter().map(Ok));
        self.inner.execute_ingest(command, stream).await.map_err(status)
    }
}
