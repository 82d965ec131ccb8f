//! The queries every engine runs, written once with Polars' lazy API so that no variant gets a different (easier or
//! harder) query than another. Engines differ in how they get the data and which Polars engine executes the plan,
//! never in the plan itself.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// Trades with fewer shares than this are left out of the batch-read VWAP (the "filter" of that task).
pub const VWAP_MIN_QUANTITY: i64 = 20;

/// Per-symbol volume-weighted average price over trades with at least `min_quantity` shares, with trade count and
/// volume: the aggregate every workload computes in some form.
pub fn vwap(lf: LazyFrame, min_quantity: i64) -> LazyFrame {
    lf.select([col("symbol"), col("price"), col("quantity")])
        .filter(col("quantity").gt_eq(lit(min_quantity)))
        .group_by([col("symbol")])
        .agg([
            ((col("price") * col("quantity").cast(DataType::Float64)).sum() / col("quantity").cast(DataType::Float64).sum())
                .alias("vwap"),
            col("quantity").sum().alias("volume"),
            len().alias("trades"),
        ])
}

/// The full-scan aggregate of the large-dataset workload: per symbol, trades, volume, VWAP and price range.
pub fn full_aggregate(lf: LazyFrame) -> LazyFrame {
    lf.group_by([col("symbol")]).agg([
        len().alias("trades"),
        col("quantity").sum().alias("volume"),
        ((col("price") * col("quantity").cast(DataType::Float64)).sum() / col("quantity").cast(DataType::Float64).sum())
            .alias("vwap"),
        col("price").min().alias("low"),
        col("price").max().alias("high"),
    ])
}

/// [`vwap`] in two steps, for an engine that aggregates each file as it arrives: per-file partial sums that
/// [`merge_vwap`] combines. Same columns, same types, same answer (up to floating-point summation order).
pub fn partial_vwap(lf: LazyFrame, min_quantity: i64) -> LazyFrame {
    lf.select([col("symbol"), col("price"), col("quantity")])
        .filter(col("quantity").gt_eq(lit(min_quantity)))
        .group_by([col("symbol")])
        .agg([
            (col("price") * col("quantity").cast(DataType::Float64)).sum().alias("notional"),
            col("quantity").cast(DataType::Float64).sum().alias("volume_f"),
            col("quantity").sum().alias("volume"),
            len().alias("trades"),
        ])
}

/// Combines [`partial_vwap`] outputs into [`vwap`]'s answer.
pub fn merge_vwap(partials: LazyFrame) -> LazyFrame {
    partials.group_by([col("symbol")]).agg([
        (col("notional").sum() / col("volume_f").sum()).alias("vwap"),
        col("volume").sum().alias("volume"),
        col("trades").sum().cast(IDX_DTYPE).alias("trades"),
    ])
}

/// Columns [`full_aggregate`] reads, for engines that project by hand.
pub const AGGREGATE_COLUMNS: [&str; 3] = ["symbol", "price", "quantity"];

/// One request of the concurrent-query workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Query {
    /// Every trade of one symbol above a price.
    Filter {
        /// Symbol to select.
        symbol: String,
        /// Exclusive lower price bound.
        min_price: f64,
    },
    /// Per-symbol VWAP of trades of at least `min_quantity` shares.
    Vwap {
        /// Smallest trade size included.
        min_quantity: i64,
    },
    /// The `n` trades with the largest notional (price x quantity).
    TopNotional {
        /// How many trades.
        n: u32,
    },
}

impl Query {
    /// Applies the query to a source of trades.
    pub fn plan(&self, lf: LazyFrame) -> LazyFrame {
        match self {
            Query::Filter { symbol, min_price } => {
                lf.filter(col("symbol").eq(lit(symbol.as_str())).and(col("price").gt(lit(*min_price))))
            }
            Query::Vwap { min_quantity } => vwap(lf, *min_quantity),
            Query::TopNotional { n } => lf
                .with_column((col("price") * col("quantity").cast(DataType::Float64)).alias("notional"))
                // Ties on notional are broken by trade id so every engine returns the same rows.
                .sort_by_exprs(
                    [col("notional"), col("trade_id")],
                    SortMultipleOptions::default().with_order_descending_multi([true, false]),
                )
                .limit(*n as IdxSize),
        }
    }

    /// Short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Filter { .. } => "filter",
            Query::Vwap { .. } => "vwap",
            Query::TopNotional { .. } => "top_notional",
        }
    }
}
