//! What can go wrong serving a call, as the server's own error type. Domain code (the catalog, actions, appends,
//! result conversion) returns [`Error`]; it becomes a gRPC status in one place, `status.rs`
//! (`impl From<Error> for tonic::Status`), which picks the code and keeps the message.
//!
//! The rule of every polaroid crate: a message says what went wrong and what to change, and never repeats its
//! cause; the cause is its `source()`, and a status' message is the whole chain (`polaroid_results::error::chain`).

use polaroid::polars::prelude::PolarsError;

/// Result alias of the server.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong serving a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be served as sent (INVALID_ARGUMENT): a table name SQL cannot use, a reserved name, an
    /// action's body, an append's columns, SQL that does not parse or that Polars' SQL refuses. The message says
    /// what to send instead.
    #[error("{0}")]
    Invalid(String),
    /// A statement names a table that is not registered (NOT_FOUND).
    #[error("unknown table '{name}': the tables are {known}; register a Parquet file or directory with the `register` action")]
    UnknownTable {
        /// The name.
        name: String,
        /// The registered tables, `, `-separated.
        known: String,
    },
    /// Something the call names does not exist (NOT_FOUND); the message names what does.
    #[error("{0}")]
    NotFound(String),
    /// An action the server does not have (INVALID_ARGUMENT).
    #[error("unknown action '{name}': the actions are {known}")]
    UnknownAction {
        /// The name.
        name: String,
        /// The actions, `, `-separated.
        known: String,
    },
    /// The engine refused or failed (its own mapping: NOT_FOUND, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ...).
    #[error(transparent)]
    Engine(#[from] polaroid::Error),
    /// Polars failed planning or resolving a query (INVALID_ARGUMENT: the query is what is wrong, unless it is I/O).
    #[error(transparent)]
    Polars(#[from] PolarsError),
    /// An append failed after some of its records were acknowledged (those are kept); the status is its cause's.
    #[error("{acknowledged} records of this append were acknowledged before it")]
    Append {
        /// Records of this call acknowledged before the failure.
        acknowledged: i64,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// The client's stream broke (its own status).
    #[error(transparent)]
    Transport(#[from] arrow_flight::error::FlightError),
    /// Something inside the server failed (INTERNAL): what it was doing.
    #[error("{what}")]
    Internal {
        /// What the server was doing.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// An [`Error::Internal`] for `map_err`: `.map_err(internal("reading the table's schema"))`.
pub fn internal<E: Into<Box<dyn std::error::Error + Send + Sync>>>(what: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Internal { what, source: e.into() }
}
