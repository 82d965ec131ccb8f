//! Polars frames to arrow-rs record batches and back, as Arrow IPC streams (Polars' IPC writer and arrow-rs'
//! reader): whole columns at a time, never row by row, and no `unsafe` (the C data interface would need it).
//!
//! Frames are written at Polars' oldest compatibility level (`LargeUtf8` strings rather than string views), which
//! every Flight SQL client reads.

use std::io::Cursor;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use polaroid::polars::prelude::*;

use crate::error::{Result, internal};

/// The Arrow record batches holding a frame (one per chunk of the frame).
pub fn to_batches(df: &mut DataFrame) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut bytes = Vec::new();
    IpcStreamWriter::new(&mut bytes)
        .with_compat_level(CompatLevel::oldest())
        .finish(df)
        .map_err(internal("writing a result as Arrow IPC"))?;
    let reader = arrow_ipc::reader::StreamReader::try_new(Cursor::new(bytes), None)
        .map_err(internal("reading a result's Arrow IPC"))?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(internal("reading a result's Arrow IPC"))?;
    Ok((schema, batches))
}

/// The Arrow schema of frames with a Polars schema (as [`to_batches`] writes them).
pub fn arrow_schema(schema: &Schema) -> Result<SchemaRef> {
    Ok(to_batches(&mut DataFrame::empty_with_schema(schema))?.0)
}

/// Record batches as one Polars frame (for clients: the harness and the tests read results into Polars).
pub fn to_frame(schema: SchemaRef, batches: &[RecordBatch]) -> PolarsResult<DataFrame> {
    let mut bytes = Vec::new();
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(&mut bytes, &schema).map_err(arrow_err)?;
    for batch in batches {
        writer.write(batch).map_err(arrow_err)?;
    }
    writer.finish().map_err(arrow_err)?;
    drop(writer);
    IpcStreamReader::new(Cursor::new(bytes)).finish()
}

fn arrow_err(e: arrow_schema::ArrowError) -> PolarsError {
    PolarsError::ComputeError(format!("arrow: {e}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_record_batches() {
        let mut df = df!("symbol" => ["A", "B", "C"], "price" => [1.5, 2.5, 3.5], "qty" => [1i64, 2, 3]).unwrap();
        let (schema, batches) = to_batches(&mut df).unwrap();
        assert_eq!(schema.fields().len(), 3);
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
        let back = to_frame(schema.clone(), &batches).unwrap();
        assert!(back.equals(&df), "{back} != {df}");
        // The schema of an empty frame is the schema of the data.
        assert_eq!(arrow_schema(df.schema()).unwrap(), schema);
    }
}
