//! Appends: Arrow record batches from a DoPut become ticks for the engine's ingest pipeline, acknowledged (counted
//! in the call's result) once the engine has accepted them.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_schema::DataType;
use futures::StreamExt;
use polaroid::{Engine, Tick};

use crate::error::{Error, Result};

/// The columns an append carries, and the Arrow types they are read as (any type Arrow casts from is accepted).
pub const COLUMNS: [(&str, DataType); 5] = [
    ("seq", DataType::UInt64),
    ("symbol", DataType::Utf8),
    ("price", DataType::Float64),
    ("quantity", DataType::Int64),
    ("ts_ns", DataType::Int64),
];

/// Appends every batch of the stream; returns how many records were acknowledged. When a batch fails, the error
/// says how many records of this call were acknowledged before it (those are kept).
pub async fn append(engine: &Engine, mut batches: FlightRecordBatchStream) -> Result<i64> {
    let capacity = engine.config().ingest_capacity.max(1);
    let mut acknowledged = 0i64;
    let failed = |e: Error, acknowledged: i64| Error::Append { acknowledged, source: Box::new(e) };
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(|e| failed(e.into(), acknowledged))?;
        let mut ticks = to_ticks(&batch).map_err(|e| failed(e, acknowledged))?.into_iter();
        loop {
            let chunk: Vec<Tick> = ticks.by_ref().take(capacity).collect();
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len() as i64;
            engine.append_batch(chunk).await.map_err(|e| failed(e.into(), acknowledged))?;
            acknowledged += n;
        }
    }
    Ok(acknowledged)
}

fn to_ticks(batch: &RecordBatch) -> Result<Vec<Tick>> {
    let wanted = || COLUMNS.iter().map(|(n, t)| format!("{n} ({t})")).collect::<Vec<_>>().join(", ");
    let mut columns = Vec::with_capacity(COLUMNS.len());
    for (name, dtype) in &COLUMNS {
        let column = batch.column_by_name(name).ok_or_else(|| Error::Invalid(format!("append: column '{name}' is missing; an append has columns {}", wanted())))?;
        if column.null_count() > 0 {
            return Err(Error::Invalid(format!("append: column '{name}' has nulls; every record needs every field")));
        }
        let cast = arrow_cast::cast(column, dtype).map_err(|e| Error::Invalid(format!("append: column '{name}' cannot be read as {dtype}: {e}")))?;
        columns.push(cast);
    }
    let (seq, symbol, price) = (columns[0].as_primitive::<UInt64Type>(), columns[1].as_string::<i32>(), columns[2].as_primitive::<Float64Type>());
    let (quantity, ts_ns) = (columns[3].as_primitive::<Int64Type>(), columns[4].as_primitive::<Int64Type>());
    Ok((0..batch.num_rows())
        .map(|i| Tick { seq: seq.value(i), symbol: symbol.value(i).to_string(), price: price.value(i), quantity: quantity.value(i), ts_ns: ts_ns.value(i) })
        .collect())
}
