//! The server's errors as gRPC statuses whose messages say what to fix: the one place a code is chosen.

use polaroid::{Error, polars::prelude::PolarsError};
use tonic::Status;

use crate::error::Error as ServerError;

impl From<ServerError> for Status {
    fn from(e: ServerError) -> Status {
        let message = polaroid_results::error::chain(&e);
        match e {
            ServerError::Invalid(_) | ServerError::UnknownAction { .. } => Status::invalid_argument(message),
            ServerError::UnknownTable { .. } | ServerError::NotFound(_) => Status::not_found(message),
            ServerError::Engine(e) => from_engine(e),
            ServerError::Polars(e) => from_polars(e),
            ServerError::Append { acknowledged, source } => {
                let cause = Status::from(*source);
                Status::new(cause.code(), format!("{} ({acknowledged} records of this append were acknowledged before it)", cause.message()))
            }
            ServerError::Transport(e) => Status::from(e),
            ServerError::Internal { .. } => Status::internal(message),
        }
    }
}

/// The status a client gets for an engine error: unknown data is NOT_FOUND, refusals under load RESOURCE_EXHAUSTED
/// (with retry advice), a server shutting down UNAVAILABLE, bad input INVALID_ARGUMENT.
pub fn from_engine(e: Error) -> Status {
    let message = polaroid_results::error::chain(&e);
    match e {
        Error::NotFound { .. } | Error::UnknownHandle { .. } | Error::HandleExpired { .. } => Status::not_found(message),
        Error::Overloaded(_) => Status::resource_exhausted(format!("{message} (the server is busy: retry after a short backoff)")),
        Error::ShutDown => Status::unavailable("the server is shutting down; reconnect to its replacement"),
        Error::CorruptFile { .. } | Error::BadSchema { .. } | Error::Config(_) | Error::Unsupported(_) => Status::invalid_argument(message),
        Error::TooLarge { .. } | Error::MemoryLimit { .. } => Status::resource_exhausted(message),
        Error::TimedOut { .. } => Status::deadline_exceeded(message),
        Error::Polars(e) => from_polars(e),
        Error::Store { .. } | Error::Io { .. } | Error::Task(_) => Status::internal(message),
    }
}

/// A Polars error from planning or running a query: the query is what is wrong (Polars' own message), unless the
/// error is about I/O.
pub fn from_polars(e: PolarsError) -> Status {
    match e {
        PolarsError::IO { .. } => Status::internal(format!("polars: {e}")),
        e => Status::invalid_argument(format!("polars: {e}")),
    }
}

/// A status code's canonical gRPC name (`NOT_FOUND`), as JSON results report per-item errors.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}
