"""The SQL checks' shared parts: the Parquet tables the server and DuckDB both read, the corpus and its expectations,
queries over ADBC and in DuckDB, and the comparison of two answers (rows after a canonical sort, floats to a
tolerance).

Used by test_sql.py; also runnable by hand against a server that is already up:

    python python/tests/sqlcheck.py grpc://127.0.0.1:50051 DATA_DIR   # data written by write_tables(DATA_DIR)
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent / "sql"
TRADES_ROWS = 20_000
SYMBOLS = [f"S{i:02d}" for i in range(25)]
# A relative tolerance for floats: engines sum in different orders.
REL_TOL = 1e-9
ABS_TOL = 1e-9


def write_tables(root: Path) -> dict[str, Path]:
    """Writes every table of the corpus under `root` (deterministic) and returns name -> path as the server
    registers them: files are loaded into the server's cache, the directory `trades_dir` is scanned per query."""
    n = TRADES_ROWS
    start = dt.datetime(2026, 1, 1)
    trades = pl.DataFrame({
        "trade_id": pl.Series(range(n), dtype=pl.Int64),
        "symbol": [SYMBOLS[(i * 7 + i // 13) % len(SYMBOLS)] for i in range(n)],
        "price": [round(50 + ((i * 37) % 1000) / 10 + (i % 7) * 0.01, 2) for i in range(n)],
        "quantity": pl.Series([1 + (i * 11) % 500 for i in range(n)], dtype=pl.Int64),
        "ts": [start + dt.timedelta(seconds=i * 97) for i in range(n)],
        "side": ["B" if (i * 3) % 5 < 2 else "S" for i in range(n)],
        "venue": [None if i % 11 == 0 else ["XNYS", "XNAS", "BATS", "IEX"][i % 4] for i in range(n)],
        "fee": [None if i % 17 == 0 else ((i * 13) % 100) / 100 for i in range(n)],
    }).with_columns(pl.col("ts").dt.cast_time_unit("us"))
    # S20..S24 trade but are not listed; X1..X5 are listed but never trade: outer joins have both kinds of NULLs.
    listed = [f"S{i:02d}" for i in range(20)] + [f"X{i}" for i in range(1, 6)]
    sectors = ["tech", "energy", "health", "finance", None]
    symbols = pl.DataFrame({
        "symbol": listed,
        "sector": [sectors[i % len(sectors)] for i in range(len(listed))],
        "lot": pl.Series([10 * (1 + i % 9) for i in range(len(listed))], dtype=pl.Int64),
        "listed": [dt.date(2010 + i % 14, 1 + i % 12, 1 + i % 28) for i in range(len(listed))],
        "active": [i % 3 != 0 for i in range(len(listed))],
    })
    wide = pl.DataFrame({f"c{j}": pl.Series([(i * (j + 3)) % 1000 for i in range(1000)], dtype=pl.Int64)
                         for j in range(120)})
    root.mkdir(parents=True, exist_ok=True)
    paths = {"trades": root / "trades.parquet", "symbols": root / "symbols.parquet",
             "empty": root / "empty.parquet", "wide": root / "wide.parquet", "trades_dir": root / "trades_dir"}
    trades.write_parquet(paths["trades"], row_group_size=5_000)
    symbols.write_parquet(paths["symbols"])
    trades.head(0).write_parquet(paths["empty"])
    wide.write_parquet(paths["wide"])
    paths["trades_dir"].mkdir(exist_ok=True)
    for k, part in enumerate(trades.iter_slices(n // 3 + 1)):
        part.write_parquet(paths["trades_dir"] / f"part-{k}.parquet")
    return paths


def corpus() -> list[str]:
    """The corpus' queries, in file order."""
    lines = (HERE / "corpus.sql").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("--")]


@dataclass(frozen=True)
class Expectation:
    """What a corpus query is expected to do when it is not 'answer as DuckDB does'."""

    outcome: str  # "error": a clean status with this gRPC code; "differs": an answer DuckDB gives differently
    code: str | None
    reason: str


def expectations() -> dict[str, Expectation]:
    """expected.toml: the queries that fail cleanly or differ from DuckDB on purpose, each with its reason."""
    doc = tomllib.loads((HERE / "expected.toml").read_text())
    out = {}
    for item in doc.get("query", []):
        out[item["sql"].strip()] = Expectation(item["outcome"], item.get("code"), item["reason"])
    return out


def duckdb_connection(paths: dict[str, Path]):
    """DuckDB with a view per table over the same Parquet files."""
    import duckdb

    con = duckdb.connect()
    for name, path in paths.items():
        target = f"{path}/*.parquet" if path.is_dir() else str(path)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{target}')")
    return con


def duckdb_rows(con, sql: str) -> list[tuple]:
    return [tuple(row) for row in con.execute(sql).fetchall()]


def arrow_rows(table) -> list[tuple]:
    """Rows of a pyarrow Table as Python tuples."""
    columns = [col.to_pylist() for col in table.columns]
    return list(zip(*columns)) if columns else []


def _canonical(value):
    """A value reduced to what both engines agree a value is: numbers as floats, timestamps without tz."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _sort_key(row: tuple) -> tuple:
    # NULLs first, then by type name, then by value: a total order over mixed rows.
    return tuple((v is not None, type(v).__name__, "" if v is None else (round(v, 6) if isinstance(v, float) else v)) for v in row)


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def difference(got: list[tuple], want: list[tuple]) -> str | None:
    """Why two answers differ (`None`: they are equal as multisets of rows, floats to a tolerance)."""
    if len(got) != len(want):
        return f"{len(got)} rows, DuckDB {len(want)}"
    if got and len(got[0]) != len(want[0]):
        return f"{len(got[0])} columns, DuckDB {len(want[0])}"
    g = sorted((tuple(_canonical(v) for v in r) for r in got), key=_sort_key)
    w = sorted((tuple(_canonical(v) for v in r) for r in want), key=_sort_key)
    for i, (a, b) in enumerate(zip(g, w)):
        if len(a) != len(b) or not all(_close(x, y) for x, y in zip(a, b)):
            return f"row {i} (after sorting): {a!r}, DuckDB {b!r}"
    return None


def server_rows(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return arrow_rows(cur.fetch_arrow_table())


def status_code(error: Exception) -> str:
    """The gRPC status name of a failed ADBC call (its message starts with `[FlightSQL] ... (CODE; ...)`)."""
    text = str(error)
    for code in ("INVALID_ARGUMENT", "NOT_FOUND", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "UNAVAILABLE",
                 "INTERNAL", "CANCELLED", "UNIMPLEMENTED", "UNKNOWN"):
        if code in text.replace(" ", "_").upper() or code.replace("_", "") in text.replace(" ", "").upper():
            return code
    return "UNRECOGNIZED"


if __name__ == "__main__":
    import sys

    import adbc_driver_flightsql.dbapi as flightsql

    url, data = sys.argv[1], Path(sys.argv[2])
    paths = {p.stem if p.suffix else p.name: p for p in data.iterdir()}
    con = duckdb_connection(paths)
    with flightsql.connect(url) as conn:
        for sql in corpus():
            try:
                why = difference(server_rows(conn, sql), duckdb_rows(con, sql))
                print("ok  " if why is None else f"DIFF {why}: ", sql)
            except Exception as e:  # noqa: BLE001 - a report, not a test
                print(f"ERR {status_code(e)} {str(e).splitlines()[0][:200]}: {sql}")
