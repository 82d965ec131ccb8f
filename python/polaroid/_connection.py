"""What both server clients share: the connection to one ``polaroid-server`` (a ``pyarrow.flight`` client for
polaroid's actions, a pool of ADBC Flight SQL connections for SQL and appends) and the conversions of their
arguments and results."""

from __future__ import annotations

import json
import queue
import re
import threading
from typing import Any, Mapping

import polars as pl

from polaroid.exceptions import _server_error

#: The columns an append carries (any types Arrow casts to these).
TICK_COLUMNS = ("seq", "symbol", "price", "quantity", "ts_ns")

DEFAULT_URL = "grpc://127.0.0.1:50051"


def _grpc_url(url: str) -> str:
    return re.sub(r"^grpc\+tcp://|^http://", "grpc://", url)


class _Connection:
    """The Flight client for actions, and a pool of ADBC connections for SQL and appends (an ADBC connection serves
    one call at a time; the pool grows up to the number of calls in flight)."""

    def __init__(self, url: str, token: str | None) -> None:
        import pyarrow.flight as flight

        self.url = _grpc_url(url)
        self.token = token
        self.headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        self.flight = flight.FlightClient(self.url)
        self._idle: "queue.LifoQueue[Any]" = queue.LifoQueue()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.closed = False

    def adbc(self) -> Any:
        import adbc_driver_flightsql.dbapi as dbapi
        from adbc_driver_flightsql import DatabaseOptions

        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        kwargs = {DatabaseOptions.AUTHORIZATION_HEADER.value: f"Bearer {self.token}"} if self.token else {}
        conn = dbapi.connect(self.url, db_kwargs=kwargs, autocommit=True)
        with self._lock:
            self._all.append(conn)
        return conn

    def give_back(self, conn: Any) -> None:
        self._idle.put(conn)

    def action(self, name: str, body: Mapping[str, Any] | None = None) -> Any:
        import pyarrow.flight as flight

        options = flight.FlightCallOptions(headers=self.headers)
        try:
            results = list(self.flight.do_action(flight.Action(name, json.dumps(body or {}).encode()), options=options))
        except Exception as e:  # noqa: BLE001 - every Flight failure becomes a ServerError
            raise _server_error(e) from None
        return json.loads(results[0].body.to_pybytes()) if results else None

    def close(self) -> None:
        self.closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self.flight.close()


def _ticks_table(records: Any) -> Any:
    """Records to append as an Arrow table: a polars DataFrame, a pyarrow Table/RecordBatch, or dicts/tuples in
    :data:`TICK_COLUMNS` order."""
    import pyarrow as pa

    if isinstance(records, pl.DataFrame):
        # As they are: the server checks the columns and says which one is missing or unreadable.
        return records.to_arrow()
    if isinstance(records, (pa.Table, pa.RecordBatch)):
        return records
    rows = list(records)
    if rows and not isinstance(rows[0], Mapping):
        rows = [dict(zip(TICK_COLUMNS, r)) for r in rows]
    return pa.Table.from_pylist(rows, schema=pa.schema([("seq", pa.uint64()), ("symbol", pa.string()), ("price", pa.float64()),
                                                        ("quantity", pa.int64()), ("ts_ns", pa.int64())]))


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be positive seconds (or None for the server's limit), got {timeout}")


def _deadline(cur: Any, timeout: float | None) -> None:
    """Sets a call deadline on an ADBC cursor: gRPC's deadline on planning and on the result stream, which the
    server takes as this query's time limit."""
    if timeout is None:
        return
    from adbc_driver_flightsql import StatementOptions

    cur.adbc_statement.set_options(**{StatementOptions.TIMEOUT_QUERY.value: str(timeout),
                                      StatementOptions.TIMEOUT_FETCH.value: str(timeout)})


def _frame(table: Any) -> pl.DataFrame:
    return pl.from_arrow(table)  # type: ignore[return-value]


def _sql(query: str, timeout: float | None) -> Any:
    """The work of a SQL call on an ADBC cursor: ``run(cursor)`` -> the whole result as a DataFrame."""
    _check_timeout(timeout)

    def run(cur: Any) -> pl.DataFrame:
        _deadline(cur, timeout)
        cur.execute(query)
        return _frame(cur.fetch_arrow_table())
    return run


def _append(records: Any) -> Any:
    """The work of an append on an ADBC cursor: ``run(cursor)`` -> the records the server acknowledged."""
    data = _ticks_table(records)
    return lambda cur: int(cur.adbc_ingest("ticks", data, mode="append"))


def _next_batch(reader: Any) -> Any:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
