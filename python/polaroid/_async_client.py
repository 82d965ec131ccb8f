"""The asyncio client of ``polaroid-server``: the blocking client's calls on a thread pool of the client's own, at
most ``max_in_flight`` at once, each cancellable; and the seed's Result-style ``try_*`` calls."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Generic, Iterable, Sequence, TypeVar, Union

import polars as pl

from polaroid._client import Client, Table
from polaroid._connection import DEFAULT_URL, _append, _Connection, _frame, _next_batch, _sql
from polaroid.exceptions import ServerError, _server_error

T = TypeVar("T")


@dataclass(frozen=True)
class Ok(Generic[T]):
    """A call's value, from a ``try_*`` method.

    Parameters
    ----------
    value : object
        What the call returned.
    """

    value: T

    def is_ok(self) -> bool:
        """Tell whether the call succeeded.

        Returns
        -------
        bool
            ``True``.
        """
        return True


@dataclass(frozen=True)
class Err:
    """A call's error, from a ``try_*`` method.

    Parameters
    ----------
    error : ServerError
        Why the call failed.
    """

    error: ServerError

    def is_ok(self) -> bool:
        """Tell whether the call succeeded.

        Returns
        -------
        bool
            ``False``: :attr:`error` says why.
        """
        return False


Result = Union[Ok[T], Err]


class AsyncClient:
    """An asyncio client of ``polaroid-server``.

    Every call of the blocking :class:`Client` as a coroutine. At most ``max_in_flight`` calls run at once (more
    wait: backpressure); cancelling a task cancels its server call, and the server stops the query. ``try_*``
    methods return :class:`Ok` / :class:`Err` instead of raising.

    Parameters
    ----------
    url : str
        The server's address, ``grpc://host:port``.
    token : str, optional
        Sent as ``authorization: Bearer <token>``.
    max_in_flight : int, default 64
        Calls that run at once; each holds a thread of the client's pool.

    Examples
    --------
    >>> async with polaroid.connect_async(server.url) as client:
    ...     df = await client.sql("SELECT COUNT(*) FROM trades")
    ...     async for batch in client.stream("SELECT * FROM trades"):
    ...         ...
    """

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, max_in_flight: int = 64) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._conn = _Connection(url, token)
        #: The blocking client on the same connection.
        self.sync = Client(_connection=self._conn)
        # Calls block in ADBC or pyarrow.flight: each runs on a thread of the client's own pool, one per call in flight.
        self._slots = asyncio.Semaphore(max_in_flight)
        self._threads = concurrent.futures.ThreadPoolExecutor(max_in_flight, thread_name_prefix="polaroid-client")

    @property
    def url(self) -> str:
        """The server's address."""
        return self._conn.url

    def _thread(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)

    async def _offload(self, fn: Callable[..., Any], *args: Any, cancel: Callable[[], None] | None = None) -> Any:
        """The one way a blocking call runs: on the pool, its failure as :class:`ServerError`. Cancelling the task
        calls ``cancel`` (which makes the blocking call return) and waits for the thread before re-raising, so no
        call outlives its task."""
        call = self._thread(fn, *args)
        try:
            return await asyncio.shield(call)
        except asyncio.CancelledError:
            if cancel is not None:
                cancel()
            await asyncio.wait([call])
            raise
        except ServerError:
            raise
        except Exception as e:  # noqa: BLE001
            raise _server_error(e) from None

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self._slots:
            return await self._offload(fn, *args)

    async def _on_cursor(self, run: Callable[[Any], Any]) -> Any:
        """``run(cursor)`` on a pooled ADBC connection, cancellable."""
        async with self._slots:
            conn = await self._offload(self._conn.adbc)
            cur = conn.cursor()
            try:
                return await self._offload(run, cur, cancel=cur.adbc_cancel)
            finally:
                try:
                    cur.close()
                finally:
                    self._conn.give_back(conn)

    async def sql(self, query: str, *, timeout: float | None = None) -> pl.DataFrame:
        """Run a SQL query over the server's tables; as :meth:`Client.sql`.

        Parameters
        ----------
        query : str
            The query (Polars' SQL dialect).
        timeout : float, optional
            This call's deadline in seconds.

        Returns
        -------
        polars.DataFrame
            The whole result.

        Raises
        ------
        ServerError
            As :meth:`Client.sql`.
        ValueError
            If ``timeout`` is not a positive number.

        Examples
        --------
        >>> await client.sql("SELECT COUNT(*) FROM trades", timeout=5)
        """
        return await self._on_cursor(_sql(query, timeout))

    collect = sql

    async def stream(self, query: str) -> AsyncIterator[pl.DataFrame]:
        """Run a SQL query and yield its result batch by batch, as the server streams it.

        Memory stays bounded on both sides. Leaving the loop early or cancelling the task stops the server's query.

        Parameters
        ----------
        query : str
            The query (Polars' SQL dialect).

        Yields
        ------
        polars.DataFrame
            One batch of rows.

        Raises
        ------
        ServerError
            As :meth:`Client.sql`.

        Examples
        --------
        >>> rows = 0
        >>> async for batch in client.stream("SELECT * FROM trades WHERE quantity > 100"):
        ...     rows += batch.height
        """
        async with self._slots:
            conn = await self._offload(self._conn.adbc)
            cur = conn.cursor()
            try:
                await self._offload(cur.execute, query, cancel=cur.adbc_cancel)
                reader = await self._offload(cur.fetch_record_batch, cancel=cur.adbc_cancel)
                while (batch := await self._offload(_next_batch, reader, cancel=cur.adbc_cancel)) is not None:
                    yield _frame(batch)
            finally:
                try:
                    cur.adbc_cancel()
                    cur.close()
                except Exception:  # noqa: BLE001 - the stream is finished either way
                    pass
                self._conn.give_back(conn)

    async def read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> Table:
        """Load a Parquet file into the server's cache; as :meth:`Client.read_parquet`.

        Parameters
        ----------
        path : str or os.PathLike
            The file, as the server sees it.
        columns : sequence of str, optional
            Only these columns.

        Returns
        -------
        Table
            A handle (its queries are blocking: ``table.collect()``).

        Raises
        ------
        ServerError
            As :meth:`Client.read_parquet`.
        """
        return await self._call(self.sync.read_parquet, path, columns)

    async def register(self, name: str, path: str | os.PathLike[str], *, scan: bool = False) -> Table:
        """Register a Parquet file, directory or glob as a table; as :meth:`Client.register`.

        Parameters
        ----------
        name : str
            The table's name in SQL.
        path : str or os.PathLike
            A file, directory or glob.
        scan : bool, default False
            Scan a single file per query instead of loading it.

        Returns
        -------
        Table
            The table.

        Raises
        ------
        ServerError
            As :meth:`Client.register`.
        """
        return await self._call(lambda: self.sync.register(name, path, scan=scan))

    async def batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> list[Table | ServerError]:
        """Load many Parquet files at once; as :meth:`Client.batch_read`.

        Parameters
        ----------
        paths : iterable of str or os.PathLike
            The files.
        columns : sequence of str, optional
            Only these columns.

        Returns
        -------
        list of Table or ServerError
            Per path, in order: its handle or its error.

        Raises
        ------
        ServerError
            If the request as a whole fails.
        """
        return await self._call(self.sync.batch_read, list(paths), columns)

    async def drop(self, table: str | Table) -> bool:
        """Release a table or handle; as :meth:`Client.drop`.

        Parameters
        ----------
        table : str or Table
            The table, or its name.

        Returns
        -------
        bool
            ``False`` if it was not registered.

        Raises
        ------
        ServerError
            If the server cannot be reached.
        """
        return await self._call(self.sync.drop, table)

    async def heartbeat(self, tables: Sequence[str | Table] = ()) -> dict[str, Any]:
        """Keep tables alive and read the server's figures; as :meth:`Client.heartbeat`.

        Parameters
        ----------
        tables : sequence of str or Table, optional
            The tables or handles to keep alive (default: all).

        Returns
        -------
        dict
            The server's figures.

        Raises
        ------
        ServerError
            ``NOT_FOUND`` for a handle that expired or is unknown.
        """
        return await self._call(self.sync.heartbeat, tables)

    async def append_records(self, records: Any) -> int:
        """Append ticks to the server's table ``ticks``; as :meth:`Client.append_records`.

        Parameters
        ----------
        records : polars.DataFrame, pyarrow.Table, pyarrow.RecordBatch or iterable
            Ticks with the columns ``seq, symbol, price, quantity, ts_ns``.

        Returns
        -------
        int
            How many records the server acknowledged.

        Raises
        ------
        ServerError
            ``INVALID_ARGUMENT`` naming a missing or unreadable column.
        """
        return await self._on_cursor(_append(records))

    async def flush(self) -> dict[str, int]:
        """Wait until every acknowledged record is stored; as :meth:`Client.flush`.

        Returns
        -------
        dict
            The ingest figures.

        Raises
        ------
        ServerError
            If the server cannot be reached.
        """
        return await self._call(self.sync.flush)

    async def batch_collect(self, queries: Iterable[str]) -> list[pl.DataFrame | ServerError]:
        """Run several SQL queries at once (up to ``max_in_flight``), as the engine's ``batch_collect`` does.

        Parameters
        ----------
        queries : iterable of str
            The queries.

        Returns
        -------
        list of polars.DataFrame or ServerError
            Per query, in order: its whole result, or the error it met (the others still run).

        Examples
        --------
        >>> vwap, top = await client.batch_collect(["SELECT ... GROUP BY symbol", "SELECT ... LIMIT 10"])
        """
        results = await asyncio.gather(*(self._try(self.sql(q)) for q in queries))
        return [r.value if isinstance(r, Ok) else r.error for r in results]

    # The seed's names for two of the calls above, kept for its users.
    stream_collect = stream

    async def append_record(self, record: Any) -> int:
        """Append one tick; :meth:`append_records` with a single record.

        Parameters
        ----------
        record : mapping or tuple
            One tick: a dict with the columns ``seq, symbol, price, quantity, ts_ns``, or a tuple in that order.

        Returns
        -------
        int
            1 once the server acknowledged it.

        Raises
        ------
        ServerError
            As :meth:`append_records`.
        """
        return await self.append_records([record])

    async def _try(self, call: Any) -> Result[Any]:
        try:
            return Ok(await call)
        except ServerError as e:
            return Err(e)

    # The seed's Result-style calls: each is its raising twin's result as Ok(value) or Err(ServerError).
    async def try_sql(self, query: str) -> Result[pl.DataFrame]:
        """Call :meth:`sql`, returning :class:`Ok` or :class:`Err` instead of raising.

        Parameters
        ----------
        query : str
            The query.

        Returns
        -------
        Ok or Err
            ``Ok(value)`` with what :meth:`sql` returns, or ``Err(ServerError)``.
        """
        return await self._try(self.sql(query))

    async def try_read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> Result[Table]:
        """Call :meth:`read_parquet`, returning :class:`Ok` or :class:`Err` instead of raising.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        columns : sequence of str, optional
            Only these columns.

        Returns
        -------
        Ok or Err
            ``Ok(value)`` with what :meth:`read_parquet` returns, or ``Err(ServerError)``.
        """
        return await self._try(self.read_parquet(path, columns))

    async def try_batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> Result[list[Table | ServerError]]:
        """Call :meth:`batch_read`, returning :class:`Ok` or :class:`Err` instead of raising.

        Parameters
        ----------
        paths : iterable of str or os.PathLike
            The files.
        columns : sequence of str, optional
            Only these columns.

        Returns
        -------
        Ok or Err
            ``Ok(value)`` with what :meth:`batch_read` returns, or ``Err(ServerError)``.
        """
        return await self._try(self.batch_read(paths, columns))

    async def try_append_records(self, records: Any) -> Result[int]:
        """Call :meth:`append_records`, returning :class:`Ok` or :class:`Err` instead of raising.

        Parameters
        ----------
        records : polars.DataFrame, pyarrow.Table or iterable
            The ticks.

        Returns
        -------
        Ok or Err
            ``Ok(value)`` with what :meth:`append_records` returns, or ``Err(ServerError)``.
        """
        return await self._try(self.append_records(records))

    async def try_heartbeat(self, tables: Sequence[str | Table] = ()) -> Result[dict[str, Any]]:
        """Call :meth:`heartbeat`, returning :class:`Ok` or :class:`Err` instead of raising.

        Parameters
        ----------
        tables : sequence of str or Table, optional
            The tables to keep alive.

        Returns
        -------
        Ok or Err
            ``Ok(value)`` with what :meth:`heartbeat` returns, or ``Err(ServerError)``.
        """
        return await self._try(self.heartbeat(tables))

    async def close(self) -> None:
        """Close the connections (also at the end of an ``async with`` block)."""
        await self._thread(self._conn.close)
        self._threads.shutdown(wait=False)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def connect_async(url: str = DEFAULT_URL, *, token: str | None = None, max_in_flight: int = 64) -> AsyncClient:
    """Connect to a ``polaroid-server`` with the asyncio client.

    Parameters
    ----------
    url : str
        The server's address, ``grpc://host:port``.
    token : str, optional
        Sent as ``authorization: Bearer <token>``.
    max_in_flight : int, default 64
        Calls that run at once.

    Returns
    -------
    AsyncClient
        The client; ``client.sync`` is a blocking :class:`Client` on the same connection.

    Examples
    --------
    >>> async with polaroid.connect_async(server.url) as client:
    ...     df = await client.sql("SELECT COUNT(*) FROM trades")
    """
    return AsyncClient(url, token=token, max_in_flight=max_in_flight)
