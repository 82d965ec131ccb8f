//! Getting Parquet into frames: bytes come from the local file system (memory-mapped by Polars) or from an object
//! store (one GET per file); decoding always runs on a blocking thread, never on the async workers.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use object_store::{ObjectStore, ObjectStoreExt};
use polars::prelude::*;

use crate::error::{Error, Result};

/// Where a read gets its bytes.
#[derive(Clone)]
pub(crate) enum Fetched {
    /// A local file, decoded straight from disk.
    Local(String),
    /// An object's bytes, already fetched.
    Object(String, Bytes),
}

/// Fetches what decoding needs. With a store this is the network part (and the part that overlaps).
pub(crate) async fn fetch(store: Option<&Arc<dyn ObjectStore>>, path: &str) -> Result<Fetched> {
    match store {
        None => {
            if tokio::fs::metadata(path).await.is_err() {
                return Err(Error::NotFound { path: path.into() });
            }
            Ok(Fetched::Local(path.into()))
        }
        Some(store) => {
            let key = object_store::path::Path::from(path.trim_start_matches('/'));
            let store_err = |source: object_store::Error| match source {
                object_store::Error::NotFound { .. } => Error::NotFound { path: path.into() },
                source => Error::Store { path: path.into(), source },
            };
            let got = store.get(&key).await.map_err(store_err)?;
            let bytes = got.bytes().await.map_err(store_err)?;
            Ok(Fetched::Object(path.into(), bytes))
        }
    }
}

/// What to read of a file.
#[derive(Clone, Default)]
pub(crate) struct ReadSpec {
    pub columns: Option<Vec<String>>,
    /// Rows `(offset, len)`; whole row groups outside it are skipped.
    pub slice: Option<(usize, usize)>,
    pub expected: Option<Schema>,
}

/// Decodes (blocking: call from `spawn_blocking`).
pub(crate) fn decode(fetched: &Fetched, spec: &ReadSpec) -> Result<DataFrame> {
    match fetched {
        Fetched::Local(path) => {
            let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
            decode_from(path, file, spec)
        }
        Fetched::Object(path, bytes) => decode_from(path, Cursor::new(bytes.clone()), spec),
    }
}

/// Rows in a fetched file (blocking).
pub(crate) fn num_rows(fetched: &Fetched) -> Result<usize> {
    let (path, result) = match fetched {
        Fetched::Local(path) => {
            let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
            (path, ParquetReader::new(file).num_rows())
        }
        Fetched::Object(path, bytes) => (path, ParquetReader::new(Cursor::new(bytes.clone())).num_rows()),
    };
    result.map_err(|source| Error::CorruptFile { path: path.clone(), source })
}

fn decode_from<R: polars::io::mmap::MmapBytesReader>(path: &str, reader: R, spec: &ReadSpec) -> Result<DataFrame> {
    let mut reader = ParquetReader::new(reader);
    // Reading the footer is where a file that is not Parquet fails.
    let schema = reader.schema().map_err(|source| Error::CorruptFile { path: path.into(), source })?;
    if let Some(columns) = &spec.columns {
        if let Some(missing) = columns.iter().find(|c| schema.get(c.as_str()).is_none()) {
            return Err(Error::BadSchema { path: path.into(), detail: format!("no column '{missing}'") });
        }
    }
    // A column type Polars is not built with would make Polars panic while converting it: refuse it by name first.
    let read = |name: &str| spec.columns.as_ref().is_none_or(|c| c.iter().any(|c| c == name));
    if let Some((name, dtype)) = schema.iter().filter(|(name, _)| read(name.as_str())).find_map(|(name, f)| not_built(&f.dtype).map(|d| (name, d))) {
        return Err(Error::BadSchema {
            path: path.into(),
            detail: format!(
                "column '{name}' holds {dtype:?}, a type polaroid's build of Polars leaves out (Int128, Float16: docs/decisions.md, \"What Polars is built with\"); write it as Int64, a decimal or Float32, or leave the column out"
            ),
        });
    }
    let df = reader
        .with_columns(spec.columns.clone())
        .with_slice(spec.slice)
        .finish()
        .map_err(|source| Error::CorruptFile { path: path.into(), source })?;
    if let Some(expected) = &spec.expected {
        check_schema(path, &df, expected, spec.columns.as_deref())?;
    }
    Ok(df)
}

/// Every expected column present with its type (columns left out by a projection are not checked).
fn check_schema(path: &str, df: &DataFrame, expected: &Schema, projection: Option<&[String]>) -> Result<()> {
    let actual = df.schema();
    for (name, dtype) in expected.iter() {
        if projection.is_some_and(|cols| !cols.iter().any(|c| c == name.as_str())) {
            continue;
        }
        match actual.get(name) {
            Some(found) if found == dtype => {}
            Some(found) => {
                return Err(Error::BadSchema { path: path.into(), detail: format!("column '{name}' is {found}, expected {dtype}") });
            }
            None => return Err(Error::BadSchema { path: path.into(), detail: format!("no column '{name}'") }),
        }
    }
    Ok(())
}

fn io_error(path: &str, source: std::io::Error) -> Error {
    if source.kind() == std::io::ErrorKind::NotFound {
        Error::NotFound { path: path.into() }
    } else {
        Error::Io { path: path.into(), source }
    }
}

/// The first type inside `dtype` that this build of Polars cannot hold (the workspace leaves out `dtype-i128` and
/// `dtype-f16`), looking through lists, structs, maps and dictionaries.
fn not_built(dtype: &ArrowDataType) -> Option<&ArrowDataType> {
    match dtype {
        ArrowDataType::Float16 | ArrowDataType::Int128 => Some(dtype),
        ArrowDataType::List(f) | ArrowDataType::LargeList(f) | ArrowDataType::FixedSizeList(f, _) | ArrowDataType::Map(f, _) => not_built(&f.dtype),
        ArrowDataType::Struct(fields) => fields.iter().find_map(|f| not_built(&f.dtype)),
        ArrowDataType::Dictionary(_, values, _) => not_built(values),
        ArrowDataType::Extension(ext) => not_built(&ext.inner),
        _ => None,
    }
}
