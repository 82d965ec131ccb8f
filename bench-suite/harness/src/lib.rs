use polars::prelude::*; pub fn f() -> PolarsResult<DataFrame> { df!("a" => [1i64]) }
