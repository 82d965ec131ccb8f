"""Clients of ``polaroid-server`` (the engine behind Arrow Flight SQL), and a way to start one.

SQL and appends go through ADBC's Flight SQL driver (the same client DBeaver-like tools and ``pl.read_database``
use), polaroid's own actions (register, read_parquet, batch_read, drop, heartbeat, flush) through
``pyarrow.flight``. Results arrive as Arrow and become polars DataFrames; no Polars is linked here.

>>> server = polaroid.serve(tables={"trades": "data/trades.parquet"})     # a server process on a free port
>>> async with polaroid.connect(server.url) as client:                    # asyncio
...     df = await client.sql("SELECT symbol, AVG(price) FROM trades GROUP BY symbol")
>>> client = polaroid.Client(server.url)                                  # scripts
>>> client.read_parquet("data/trades.parquet").select(["symbol", "price"]).filter("price > 100").collect()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Generic, Iterable, Mapping, Sequence, TypeVar, Union

import polars as pl

from polaroid._binary import locate_binary

T = TypeVar("T")

#: The columns an append carries (any types Arrow casts to these).
TICK_COLUMNS = ("seq", "symbol", "price", "quantity", "ts_ns")


class ServerError(Exception):
    """A call the server refused or could not complete.

    ``code`` is the gRPC status name (``NOT_FOUND``, ``INVALID_ARGUMENT``, ``RESOURCE_EXHAUSTED``, ``UNAVAILABLE``,
    ``UNAUTHENTICATED``, ...); the message says what to fix.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# ADBC and pyarrow.flight report statuses as exceptions of their own; both are mapped to ServerError.
_ADBC_CODES = {
    "NOT_FOUND": "NOT_FOUND", "INVALID_ARGUMENT": "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED": "RESOURCE_EXHAUSTED",
    "UNAVAILABLE": "UNAVAILABLE", "UNAUTHENTICATED": "UNAUTHENTICATED", "INVALID_STATE": "INVALID_ARGUMENT",
    "IO": "UNAVAILABLE", "CANCELLED": "CANCELLED", "TIMEOUT": "DEADLINE_EXCEEDED", "INTERNAL": "INTERNAL",
    "UNAUTHORIZED": "UNAUTHENTICATED", "UNKNOWN": "UNKNOWN", "INVALID_DATA": "INVALID_ARGUMENT",
    "NOT_IMPLEMENTED": "UNIMPLEMENTED", "ALREADY_EXISTS": "ALREADY_EXISTS", "INTEGRITY": "INTERNAL",
}


def _server_error(e: BaseException) -> ServerError:
    import adbc_driver_manager
    import pyarrow.flight as flight

    text = str(e)
    if isinstance(e, adbc_driver_manager.Error):
        # The driver's message carries the gRPC code ("[FlightSQL] ... (NotFound; ...)"): prefer it.
        grpc = re.search(r"\((\w+); ", text)
        names = {"NotFound": "NOT_FOUND", "InvalidArgument": "INVALID_ARGUMENT", "ResourceExhausted": "RESOURCE_EXHAUSTED",
                 "Unavailable": "UNAVAILABLE", "Unauthenticated": "UNAUTHENTICATED", "Canceled": "CANCELLED",
                 "Internal": "INTERNAL", "OutOfRange": "OUT_OF_RANGE", "DeadlineExceeded": "DEADLINE_EXCEEDED"}
        code = names.get(grpc.group(1)) if grpc else None
        if code is None:
            status = getattr(e, "status_code", None)
            code = _ADBC_CODES.get(getattr(status, "name", ""), "UNKNOWN")
        return ServerError(code, text)
    # pyarrow.flight: "Flight returned not found error, with message: ..." (also for the classes it maps to
    # ArrowKeyError / ArrowInvalid).
    said = re.search(r"Flight returned (.+?) error, with message: (.*)", text, re.S)
    if said:
        return ServerError(said.group(1).strip().upper().replace(" ", "_"), said.group(2).strip())
    for cls, code in ((flight.FlightUnavailableError, "UNAVAILABLE"), (flight.FlightUnauthenticatedError, "UNAUTHENTICATED"),
                      (flight.FlightCancelledError, "CANCELLED"), (flight.FlightTimedOutError, "DEADLINE_EXCEEDED"),
                      (flight.FlightInternalError, "INTERNAL")):
        if isinstance(e, cls):
            return ServerError(code, text)
    if isinstance(e, Exception):
        return ServerError("UNKNOWN", text)
    raise e


@dataclass(frozen=True)
class Ok(Generic[T]):
    """A call's value, from a ``try_*`` method."""

    value: T

    def is_ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Err:
    """A call's error, from a ``try_*`` method."""

    error: ServerError

    def is_ok(self) -> bool:
        return False


Result = Union[Ok[T], Err]


def _http_url(url: str) -> str:
    return re.sub(r"^grpc\+tcp://|^http://", "grpc://", url)


class _Connection:
    """What a client shares: the Flight client for actions, and a pool of ADBC connections for SQL and appends
    (an ADBC connection serves one call at a time; the pool grows up to the client's in-flight bound)."""

    def __init__(self, url: str, token: str | None) -> None:
        import pyarrow.flight as flight

        self.url = _http_url(url)
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


class Client:
    """A blocking client, for scripts: the same calls as :class:`AsyncClient`, and lazy tables.

    >>> client = polaroid.Client("grpc://127.0.0.1:50051")
    >>> client.read_parquet("trades.parquet").select(["symbol", "price"]).filter("price > 100").collect()
    """

    def __init__(self, url: str = "grpc://127.0.0.1:50051", *, token: str | None = None, _connection: _Connection | None = None) -> None:
        self._conn = _connection or _Connection(url, token)

    @property
    def url(self) -> str:
        return self._conn.url

    def _on_cursor(self, run: Any) -> Any:
        """``run(cursor)`` on a pooled ADBC connection; failures as :class:`ServerError`."""
        conn = self._conn.adbc()
        try:
            with conn.cursor() as cur:
                return run(cur)
        except Exception as e:  # noqa: BLE001
            raise _server_error(e) from None
        finally:
            self._conn.give_back(conn)

    def sql(self, query: str, *, timeout: float | None = None) -> pl.DataFrame:
        """Runs a SQL query (Polars' SQL dialect) over the server's tables; the whole result.

        ``timeout`` (seconds) is this call's deadline: the server stops the query past it (or past its own
        ``--query-timeout-secs``, whichever is shorter) and the call raises :class:`ServerError` with
        ``DEADLINE_EXCEEDED``."""
        _check_timeout(timeout)

        def run(cur: Any) -> pl.DataFrame:
            _deadline(cur, timeout)
            cur.execute(query)
            return _frame(cur.fetch_arrow_table())
        return self._on_cursor(run)

    collect = sql

    def read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> "Table":
        """Loads a Parquet file into the server's cache; a handle to build a query on."""
        return Table(self, self._conn.action("read_parquet", {"path": str(path), "columns": list(columns) if columns else None}))

    def register(self, name: str, path: str | os.PathLike[str], *, scan: bool = False) -> "Table":
        """Registers a Parquet file (loaded), directory or glob (scanned per query) as table ``name``."""
        return Table(self, self._conn.action("register", {"name": name, "path": str(path), "scan": scan}))

    def batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> list["Table | ServerError"]:
        """Loads many files at once; a handle or the error, per path, in order."""
        results = self._conn.action("batch_read", {"paths": [str(p) for p in paths], "columns": list(columns) if columns else None})
        return [Table(self, r["table"]) if "table" in r else ServerError(r["code"], r["error"]) for r in results]

    def drop(self, table: "str | Table") -> bool:
        """Releases a table or handle; ``False`` if it was not registered."""
        return bool(self._conn.action("drop", {"name": table.name if isinstance(table, Table) else table})["dropped"])

    def heartbeat(self, tables: Sequence["str | Table"] = ()) -> dict[str, Any]:
        """Keeps tables alive (all when none named) and returns the server's figures: version, uptime, peak memory,
        tables, cache, admission, executions, ingest."""
        return self._conn.action("heartbeat", {"tables": [t.name if isinstance(t, Table) else t for t in tables]})

    def append_records(self, records: Any) -> int:
        """Appends ticks (columns :data:`TICK_COLUMNS`) to the table ``ticks``; how many the server acknowledged.
        Acknowledged records survive a graceful shutdown."""
        data = _ticks_table(records)
        return self._on_cursor(lambda cur: int(cur.adbc_ingest("ticks", data, mode="append")))

    def flush(self) -> dict[str, int]:
        """Waits until every acknowledged record is stored; the ingest figures."""
        return self._conn.action("flush")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Table:
    """A table or handle on the server, and a query being built on it (``select``, ``filter``, ``limit``), run by
    :meth:`collect` as SQL."""

    def __init__(self, client: Client, info: Mapping[str, Any], *, columns: Sequence[str] | None = None,
                 predicates: Sequence[str] = (), limit: int | None = None) -> None:
        self._client = client
        self.info = dict(info)
        self._columns = list(columns) if columns else None
        self._predicates = list(predicates)
        self._limit = limit

    @property
    def name(self) -> str:
        """The name SQL uses (``h<id>`` for a handle)."""
        return self.info["name"]

    @property
    def columns(self) -> list[str]:
        return self._columns or list(self.info["columns"])

    def _with(self, **changes: Any) -> "Table":
        state = {"columns": self._columns, "predicates": self._predicates, "limit": self._limit} | changes
        return Table(self._client, self.info, **state)

    def select(self, columns: Sequence[str]) -> "Table":
        return self._with(columns=list(columns))

    def filter(self, predicate: str) -> "Table":
        """Keeps rows where ``predicate`` (a SQL boolean expression, e.g. ``"price > 100"``) holds."""
        return self._with(predicates=[*self._predicates, predicate])

    def limit(self, n: int) -> "Table":
        return self._with(limit=int(n))

    def to_sql(self) -> str:
        columns = ", ".join(f'"{c}"' for c in self._columns) if self._columns else "*"
        sql = f"SELECT {columns} FROM {self.name}"
        if self._predicates:
            sql += " WHERE " + " AND ".join(f"({p})" for p in self._predicates)
        if self._limit is not None:
            sql += f" LIMIT {self._limit}"
        return sql

    def collect(self) -> pl.DataFrame:
        return self._client.sql(self.to_sql())

    def drop(self) -> bool:
        return self._client.drop(self)

    def __repr__(self) -> str:
        return f"<polaroid.Table {self.name} ({self.info.get('kind')}, {self.info.get('path')}): {self.to_sql()}>"


class AsyncClient:
    """An asyncio client. At most ``max_in_flight`` calls run at once (more wait: backpressure); cancelling a task
    cancels its server call. ``try_*`` methods return :class:`Ok`/:class:`Err` instead of raising.

    >>> async with polaroid.connect("grpc://127.0.0.1:50051") as client:
    ...     df = await client.sql("SELECT COUNT(*) FROM trades")
    """

    def __init__(self, url: str = "grpc://127.0.0.1:50051", *, token: str | None = None, max_in_flight: int = 64) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._conn = _Connection(url, token)
        self.sync = Client(_connection=self._conn)
        # Calls block in ADBC or pyarrow.flight: each runs on a thread of the client's own pool, one per call in flight.
        self._slots = asyncio.Semaphore(max_in_flight)
        self._threads = concurrent.futures.ThreadPoolExecutor(max_in_flight, thread_name_prefix="polaroid-client")

    def _thread(self, fn: Any, *args: Any) -> "asyncio.Future[Any]":
        return asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)

    @property
    def url(self) -> str:
        return self._conn.url

    async def _call(self, fn: Any, *args: Any) -> Any:
        async with self._slots:
            return await self._thread(fn, *args)

    async def _cancellable(self, run: Any) -> Any:
        """Runs ``run(cursor)`` on a pooled ADBC connection in a thread; cancelling the task cancels the call."""
        async with self._slots:
            conn = await self._thread(self._conn.adbc)
            cur = conn.cursor()
            call = self._thread(run, cur)
            try:
                return await asyncio.shield(call)
            except asyncio.CancelledError:
                # The server call is cancelled (the server stops its query); the thread returns with an error, and
                # only then is the cursor closed.
                cur.adbc_cancel()
                await asyncio.wait([call])
                raise
            except Exception as e:  # noqa: BLE001
                raise _server_error(e) from None
            finally:
                try:
                    cur.close()
                finally:
                    self._conn.give_back(conn)

    async def sql(self, query: str, *, timeout: float | None = None) -> pl.DataFrame:
        """Runs a SQL query over the server's tables; the whole result as a DataFrame. ``timeout``: as
        :meth:`Client.sql`."""
        _check_timeout(timeout)

        def run(cur: Any) -> pl.DataFrame:
            _deadline(cur, timeout)
            cur.execute(query)
            return _frame(cur.fetch_arrow_table())
        return await self._cancellable(run)

    collect = sql

    async def stream(self, query: str) -> AsyncIterator[pl.DataFrame]:
        """The result of a query, batch by batch, as the server streams it (memory stays bounded on both sides).
        Leaving the loop early or cancelling the task stops the server's query."""
        async with self._slots:
            conn = await self._thread(self._conn.adbc)
            cur = conn.cursor()
            try:
                try:
                    await self._thread(cur.execute, query)
                    reader = await self._thread(cur.fetch_record_batch)
                except Exception as e:  # noqa: BLE001
                    raise _server_error(e) from None
                while True:
                    call = self._thread(_next_batch, reader)
                    try:
                        batch = await asyncio.shield(call)
                    except asyncio.CancelledError:
                        cur.adbc_cancel()
                        await asyncio.wait([call])
                        raise
                    except Exception as e:  # noqa: BLE001
                        raise _server_error(e) from None
                    if batch is None:
                        return
                    yield _frame(batch)
            finally:
                try:
                    cur.adbc_cancel()
                    cur.close()
                except Exception:  # noqa: BLE001 - the stream is finished either way
                    pass
                self._conn.give_back(conn)

    async def read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> Table:
        return await self._call(self.sync.read_parquet, path, columns)

    async def register(self, name: str, path: str | os.PathLike[str], *, scan: bool = False) -> Table:
        return await self._call(lambda: self.sync.register(name, path, scan=scan))

    async def batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> list[Table | ServerError]:
        return await self._call(self.sync.batch_read, list(paths), columns)

    async def drop(self, table: str | Table) -> bool:
        return await self._call(self.sync.drop, table)

    async def heartbeat(self, tables: Sequence[str | Table] = ()) -> dict[str, Any]:
        return await self._call(self.sync.heartbeat, tables)

    async def append_records(self, records: Any) -> int:
        data = _ticks_table(records)
        return await self._cancellable(lambda cur: int(cur.adbc_ingest("ticks", data, mode="append")))

    async def flush(self) -> dict[str, int]:
        return await self._call(self.sync.flush)

    async def _try(self, call: Any) -> Result[Any]:
        try:
            return Ok(await call)
        except ServerError as e:
            return Err(e)

    async def try_sql(self, query: str) -> Result[pl.DataFrame]:
        return await self._try(self.sql(query))

    async def try_read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> Result[Table]:
        return await self._try(self.read_parquet(path, columns))

    async def try_batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> Result[list[Table | ServerError]]:
        return await self._try(self.batch_read(paths, columns))

    async def try_append_records(self, records: Any) -> Result[int]:
        return await self._try(self.append_records(records))

    async def try_heartbeat(self, tables: Sequence[str | Table] = ()) -> Result[dict[str, Any]]:
        return await self._try(self.heartbeat(tables))

    async def close(self) -> None:
        await self._thread(self._conn.close)
        self._threads.shutdown(wait=False)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _next_batch(reader: Any) -> Any:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


def connect(url: str = "grpc://127.0.0.1:50051", *, token: str | None = None, max_in_flight: int = 64) -> AsyncClient:
    """An :class:`AsyncClient` of the server at ``url``; ``client.sync`` is a blocking :class:`Client` on the same
    connection. ``token`` is sent as ``authorization: Bearer <token>``."""
    return AsyncClient(url, token=token, max_in_flight=max_in_flight)


def locate_server(binary: str | os.PathLike[str] | None = None) -> Path:
    """The ``polaroid-server`` binary: ``binary``, ``$POLAROID_SERVER_BIN``, ``polaroid-server`` on ``PATH`` or in
    this environment's scripts directory, else the one beside the located ``polaroid-bench`` (a checkout's build)."""
    candidates = [binary, os.environ.get("POLAROID_SERVER_BIN"), shutil.which("polaroid-server"),
                  Path(sysconfig.get_path("scripts")) / "polaroid-server"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    beside = locate_binary().parent / "polaroid-server"
    if beside.is_file():
        return beside
    raise FileNotFoundError(
        f"polaroid-server not found (looked at $POLAROID_SERVER_BIN, PATH, {candidates[3]}, {beside}); "
        "build it with `cargo build --release -p polaroid-server` or set POLAROID_SERVER_BIN")


class Server:
    """A ``polaroid-server`` process this Python started; stopped (SIGTERM: drained, nothing acknowledged lost) by
    :meth:`stop` or at the end of a ``with`` block."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.log: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip())

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then waits for the drain; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
        return f"<polaroid.Server {self.url} pid {self.pid} {state}>"


def serve(tables: Mapping[str, str | os.PathLike[str]] | None = None, *, port: int = 0, token: str | None = None,
          flush_to: str | os.PathLike[str] | None = None, args: Sequence[str] = (), binary: str | os.PathLike[str] | None = None) -> Server:
    """Starts ``polaroid-server serve`` on 127.0.0.1 (``port=0``: a free port) with ``tables`` registered; returns
    once it accepts calls. ``args`` are passed on (see ``polaroid-server serve --help``)."""
    argv = [str(locate_server(binary)), "serve", "--port", str(port)]
    for name, path in (tables or {}).items():
        argv += ["--table", f"{name}={path}"]
    if flush_to is not None:
        argv += ["--flush-to", str(flush_to)]
    argv += list(args)
    env = dict(os.environ)
    if token is not None:
        env["POLAROID_TOKEN"] = token
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on (\S+)", line)
    if match is None:
        process.wait(30)
        message = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"polaroid-server did not start: {message.strip() or line.strip()}")
    return Server(process, match.group(1))
