//! The Flight SQL service: SQL statements (GetFlightInfo, then DoGet streams the result), bulk ingest of ticks
//! (DoPut with `CommandStatementIngest`), server information (`CommandGetSqlInfo`), and polaroid's own actions
//! ([`crate::actions`]).

use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{CommandGetSqlInfo, CommandStatementIngest, CommandStatementQuery, ProstMessageExt, SqlInfo, TicketStatementQuery};
use arrow_flight::{Action, ActionType, FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use futures::{Stream, StreamExt, TryStreamExt};
use polaroid::{Engine, StreamOptions};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::actions;
use crate::catalog::{Catalog, TICKS};
use crate::error::{Error, internal};
use crate::{convert, ingest, status};

/// The Flight SQL service over one engine.
#[derive(Clone)]
pub struct Service {
    engine: Engine,
    catalog: Arc<Catalog>,
    started: Instant,
    /// Rows per record batch of a result stream.
    batch_rows: usize,
    sql_info: Arc<SqlInfoData>,
}

impl Service {
    /// A service over `engine`, its results streamed `batch_rows` rows at a time.
    pub fn new(engine: Engine, batch_rows: usize) -> Service {
        let mut info = SqlInfoDataBuilder::new();
        info.append(SqlInfo::FlightSqlServerName, "polaroid");
        info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        info.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
        info.append(SqlInfo::FlightSqlServerReadOnly, false);
        let sql_info = Arc::new(info.build().expect("static server information is valid"));
        Service { engine, catalog: Arc::default(), started: Instant::now(), batch_rows: batch_rows.max(1), sql_info }
    }

    /// The table catalog (tables registered at start go here).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl FlightSqlService for Service {
    type FlightService = Service;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (_, schema) = self.catalog.plan(&self.engine, &query.query).await?;
        // The ticket carries the SQL itself: the server keeps no state between GetFlightInfo and DoGet.
        let ticket = TicketStatementQuery { statement_handle: query.query.into_bytes().into() };
        let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
        let info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(internal("result schema"))?
            .with_endpoint(endpoint)
            .with_descriptor(request.into_inner());
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        // The call's own deadline (gRPC's `grpc-timeout`, which ADBC sets from
        // `adbc.flight.sql.rpc.timeout_seconds.fetch`) shortens the server's time limit for this query.
        let deadline = call_timeout(request.metadata())?;
        let sql = std::str::from_utf8(&ticket.statement_handle).map_err(|e| Error::Invalid(format!("statement handle: {e}")))?;
        let (plan, schema) = self.catalog.plan(&self.engine, sql).await?;
        let frames = self.engine.stream(plan, StreamOptions::rows(self.batch_rows).timeout(deadline)).await.map_err(status::from_engine)?;
        // Each frame becomes record batches on a blocking thread; the engine's stream reads ahead a bounded number of
        // frames, and a client that goes away drops this stream, which stops the query.
        let batches = frames
            .then(|frame| async move {
                let mut df = frame.map_err(status::from_engine)?;
                let batches = tokio::task::spawn_blocking(move || convert::to_batches(&mut df).map(|(_, b)| b))
                    .await
                    .map_err(internal("converting a result"))??;
                Ok::<_, Status>(batches)
            })
            .map_ok(|batches| futures::stream::iter(batches.into_iter().map(Ok::<RecordBatch, Status>)))
            .try_flatten()
            .map_err(|s| FlightError::Tonic(Box::new(s)));
        let data = FlightDataEncoderBuilder::new().with_schema(schema).build(batches).map_err(Status::from);
        Ok(Response::new(Box::pin(data)))
    }

    async fn do_put_statement_ingest(
        &self,
        command: CommandStatementIngest,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        if command.table != TICKS {
            return Err(Error::NotFound(format!("records can be appended to the table '{TICKS}' only (got '{}')", command.table)).into());
        }
        let batches = FlightRecordBatchStream::new_from_flight_data(request.into_inner().map_err(FlightError::from));
        Ok(ingest::append(&self.engine, batches).await?)
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(query.as_any().encode_to_vec()));
        let info = FlightInfo::new()
            .try_with_schema(query.into_builder(&self.sql_info).schema().as_ref())
            .map_err(internal("sql info schema"))?
            .with_endpoint(endpoint)
            .with_descriptor(request.into_inner());
        Ok(Response::new(info))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let builder = query.into_builder(&self.sql_info);
        let schema = builder.schema();
        let batch = builder.build().map_err(|e| Status::from(internal("sql info")(e)));
        let data = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(futures::stream::once(async { batch.map_err(|s| FlightError::Tonic(Box::new(s))) }))
            .map_err(Status::from);
        Ok(Response::new(Box::pin(data)))
    }

    async fn do_action_fallback(&self, request: Request<Action>) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        let action = request.into_inner();
        let body = actions::run(&self.engine, &self.catalog, self.started, &action.r#type, &action.body).await?;
        let result: BoxStream<arrow_flight::Result> = Box::pin(futures::stream::once(async move { Ok(arrow_flight::Result::new(body)) }));
        Ok(Response::new(result))
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        Some(actions::LIST.iter().map(|(name, description)| Ok(ActionType { r#type: name.to_string(), description: description.to_string() })).collect())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// The time a call allows itself, from gRPC's `grpc-timeout` header (`<digits><H|M|S|m|u|n>`), if it set one.
pub fn call_timeout(metadata: &tonic::metadata::MetadataMap) -> Result<Option<std::time::Duration>, Error> {
    use std::time::Duration;
    let Some(value) = metadata.get("grpc-timeout") else { return Ok(None) };
    let bad = || Error::Invalid("the grpc-timeout header is not <digits><H|M|S|m|u|n> (gRPC's format)".into());
    let text = value.to_str().map_err(|_| bad())?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1).ok_or_else(bad)?);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let timeout = match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return Err(bad()),
    };
    Ok(Some(timeout.max(Duration::from_millis(1))))
}
