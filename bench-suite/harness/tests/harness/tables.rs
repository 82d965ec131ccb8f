//! A user's own small tables and a workload file over them, shared by the workload-file and Ballista tests.

use std::path::Path;

use polars::prelude::*;

/// Two small tables a user might have: trades and a symbol -> sector dimension.
pub fn write_tables(dir: &Path) {
    std::fs::create_dir_all(dir.join("trades")).unwrap();
    for part in 0..2 {
        let n = 1000;
        let symbols: Vec<String> = (0..n).map(|i| format!("S{}", (i * 7 + part) % 13)).collect();
        let prices: Vec<f64> = (0..n).map(|i| 100.0 + ((i * 31 + part * 17) % 97) as f64 / 4.0).collect();
        let quantities: Vec<i64> = (0..n).map(|i| ((i * 13 + part) % 50 + 1) as i64).collect();
        let mut df = df!("symbol" => symbols, "price" => prices, "quantity" => quantities).unwrap();
        let file = std::fs::File::create(dir.join(format!("trades/part-{part}.parquet"))).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }
    let symbols: Vec<String> = (0..13).map(|i| format!("S{i}")).collect();
    let sectors: Vec<&str> = (0..13).map(|i| if i % 2 == 0 { "tech" } else { "energy" }).collect();
    let mut df = df!("symbol" => symbols, "sector" => sectors).unwrap();
    ParquetWriter::new(std::fs::File::create(dir.join("sectors.parquet")).unwrap()).finish(&mut df).unwrap();
}

pub const GOOD: &str = r#"
name = "my-trades"
about = "a user's own tables and queries"

[tables]
trades = "trades/*.parquet"
sectors = { path = "sectors.parquet" }

[[queries]]
name = "vwap"
sql = "SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap FROM trades GROUP BY symbol"
expect_rows = 13

[[queries]]
name = "by-sector"
sql = """
WITH t AS (SELECT * FROM trades WHERE quantity >= ${min_qty})
SELECT s.sector, COUNT(*) AS trades, SUM(t.quantity) AS volume
FROM t JOIN sectors s ON t.symbol = s.symbol
GROUP BY s.sector
"""
params = { min_qty = [1, 40] }

[run]
processes = 2
runs = 2
"#;

