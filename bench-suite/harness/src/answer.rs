//! Answer digests: how results of different engines are compared before any timing counts.
//!
//! A digest is an order-independent (multiset) hash of the result's rows, so it equals what hashing the canonically
//! sorted result would give, without paying for a sort of a large result. Canonical values: columns in name order,
//! integers widened to i64, dates and times as their integer representation, floats rounded to 6 significant
//! digits (engines sum in different orders, so the last bits of an aggregate differ legitimately), strings as
//! bytes, nulls as a marker. A result split over several frames (one per file) hashes like their concatenation.

use polars::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use polaroid_results::Answer;

use crate::error::Result;

const NULL_HASH: u64 = 0x6e75_6c6c_6e75_6c6c;
const PREVIEW_ROWS: usize = 5;

/// Digest of a result made of one or more frames with the same columns.
pub fn digest(frames: &[DataFrame]) -> Result<Answer> {
    digest_with(frames, Columns::ByName)
}

/// Digest of a SQL answer: its columns taken in result order, whatever each engine named them (an unaliased
/// `COUNT(*)` is `len` in Polars and `count_star()` in DuckDB); the names recorded are the first frame's.
pub fn digest_by_position(frames: &[DataFrame]) -> Result<Answer> {
    digest_with(frames, Columns::ByPosition)
}

/// Digest of a SQL answer a worker left as a Parquet file ([`digest_by_position`]).
pub fn digest_file(path: &std::path::Path) -> Result<Answer> {
    let file = std::fs::File::open(path).map_err(crate::error::io_err("opening", path))?;
    let df = ParquetReader::new(file).finish()?;
    digest_by_position(&[df])
}

/// Digest of the answers a measurement left as files: one file's own digest, or for a workload file's concurrent mix
/// (one file per query, in mix order) the per-query digests combined in order, as concurrent-query combines its
/// requests'.
pub fn digest_files(files: &[std::path::PathBuf]) -> Result<Answer> {
    if let [one] = files {
        return digest_file(one);
    }
    let digests = files.iter().map(|f| digest_file(f)).collect::<Result<Vec<_>>>()?;
    let parts: Vec<String> = digests.iter().enumerate().map(|(i, d)| format!("query {}: {} rows, {}", i + 1, d.rows, d.checksum)).collect();
    Ok(Answer {
        rows: digests.iter().map(|d| d.rows).sum(),
        columns: vec!["per-query answers".into()],
        checksum: format!("{:016x}", xxh3_64(parts.join("|").as_bytes())),
        preview: parts.into_iter().take(PREVIEW_ROWS).collect(),
    })
}

/// Whether two SQL answers left as files are the same up to floating-point noise: same shape, and after each is
/// put in canonical form (columns by position; numbers as f64, dates and times as their integers, the rest as
/// text) and sorted by every column, equal values, floats to a relative tolerance of 1e-6. What the runner asks
/// when two digests differ: a digest rounds floats to 6 significant digits, so two sums that differ in their last
/// bits can still round apart (DuckDB's parallel SUM changes its order from run to run).
///
/// A decimal column is exact to its scale and no further, so its values may also differ by one unit in its last
/// place: DataFusion's AVG of a DECIMAL(15,2) is a DECIMAL(19,6), cut after 6 places, where Polars and DuckDB give a
/// float (TPC-H's q1 average discount, about 0.05, differs from the float by up to 1e-6, 2e-5 of its value).
pub fn same_within_tolerance(a: &std::path::Path, b: &std::path::Path) -> Result<bool> {
    let ((a, a_units), (b, b_units)) = (canonical(a)?, canonical(b)?);
    if a.shape() != b.shape() {
        return Ok(false);
    }
    for (i, (x, y)) in a.columns().iter().zip(b.columns()).enumerate() {
        let unit = a_units[i].max(b_units[i]);
        let same = match (x.dtype(), y.dtype()) {
            (DataType::Float64, DataType::Float64) => x.f64()?.iter().zip(y.f64()?.iter()).all(|pair| match pair {
                (Some(p), Some(q)) => {
                    p == q || (p - q).abs() <= (1e-6 * p.abs().max(q.abs())).max(unit) || (p.is_nan() && q.is_nan())
                }
                (None, None) => true,
                _ => false,
            }),
            _ => x.as_materialized_series().equal_missing(y.as_materialized_series()).is_ok_and(|eq| eq.all()),
        };
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An answer file in canonical form, sorted: columns `c0`, `c1`, ... in result order; with each column's unit in
/// the last place (10^-scale for a decimal, 0 for the rest).
fn canonical(path: &std::path::Path) -> Result<(DataFrame, Vec<f64>)> {
    let file = std::fs::File::open(path).map_err(crate::error::io_err("opening", path))?;
    let df = ParquetReader::new(file).finish()?;
    let mut columns = Vec::with_capacity(df.width());
    let mut units = Vec::with_capacity(df.width());
    for (i, column) in df.columns().iter().enumerate() {
        let s = column.as_materialized_series();
        let dtype = s.dtype();
        units.push(match dtype {
            DataType::Decimal(_, scale) => 10f64.powi(-(*scale as i32)),
            _ => 0.0,
        });
        let c = if dtype.is_float() || dtype.is_decimal() || dtype.is_integer() {
            s.cast(&DataType::Float64)?
        } else if dtype.is_temporal() || dtype.is_bool() {
            s.to_physical_repr().cast(&DataType::Int64)?
        } else {
            s.cast(&DataType::String)?
        };
        columns.push(c.with_name(format!("c{i}").into()).into_column());
    }
    let df = DataFrame::new(df.height(), columns)?;
    let by: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
    Ok((df.sort(by, SortMultipleOptions::default())?, units))
}

/// How a digest lines up the columns of different engines' results.
#[derive(Clone, Copy)]
enum Columns {
    /// In name order (the built-in workloads: every engine names its columns as the plan does).
    ByName,
    /// In result order (SQL).
    ByPosition,
}

fn digest_with(frames: &[DataFrame], order: Columns) -> Result<Answer> {
    let mut columns: Vec<String> = frames
        .first()
        .map(|df| df.get_column_names().iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let mut sum = 0u64;
    let mut rows = 0u64;
    // Preview: the rows with the smallest hashes, a choice that does not depend on row order.
    let mut preview: Vec<(u64, String)> = Vec::new();
    for df in frames {
        let mut names: Vec<&str> = df.get_column_names().iter().map(|c| c.as_str()).collect();
        if let Columns::ByName = order {
            names.sort_unstable();
        }
        let mut row_hashes = vec![0u64; df.height()];
        for name in &names {
            let hashes = column_hashes(df.column(name)?)?;
            for (row, h) in row_hashes.iter_mut().zip(hashes) {
                *row = xxh3_64(&[row.to_le_bytes(), h.to_le_bytes()].concat());
            }
        }
        for (i, h) in row_hashes.iter().enumerate() {
            sum = sum.wrapping_add(*h);
            if preview.len() < PREVIEW_ROWS || *h < preview.last().map(|p| p.0).unwrap_or(u64::MAX) {
                preview.push((*h, row_text(df, &names, i)?));
                preview.sort_unstable();
                preview.truncate(PREVIEW_ROWS);
            }
        }
        rows += df.height() as u64;
    }
    if let Columns::ByName = order {
        columns.sort_unstable();
    }
    Ok(Answer {
        rows,
        columns,
        checksum: format!("{sum:016x}"),
        preview: preview.into_iter().map(|(_, text)| text).collect(),
    })
}

/// One hash per value of a column, after canonicalization.
fn column_hashes(column: &Column) -> Result<Vec<u64>> {
    let series = column.as_materialized_series();
    let dtype = series.dtype();
    // Decimals compare as the numbers they stand for: whole ones (DuckDB's SUM of a BIGINT is a HUGEINT, written as
    // DECIMAL(38,0)) as integers, others as floats (DuckDB keeps SUM of a DECIMAL a DECIMAL; Polars may not).
    let whole_decimal = matches!(dtype, DataType::Decimal(_, 0));
    let hashes = if whole_decimal {
        let s = series.cast(&DataType::Int64)?;
        s.i64()?.iter().map(|v| v.map_or(NULL_HASH, |x| xxh3_64(&x.to_le_bytes()))).collect()
    } else if dtype.is_float() || dtype.is_decimal() {
        let s = series.cast(&DataType::Float64)?;
        s.f64()?.iter().map(|v| v.map_or(NULL_HASH, |x| xxh3_64(&round_6(x)))).collect()
    } else if dtype.is_integer() || dtype.is_temporal() || dtype.is_bool() {
        let s = series.to_physical_repr().cast(&DataType::Int64)?;
        s.i64()?.iter().map(|v| v.map_or(NULL_HASH, |x| xxh3_64(&x.to_le_bytes()))).collect()
    } else {
        let s = series.cast(&DataType::String)?;
        s.str()?.iter().map(|v| v.map_or(NULL_HASH, |x| xxh3_64(x.as_bytes()))).collect()
    };
    Ok(hashes)
}

/// A float as (mantissa, decimal exponent) with 6 significant digits; NaN and infinities keep their identity.
fn round_6(x: f64) -> [u8; 12] {
    let (mantissa, exponent) = if x == 0.0 || !x.is_finite() {
        (if x.is_nan() { i64::MIN } else if x == 0.0 { 0 } else { x.signum() as i64 * i64::MAX }, 0i32)
    } else {
        let mut e = x.abs().log10().floor() as i32;
        let mut m = (x / 10f64.powi(e - 5)).round();
        if m.abs() >= 1e6 {
            e += 1;
            m = (x / 10f64.powi(e - 5)).round();
        }
        (m as i64, e)
    };
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&mantissa.to_le_bytes());
    out[8..].copy_from_slice(&exponent.to_le_bytes());
    out
}

fn row_text(df: &DataFrame, names: &[&str], row: usize) -> Result<String> {
    let mut parts = Vec::with_capacity(names.len());
    for name in names {
        parts.push(format!("{name}={}", df.column(name)?.get(row)?));
    }
    Ok(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(symbols: &[&str], vwap: &[f64]) -> DataFrame {
        df!("symbol" => symbols, "vwap" => vwap).unwrap()
    }

    #[test]
    fn row_order_and_splitting_do_not_change_the_digest() {
        let whole = digest(&[frame(&["A", "B", "C"], &[1.5, 2.5, 3.5])]).unwrap();
        let reordered = digest(&[frame(&["C", "A", "B"], &[3.5, 1.5, 2.5])]).unwrap();
        let split = digest(&[frame(&["B"], &[2.5]), frame(&["C", "A"], &[3.5, 1.5])]).unwrap();
        assert_eq!(whole, reordered);
        assert_eq!(whole, split);
        assert_eq!(whole.rows, 3);
    }

    #[test]
    fn summation_noise_is_tolerated_but_real_differences_are_not() {
        let a = digest(&[frame(&["A"], &[101.234567891])]).unwrap();
        let noise = digest(&[frame(&["A"], &[101.234567891 * (1.0 + 1e-13)])]).unwrap();
        let wrong = digest(&[frame(&["A"], &[101.3])]).unwrap();
        assert_eq!(a.checksum, noise.checksum);
        assert_ne!(a.checksum, wrong.checksum);
    }

    #[test]
    fn by_position_ignores_names_but_not_column_order() {
        let a = digest_by_position(&[df!("symbol" => ["A"], "n" => [1i64]).unwrap()]).unwrap();
        let renamed = digest_by_position(&[df!("sym" => ["A"], "count_star()" => [1i32]).unwrap()]).unwrap();
        let swapped = digest_by_position(&[df!("n" => [1i64], "symbol" => ["A"]).unwrap()]).unwrap();
        assert_eq!(a.checksum, renamed.checksum);
        assert_ne!(a.checksum, swapped.checksum);
    }

    #[test]
    fn answer_files_that_differ_in_the_last_bits_are_the_same_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, mut df: DataFrame| {
            let path = dir.path().join(name);
            crate::engines::write_parquet(&mut df, &path).unwrap();
            path
        };
        let vwap = 72.135_942_500_000_1;
        let a = write("a.parquet", df!("symbol" => ["A", "B"], "vwap" => [vwap, 1.0], "n" => [3i64, 4]).unwrap());
        // Another engine: other names, rows in another order, the float's last bits and the integer type differ.
        let b = write("b.parquet", df!("sym" => ["B", "A"], "v" => [1.0, vwap * (1.0 + 1e-15)], "count" => [4i32, 3]).unwrap());
        let c = write("c.parquet", df!("symbol" => ["A", "B"], "vwap" => [vwap * 1.001, 1.0], "n" => [3i64, 4]).unwrap());
        let d = write("d.parquet", df!("symbol" => ["A"], "vwap" => [vwap], "n" => [3i64]).unwrap());
        assert!(same_within_tolerance(&a, &b).unwrap());
        assert!(!same_within_tolerance(&a, &c).unwrap());
        assert!(!same_within_tolerance(&a, &d).unwrap());
    }

    #[test]
    fn a_decimal_may_differ_by_one_unit_in_its_last_place_and_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, avg: f64, decimal: bool| {
            let mut df = df!("avg_disc" => [avg]).unwrap();
            if decimal {
                df = df.lazy().with_column(col("avg_disc").cast(DataType::Decimal(19, 6))).collect().unwrap();
            }
            let path = dir.path().join(name);
            crate::engines::write_parquet(&mut df, &path).unwrap();
            path
        };
        // DataFusion's AVG of a DECIMAL(15,2), cut after 6 places, beside the float Polars and DuckDB give.
        let float = write("float.parquet", 0.049_827_6, false);
        assert!(same_within_tolerance(&float, &write("cut.parquet", 0.049_827, true)).unwrap());
        assert!(!same_within_tolerance(&float, &write("off.parquet", 0.049_825, true)).unwrap());
        assert!(!same_within_tolerance(&float, &write("float-off.parquet", 0.049_827, false)).unwrap());
    }

    #[test]
    fn a_missing_row_changes_the_digest() {
        let a = digest(&[frame(&["A", "B"], &[1.0, 2.0])]).unwrap();
        let b = digest(&[frame(&["A"], &[1.0])]).unwrap();
        assert_ne!(a.checksum, b.checksum);
    }
}
