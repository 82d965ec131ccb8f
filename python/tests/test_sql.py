"""SQL as untrusted input: every query of the corpus (python/tests/sql/corpus.sql) through polaroid-server with ADBC's
Flight SQL driver, answered as DuckDB answers on the same Parquet files, or failing with the clean status
expected.toml names; a few hundred generated queries (seeded) that must each answer as DuckDB does or fail cleanly;
the queries that once killed the server, kept as named regressions; and the limits an operator sets (time, memory),
each breach a status of its own with the server still serving."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

import polaroid
import sqlcheck

adbc = pytest.importorskip("adbc_driver_flightsql.dbapi", reason="the server tests need adbc-driver-flightsql "
                           "(python/requirements-dev.txt)")
import adbc_driver_manager  # noqa: E402

CORPUS = sqlcheck.corpus()
EXPECTED = sqlcheck.expectations()
# The generated part: POLAROID_SQL_SEED picks another sequence of queries (the default is fixed, so CI is stable);
# a failure prints the seed and the query.
SEED = int(os.environ.get("POLAROID_SQL_SEED", "20261130"))
GENERATED = int(os.environ.get("POLAROID_SQL_GENERATED", "300"))


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return sqlcheck.write_tables(tmp_path_factory.mktemp("sql"))


@pytest.fixture(scope="module")
def server(tables: dict[str, Path]):
    with polaroid.serve(tables, args=["--batch-rows", "4096"]) as server:
        yield server


@pytest.fixture(scope="module")
def conn(server: polaroid.Server):
    with adbc.connect(server.url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def duck(tables: dict[str, Path]):
    return sqlcheck.duckdb_connection(tables)


def assert_serving(server: polaroid.Server, conn) -> None:
    """The server process is up and answers a query."""
    assert server.process.poll() is None, f"the server exited: {server.log[-5:]}"
    assert sqlcheck.server_rows(conn, "SELECT COUNT(*) AS n FROM symbols") == [(25,)]


def check(server: polaroid.Server, conn, duck, sql: str, expected: sqlcheck.Expectation | None) -> None:
    try:
        got = sqlcheck.server_rows(conn, sql)
    except adbc_driver_manager.Error as e:
        code = sqlcheck.status_code(e)
        assert_serving(server, conn)
        assert expected is not None and expected.outcome == "error", (
            f"the server failed a query DuckDB answers ({code}): {str(e).splitlines()[0]}\n  {sql}")
        assert code == expected.code, f"{code}, expected {expected.code}: {e}"
        return
    assert expected is None or expected.outcome != "error", (
        f"expected.toml says this fails ({expected.reason}), but it now answers: remove it from expected.toml\n  {sql}")
    why = sqlcheck.difference(got, sqlcheck.duckdb_rows(duck, sql))
    if expected is not None and expected.outcome == "differs":
        assert why is not None, f"expected.toml says this differs from DuckDB, but it now agrees: remove it\n  {sql}"
    else:
        assert why is None, f"{why}\n  {sql}"


def test_the_corpus_covers_the_sql_surface() -> None:
    assert len(CORPUS) >= 200
    assert len(set(CORPUS)) == len(CORPUS), "a query is in the corpus twice"
    stale = set(EXPECTED) - set(CORPUS)
    assert not stale, f"expected.toml names queries that are not in corpus.sql: {sorted(stale)[:3]}"
    for sql, e in EXPECTED.items():
        assert e.outcome in ("error", "differs") and e.reason, sql
        assert e.outcome != "error" or e.code in ("INVALID_ARGUMENT", "NOT_FOUND"), f"{e.code} is not a clean refusal: {sql}"


@pytest.mark.parametrize("sql", CORPUS, ids=[f"q{i:03d}" for i in range(len(CORPUS))])
def test_corpus_query_answers_as_duckdb_or_fails_cleanly(server, conn, duck, sql: str) -> None:
    check(server, conn, duck, sql, EXPECTED.get(sql))


class Grammar:
    """Random queries from a small grammar over trades/trades_dir and symbols, in the part of SQL where Polars and
    DuckDB mean the same thing (no integer division, no casts that round, no LIMIT without a total order)."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def pick(self, *options):
        return self.r.choice(options)

    def predicate(self, joined: bool) -> str:
        r = self.r
        options = [
            lambda: f"t.price {self.pick('>', '<', '>=', '<=')} {r.randint(50, 150)}",
            lambda: f"t.quantity {self.pick('>', '<', '=')} {r.randint(1, 500)}",
            lambda: "t.symbol IN (" + ", ".join(f"'{s}'" for s in r.sample(sqlcheck.SYMBOLS, r.randint(1, 4))) + ")",
            lambda: f"t.venue IS {self.pick('', 'NOT ')}NULL",
            lambda: f"t.side = '{self.pick('B', 'S')}'",
            lambda: f"t.price BETWEEN {r.randint(50, 100)} AND {r.randint(100, 150)}",
            lambda: f"t.symbol LIKE 'S{r.randint(0, 2)}%'",
            lambda: f"t.fee > {r.random():.2f}",
            lambda: f"t.trade_id % {r.randint(2, 9)} = {r.randint(0, 1)}",
            lambda: f"(t.price > {r.randint(50, 150)} OR t.quantity < {r.randint(1, 500)})",
            lambda: f"NOT (t.side = '{self.pick('B', 'S')}')",
            lambda: f"t.symbol IN (SELECT symbol FROM symbols WHERE lot > {r.randint(0, 90)})",
            lambda: f"t.symbol NOT IN (SELECT symbol FROM symbols WHERE sector = '{self.pick('tech', 'energy')}')",
            lambda: f"EXISTS (SELECT 1 FROM symbols x WHERE x.symbol = t.symbol AND x.lot > {r.randint(0, 90)})",
            lambda: f"t.ts < TIMESTAMP '2026-01-{r.randint(2, 23):02d} 00:00:00'",
        ]
        if joined:
            options += [lambda: "s.active", lambda: f"s.sector = '{self.pick('tech', 'energy', 'health')}'",
                        lambda: f"s.lot > {r.randint(0, 90)}"]
        return self.r.choice(options)()

    def value(self, joined: bool) -> str:
        options = ["t.price", "t.quantity", "t.price * t.quantity", "t.price / 4", "t.quantity * 3 - 1", "t.fee",
                   "COALESCE(t.fee, 0)", "UPPER(t.venue)", "t.symbol || '-' || t.side",
                   "CASE WHEN t.price > 100 THEN 'high' ELSE 'low' END", "EXTRACT(DAY FROM t.ts)", "LENGTH(t.venue)",
                   "ABS(t.price - 100)", "t.price + t.fee"]
        if joined:
            options += ["s.sector", "s.lot * t.quantity", "COALESCE(s.sector, 'none')"]
        return self.r.choice(options)

    def query(self) -> str:
        r = self.r
        source = self.pick("trades", "trades_dir")
        joined = r.random() < 0.35
        from_ = f"{source} t" + (f" {self.pick('JOIN', 'LEFT JOIN')} symbols s ON t.symbol = s.symbol" if joined else "")
        where = " AND ".join(self.predicate(joined) for _ in range(r.randint(0, 3)))
        where = f" WHERE {where}" if where else ""
        shape = r.random()
        if shape < 0.4:
            cols = ", ".join(f"{self.value(joined)} AS v{i}" for i in range(r.randint(1, 3)))
            sql = f"SELECT t.trade_id, {cols} FROM {from_}{where}"
            if r.random() < 0.5:
                sql += f" ORDER BY t.trade_id{self.pick('', ' DESC')} LIMIT {r.randint(0, 50)}"
        else:
            keys = r.sample(["t.symbol", "t.side", "t.venue"] + (["s.sector"] if joined else []), r.randint(0, 2))
            aggs = r.sample(["COUNT(*)", "SUM(t.quantity)", "MIN(t.price)", "MAX(t.price)", "AVG(t.price)",
                             "COUNT(t.fee)", "SUM(t.price * t.quantity)", "COUNT(DISTINCT t.symbol)"], r.randint(1, 3))
            select = ", ".join([f"{k} AS k{i}" for i, k in enumerate(keys)] + [f"{a} AS a{i}" for i, a in enumerate(aggs)])
            sql = f"SELECT {select} FROM {from_}{where}"
            if keys:
                sql += " GROUP BY " + ", ".join(keys)
                if r.random() < 0.3:
                    sql += f" HAVING COUNT(*) > {r.randint(0, 500)}"
        if r.random() < 0.15:
            sql = f"WITH q AS ({sql}) SELECT COUNT(*) AS n FROM q"
        return sql


def test_generated_queries_answer_as_duckdb_or_fail_cleanly(server, conn, duck) -> None:
    rng = random.Random(SEED)
    grammar = Grammar(rng)
    failures, answered = [], 0
    for i in range(GENERATED):
        sql = grammar.query()
        try:
            got = sqlcheck.server_rows(conn, sql)
        except adbc_driver_manager.Error as e:
            code = sqlcheck.status_code(e)
            if code not in ("INVALID_ARGUMENT", "NOT_FOUND"):
                failures.append(f"#{i} {code}: {str(e).splitlines()[0][:200]}\n  {sql}")
            if server.process.poll() is not None:
                pytest.fail(f"POLAROID_SQL_SEED={SEED}, query #{i} took the server down:\n  {sql}\n{server.log[-5:]}")
            continue
        answered += 1
        why = sqlcheck.difference(got, sqlcheck.duckdb_rows(duck, sql))
        if why is not None:
            failures.append(f"#{i} {why}\n  {sql}")
    assert_serving(server, conn)
    assert not failures, f"POLAROID_SQL_SEED={SEED}: {len(failures)} of {GENERATED} generated queries failed:\n" + "\n".join(failures[:10])
    # The grammar stays inside what both engines support: most queries must answer.
    assert answered >= GENERATED * 0.9, f"only {answered} of {GENERATED} generated queries answered"


# Queries that aborted the server process before Polars' semi_anti_join feature was built (docs/decisions.md):
# `IN (subquery)` and `EXISTS` fell back to a plan that broadcast the subquery's column to every row.
REGRESSIONS = {
    "in_subquery_aborted_the_server": "SELECT symbol FROM trades WHERE symbol IN (SELECT symbol FROM trades WHERE price > 99) "
                                      "GROUP BY symbol ORDER BY 1 LIMIT 3",
    "not_in_subquery": "SELECT COUNT(*) AS n FROM trades WHERE symbol NOT IN (SELECT symbol FROM trades WHERE price > 149)",
    "cte_names_are_not_tables": "WITH s AS (SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol) "
                                "SELECT COUNT(*) AS n FROM s WHERE p > 50",
}


@pytest.mark.parametrize("sql", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regression_answers_as_duckdb(server, conn, duck, sql: str) -> None:
    check(server, conn, duck, sql, None)
    assert_serving(server, conn)


def test_regression_exists_that_aborted_the_server_fails_cleanly(server, conn) -> None:
    # Polars' SQL cannot decorrelate it (both sides are trades): INVALID_ARGUMENT that names EXISTS, not a
    # thousand-character dump of the syntax tree, and the server serves on.
    sql = ("SELECT COUNT(*) AS n FROM trades WHERE EXISTS (SELECT 1 FROM trades t2 WHERE t2.symbol = trades.symbol "
           "AND t2.price > 99.9)")
    with pytest.raises(adbc_driver_manager.Error) as raised:
        sqlcheck.server_rows(conn, sql)
    assert sqlcheck.status_code(raised.value) == "INVALID_ARGUMENT"
    message = str(raised.value)
    assert "EXISTS" in message and "rewrite it as a join" in message and len(message) < 400, message
    assert_serving(server, conn)


def test_tables_outside_the_catalog_are_not_readable(server, conn, tables) -> None:
    # Polars' SQL has table functions that read any file the server can: only registered tables may be named.
    for sql in (f"SELECT * FROM read_parquet('{tables['trades']}')", "SELECT * FROM read_csv('/etc/passwd')"):
        with pytest.raises(adbc_driver_manager.Error) as raised:
            sqlcheck.server_rows(conn, sql)
        assert sqlcheck.status_code(raised.value) == "NOT_FOUND", raised.value
    assert_serving(server, conn)


# A query that runs for minutes: a cross join of the trades with themselves, 400M rows streamed back. (A plan on
# Polars' streaming engine stops at its next output batch: an aggregate over this join, which emits nothing until
# the end, cannot be stopped before it finishes; docs/server.md, "Limits".)
SLOW = "SELECT a.trade_id, b.trade_id AS other, a.price - b.price AS d FROM trades a CROSS JOIN trades b"


def test_the_server_time_limit_stops_a_query_with_deadline_exceeded(tables) -> None:
    with polaroid.serve(tables, args=["--query-timeout-secs", "2"]) as server, adbc.connect(server.url, autocommit=True) as conn:
        started = time.monotonic()
        with pytest.raises(adbc_driver_manager.Error) as raised:
            sqlcheck.server_rows(conn, SLOW)
        elapsed = time.monotonic() - started
        assert sqlcheck.status_code(raised.value) == "DEADLINE_EXCEEDED", raised.value
        assert "time limit" in str(raised.value)
        assert elapsed < 30, f"the limit is 2 s; the status came after {elapsed:.1f} s"
        assert_stopped_on_the_server(server)
        assert_serving(server, conn)


def test_a_call_deadline_shortens_the_limit(server, conn) -> None:
    import adbc_driver_flightsql

    option = adbc_driver_flightsql.StatementOptions.TIMEOUT_FETCH.value
    with conn.cursor() as cur:
        cur.adbc_statement.set_options(**{option: "1.5"})
        started = time.monotonic()
        with pytest.raises(adbc_driver_manager.Error) as raised:
            cur.execute(SLOW)
            cur.fetch_arrow_table()
        elapsed = time.monotonic() - started
    assert sqlcheck.status_code(raised.value) in ("DEADLINE_EXCEEDED", "CANCELLED"), raised.value
    assert elapsed < 30
    assert_stopped_on_the_server(server)
    assert_serving(server, conn)


def assert_stopped_on_the_server(server: polaroid.Server) -> None:
    """No query holds an admission slot: a query whose client gave up was stopped by the server too."""
    client = polaroid.Client(server.url)
    until = time.monotonic() + 15
    while (executing := client.heartbeat()["admission"]["executing"]) > 0:
        assert time.monotonic() < until, f"{executing} queries still execute 15 s after their callers gave up"
        time.sleep(0.1)


def test_the_python_client_sets_a_call_deadline(server, conn) -> None:
    client = polaroid.Client(server.url)
    started = time.monotonic()
    with pytest.raises(polaroid.ServerError) as raised:
        client.sql(SLOW, timeout=1.0)
    assert raised.value.code == "DEADLINE_EXCEEDED", raised.value
    assert time.monotonic() - started < 30
    assert_stopped_on_the_server(server)
    with pytest.raises(ValueError, match="positive"):
        client.sql("SELECT 1 AS x FROM symbols", timeout=0)
    assert_serving(server, conn)


def test_over_its_memory_limit_the_server_refuses_queries_with_resource_exhausted(tables) -> None:
    # A limit below what the server already holds: every query is refused, and the server stays up to say so.
    with polaroid.serve(tables, args=["--memory-limit-mib", "1"]) as server, adbc.connect(server.url, autocommit=True) as conn:
        for _ in range(3):
            with pytest.raises(adbc_driver_manager.Error) as raised:
                sqlcheck.server_rows(conn, "SELECT COUNT(*) AS n FROM trades")
            assert sqlcheck.status_code(raised.value) == "RESOURCE_EXHAUSTED", raised.value
            assert "memory limit" in str(raised.value)
        assert server.process.poll() is None


HOSTILE = {
    "deep_nesting": "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS x FROM symbols",
    "deep_boolean": "SELECT COUNT(*) AS n FROM trades WHERE " + " AND ".join(["(price > 1 OR quantity > 1)"] * 400),
    "huge_in_list": "SELECT COUNT(*) AS n FROM trades WHERE trade_id IN (" + ", ".join(str(i) for i in range(20_000)) + ")",
    "megabyte_literal": "SELECT '" + "x" * (1 << 20) + "' AS s FROM symbols",
    "two_statements": "SELECT 1 AS x FROM symbols; SELECT 2 AS y FROM symbols",
    "drop_table": "DROP TABLE trades",
    "create_table": "CREATE TABLE t AS SELECT * FROM trades",
    "empty": "",
    "garbage": "SELEKT ☃ FROM ;;",
    "unknown_function": "SELECT no_such_function(price) FROM trades",
    "unknown_column": "SELECT no_such_column FROM trades",
}


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_sql_answers_or_fails_cleanly_and_the_server_keeps_serving(server, conn, sql: str) -> None:
    try:
        sqlcheck.server_rows(conn, sql)
    except adbc_driver_manager.Error as e:
        # The empty statement is refused by the ADBC driver itself, before any call (INVALID_STATE).
        client_side = sql == "" and "INVALID_STATE" in str(e)
        assert client_side or sqlcheck.status_code(e) in ("INVALID_ARGUMENT", "NOT_FOUND"), e
    assert_serving(server, conn)
    # Statements that would change the catalog change nothing: each query plans in a context of its own.
    assert sqlcheck.server_rows(conn, "SELECT COUNT(*) AS n FROM trades") == [(sqlcheck.TRADES_ROWS,)]
