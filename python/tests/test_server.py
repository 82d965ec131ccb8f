"""polaroid-server from Python: queried by ADBC's Flight SQL driver (a client nobody here wrote), by the async and
the blocking clients of this package; statuses that say what to fix; cancellation that reaches the server; a
graceful stop that keeps every acknowledged record."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import polars as pl
import pytest

import polaroid

ROWS = 50_000


@pytest.fixture(scope="module")
def trades_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("server") / "trades.parquet"
    n = ROWS
    pl.DataFrame({
        "trade_id": range(n),
        "symbol": [f"S{i % 7}" for i in range(n)],
        "price": [100.0 + (i % 101) for i in range(n)],
        "quantity": [1 + (i % 17) for i in range(n)],
    }).write_parquet(path, row_group_size=10_000)
    return path


@pytest.fixture(scope="module")
def server(trades_file: Path):
    # Small batches, so results of a few thousand rows stream as many messages.
    with polaroid.serve({"trades": trades_file}, args=["--batch-rows", "1000"]) as server:
        yield server


def expected_vwap(trades_file: Path) -> pl.DataFrame:
    return (pl.read_parquet(trades_file).group_by("symbol")
            .agg(((pl.col("price") * pl.col("quantity")).sum() / pl.col("quantity").sum()).alias("vwap"))
            .sort("symbol"))


VWAP_SQL = "SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap FROM trades GROUP BY symbol ORDER BY symbol"


def test_any_flight_sql_client_queries_it(server: polaroid.Server, trades_file: Path) -> None:
    import adbc_driver_flightsql.dbapi as flightsql

    with flightsql.connect(server.url) as conn, conn.cursor() as cur:
        cur.execute(VWAP_SQL)
        got = pl.from_arrow(cur.fetch_arrow_table())
    assert isinstance(got, pl.DataFrame)
    want = expected_vwap(trades_file)
    assert got["symbol"].to_list() == want["symbol"].to_list()
    assert got["vwap"].to_list() == pytest.approx(want["vwap"].to_list())
    # polars' own read_database over the same ADBC connection.
    with flightsql.connect(server.url) as conn:
        df = pl.read_database("SELECT COUNT(*) AS n FROM trades", conn)
    assert df["n"][0] == ROWS


def test_async_client_sql_stream_and_handles(server: polaroid.Server, trades_file: Path) -> None:
    async def main() -> None:
        async with polaroid.connect_async(server.url) as client:
            got = await client.sql(VWAP_SQL)
            assert got["symbol"].to_list() == expected_vwap(trades_file)["symbol"].to_list()
            assert got["vwap"].to_list() == pytest.approx(expected_vwap(trades_file)["vwap"].to_list())

            batches = [b async for b in client.stream("SELECT * FROM trades WHERE price > 150")]
            assert len(batches) > 1, "a result of many batches streams as many batches"
            assert sum(b.height for b in batches) == pl.read_parquet(trades_file).filter(pl.col("price") > 150).height

            table = await client.read_parquet(trades_file, columns=["symbol", "price"])
            assert table.columns == ["symbol", "price"]
            tables = await client.batch_read([trades_file, trades_file.with_name("absent.parquet")])
            assert isinstance(tables[0], polaroid.Table)
            assert isinstance(tables[1], polaroid.ServerError) and tables[1].code == "NOT_FOUND"

            # The seed's names: several queries at once, each its answer or its error; the stream under its old name.
            both = await client.batch_collect([VWAP_SQL, "SELECT * FROM nowhere"])
            assert both[0].equals(got) and isinstance(both[1], polaroid.ServerError) and both[1].code == "NOT_FOUND"
            assert sum([b.height async for b in client.stream_collect("SELECT * FROM trades WHERE price > 150")]) == sum(b.height for b in batches)

            beat = await client.heartbeat([table])
            assert beat["version"] and beat["uptime_s"] > 0 and beat["peak_rss_bytes"] > 0
            assert {t["name"] for t in beat["tables"]} >= {"trades", table.name}
            assert await client.drop(table) is True
            assert await client.drop(table) is False

    asyncio.run(main())


def test_sync_api_builds_queries_on_handles(server: polaroid.Server, trades_file: Path) -> None:
    with polaroid.Client(server.url) as client:
        df = client.read_parquet(trades_file).select(["symbol", "price"]).filter("price > 190").filter("symbol = 'S3'").collect()
        want = pl.read_parquet(trades_file).filter((pl.col("price") > 190) & (pl.col("symbol") == "S3")).select("symbol", "price")
        assert df.sort("price").equals(want.sort("price"))
        assert client.read_parquet(trades_file).limit(5).collect().height == 5


def test_statuses_say_what_to_fix_and_try_returns_values(server: polaroid.Server) -> None:
    async def main() -> None:
        async with polaroid.connect_async(server.url) as client:
            unknown = await client.try_sql("SELECT * FROM nowhere")
            assert isinstance(unknown, polaroid.Err)
            assert unknown.error.code == "NOT_FOUND" and "nowhere" in unknown.error.message and "trades" in unknown.error.message
            bad = await client.try_sql("SELEC 1")
            assert isinstance(bad, polaroid.Err) and bad.error.code == "INVALID_ARGUMENT"
            missing = await client.try_sql("SELECT no_such_column FROM trades")
            assert isinstance(missing, polaroid.Err) and "no_such_column" in missing.error.message
            ok = await client.try_sql("SELECT COUNT(*) AS n FROM trades")
            assert isinstance(ok, polaroid.Ok) and ok.value["n"][0] == ROWS
            with pytest.raises(polaroid.ServerError) as e:
                await client.read_parquet("/nonexistent/file.parquet")
            assert e.value.code == "NOT_FOUND"

    asyncio.run(main())


def test_a_column_type_this_build_leaves_out_is_refused_by_name(server: polaroid.Server, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Polars is built without Float16 (docs/decisions.md): reading it would make Polars panic; it is refused first.
    half = tmp_path / "half.parquet"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "x": pa.array([1.5, 2.5], pa.float16())}), half)
    client = polaroid.connect(server.url)
    with pytest.raises(polaroid.ServerError) as e:
        client.read_parquet(half)
    assert e.value.code == "INVALID_ARGUMENT" and "'x'" in e.value.message and "Float16" in e.value.message
    # Its other columns load, and the server goes on serving.
    assert client.read_parquet(half, columns=["id"]).collect()["id"].to_list() == [1, 2]
    assert client.sql("SELECT COUNT(*) AS n FROM trades")["n"][0] == ROWS


def test_cancelling_a_task_stops_its_server_query(server: polaroid.Server) -> None:
    async def main() -> None:
        async with polaroid.connect_async(server.url) as client:
            async def consume() -> None:
                # A cross join: far more rows than the test reads.
                async for _ in client.stream("SELECT a.trade_id, b.trade_id AS other FROM trades a CROSS JOIN trades b"):
                    await asyncio.sleep(0.05)

            task = asyncio.create_task(consume())
            await asyncio.sleep(1.0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            deadline = time.monotonic() + 30
            while (await client.heartbeat())["admission"]["executing"] != 0:
                assert time.monotonic() < deadline, "the cancelled query still holds its admission slot"
                await asyncio.sleep(0.1)
            assert (await client.sql("SELECT COUNT(*) AS n FROM trades"))["n"][0] == ROWS

    asyncio.run(main())


def test_appends_survive_a_graceful_stop(trades_file: Path, tmp_path: Path) -> None:
    flushed = tmp_path / "ticks.parquet"
    server = polaroid.serve({"trades": trades_file}, flush_to=flushed)
    acknowledged = 0

    async def main() -> int:
        nonlocal acknowledged
        async with polaroid.connect_async(server.url) as client:
            for i in range(20):
                ticks = pl.DataFrame({"seq": range(i * 100, (i + 1) * 100), "symbol": ["A", "B"] * 50,
                                      "price": [10.0] * 100, "quantity": [3] * 100, "ts_ns": range(100)})
                acknowledged += await client.append_records(ticks)
            await client.flush()
            stored = await client.sql("SELECT COUNT(*) AS n FROM ticks")
            vwap = await client.sql("SELECT * FROM vwap ORDER BY symbol")
            assert vwap["symbol"].to_list() == ["A", "B"]
            rejected = await client.try_append_records(pl.DataFrame({"seq": [1]}))
            assert isinstance(rejected, polaroid.Err) and rejected.error.code == "INVALID_ARGUMENT"
            return int(stored["n"][0])

    assert asyncio.run(main()) == 2000
    assert acknowledged == 2000
    assert server.stop() == 0
    back = pl.read_parquet(flushed)
    assert back.height == 2000 and back["seq"].n_unique() == 2000


def test_a_token_is_required_when_set(trades_file: Path) -> None:
    with polaroid.serve({"trades": trades_file}, token="sesame") as server:
        with pytest.raises(polaroid.ServerError) as e:
            polaroid.Client(server.url).heartbeat()
        assert e.value.code == "UNAUTHENTICATED"
        with polaroid.Client(server.url, token="sesame") as client:
            assert client.sql("SELECT COUNT(*) AS n FROM trades")["n"][0] == ROWS


def test_tls(trades_file: Path, tmp_path: Path) -> None:
    import pyarrow.flight as flight
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test's certificate"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with polaroid.serve({"trades": trades_file}, args=["--tls-cert", str(cert), "--tls-key", str(key)]) as server:
        assert server.url.startswith("grpc+tls://127.0.0.1:")
        client = flight.FlightClient(server.url, tls_root_certs=cert.read_bytes())
        beat = list(client.do_action(flight.Action("heartbeat", b"{}")))
        assert b'"version"' in beat[0].body.to_pybytes()
        # Plain text to a TLS server is refused, not served.
        plain = flight.FlightClient(server.url.replace("grpc+tls://", "grpc://"))
        with pytest.raises(flight.FlightError):
            list(plain.do_action(flight.Action("heartbeat", b"{}"), options=flight.FlightCallOptions(timeout=5)))
