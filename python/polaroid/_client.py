"""The blocking client of ``polaroid-server`` (the engine behind Arrow Flight SQL), and its lazy tables.

SQL and appends go through ADBC's Flight SQL driver (the client DBeaver-like tools and ``pl.read_database`` use),
polaroid's own actions (register, read_parquet, batch_read, drop, heartbeat, flush) through ``pyarrow.flight``.
Results arrive as Arrow and become polars DataFrames; no Polars is linked here.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

import polars as pl

from polaroid._connection import DEFAULT_URL, _append, _Connection, _sql
from polaroid.exceptions import ServerError, _server_error


class Client:
    """A blocking client of ``polaroid-server``, for scripts and notebooks.

    Parameters
    ----------
    url : str
        The server's address, ``grpc://host:port`` (what :func:`polaroid.serve` returns as ``server.url``).
    token : str, optional
        Sent as ``authorization: Bearer <token>`` (a server started with ``--token`` needs it).
    _connection : optional
        Internal: the connection of an :class:`AsyncClient` this client shares.

    Examples
    --------
    >>> with polaroid.connect("grpc://127.0.0.1:50051") as client:
    ...     client.sql("SELECT COUNT(*) FROM trades")
    ...     client.read_parquet("trades.parquet").select(["symbol", "price"]).filter("price > 100").collect()
    """

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, _connection: _Connection | None = None) -> None:
        self._conn = _connection or _Connection(url, token)

    @property
    def url(self) -> str:
        """The server's address."""
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
        """Run a SQL query (Polars' SQL dialect) over the server's tables.

        Parameters
        ----------
        query : str
            The query; tables are the names registered on the server, and handles' names (``h<id>``).
        timeout : float, optional
            This call's deadline in seconds. The server stops the query past it, or past its own
            ``--query-timeout-secs``, whichever is shorter.

        Returns
        -------
        polars.DataFrame
            The whole result.

        Raises
        ------
        ServerError
            ``INVALID_ARGUMENT`` for SQL the server cannot run (the message names the construct), ``NOT_FOUND`` for
            an unknown table, ``DEADLINE_EXCEEDED`` past the time limit, ``RESOURCE_EXHAUSTED`` when the server is
            busy or over its memory limit.
        ValueError
            If ``timeout`` is not a positive number.

        Examples
        --------
        >>> client.sql("SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol", timeout=10)
        """
        return self._on_cursor(_sql(query, timeout))

    collect = sql

    def read_parquet(self, path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> Table:
        """Load a Parquet file into the server's cache.

        Parameters
        ----------
        path : str or os.PathLike
            The file, as the server sees it.
        columns : sequence of str, optional
            Only these columns (default: all).

        Returns
        -------
        Table
            A handle to build a query on; its name works in SQL.

        Raises
        ------
        ServerError
            ``NOT_FOUND`` if the file does not exist, ``INVALID_ARGUMENT`` if it is not Parquet,
            ``RESOURCE_EXHAUSTED`` if it exceeds the cache budget.

        Examples
        --------
        >>> client.read_parquet("trades.parquet", ["symbol", "price"]).filter("price > 100").collect()
        """
        return Table(self, self._conn.action("read_parquet", {"path": str(path), "columns": list(columns) if columns else None}))

    def register(self, name: str, path: str | os.PathLike[str], *, scan: bool = False) -> Table:
        """Register a Parquet file, directory or glob as a table.

        Parameters
        ----------
        name : str
            The table's name in SQL.
        path : str or os.PathLike
            A file (loaded into the cache), or a directory or glob (scanned by each query).
        scan : bool, default False
            Scan a single file per query instead of loading it.

        Returns
        -------
        Table
            The table.

        Raises
        ------
        ServerError
            ``NOT_FOUND`` if nothing is at ``path``, ``INVALID_ARGUMENT`` for a name or file the server refuses.

        Examples
        --------
        >>> client.register("days", "data/days/")
        """
        return Table(self, self._conn.action("register", {"name": name, "path": str(path), "scan": scan}))

    def batch_read(self, paths: Iterable[str | os.PathLike[str]], columns: Sequence[str] | None = None) -> list[Table | ServerError]:
        """Load many Parquet files at once (the engine reads them concurrently).

        Parameters
        ----------
        paths : iterable of str or os.PathLike
            The files.
        columns : sequence of str, optional
            Only these columns (default: all).

        Returns
        -------
        list of Table or ServerError
            Per path, in order: its handle, or the error that file met (the others still load).

        Raises
        ------
        ServerError
            If the request as a whole fails (the server is unreachable, or busy).

        Examples
        --------
        >>> tables = client.batch_read(["a.parquet", "b.parquet"])
        """
        results = self._conn.action("batch_read", {"paths": [str(p) for p in paths], "columns": list(columns) if columns else None})
        return [Table(self, r["table"]) if "table" in r else ServerError(r["code"], r["error"]) for r in results]

    def drop(self, table: str | Table) -> bool:
        """Release a table or handle.

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

        Examples
        --------
        >>> client.drop("days")
        """
        return bool(self._conn.action("drop", {"name": table.name if isinstance(table, Table) else table})["dropped"])

    def heartbeat(self, tables: Sequence[str | Table] = ()) -> dict[str, Any]:
        """Keep tables alive and read the server's figures.

        Parameters
        ----------
        tables : sequence of str or Table, optional
            The tables or handles to keep alive (default: all).

        Returns
        -------
        dict
            The server's figures: version, uptime, peak memory, tables, cache, admission, executions, ingest.

        Raises
        ------
        ServerError
            ``NOT_FOUND`` for a handle that expired or is unknown.

        Examples
        --------
        >>> client.heartbeat()["peak_rss_bytes"]
        """
        return self._conn.action("heartbeat", {"tables": [t.name if isinstance(t, Table) else t for t in tables]})

    def append_records(self, records: Any) -> int:
        """Append ticks to the server's table ``ticks``.

        Parameters
        ----------
        records : polars.DataFrame, pyarrow.Table, pyarrow.RecordBatch or iterable
            Ticks with the columns ``seq, symbol, price, quantity, ts_ns`` (dicts, or tuples in that order).

        Returns
        -------
        int
            How many records the server acknowledged; acknowledged records survive a graceful shutdown.

        Raises
        ------
        ServerError
            ``INVALID_ARGUMENT`` naming a missing or unreadable column.

        Examples
        --------
        >>> client.append_records([(1, "AAPL", 190.5, 10, 1_700_000_000_000_000_000)])
        """
        return self._on_cursor(_append(records))

    def flush(self) -> dict[str, int]:
        """Wait until every acknowledged record is stored.

        Returns
        -------
        dict
            The ingest figures.

        Raises
        ------
        ServerError
            If the server cannot be reached.

        Examples
        --------
        >>> client.flush()["stored"]
        """
        return self._conn.action("flush")

    def close(self) -> None:
        """Close the connections (also at the end of a ``with`` block)."""
        self._conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Table:
    """A table or handle on the server, and a query being built on it, run by :meth:`collect` as SQL.

    Parameters
    ----------
    client : Client
        The client it belongs to.
    info : mapping
        The server's description of it (``name``, ``kind``, ``path``, ``columns``).
    columns : sequence of str, optional
        The columns the query selects (default: all).
    predicates : sequence of str, optional
        SQL conditions that all hold.
    limit : int, optional
        At most this many rows.

    Examples
    --------
    >>> client.read_parquet("trades.parquet").select(["symbol", "price"]).filter("price > 100").limit(5).collect()
    """

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
        """The columns the query selects."""
        return self._columns or list(self.info["columns"])

    def _with(self, **changes: Any) -> Table:
        state = {"columns": self._columns, "predicates": self._predicates, "limit": self._limit} | changes
        return Table(self._client, self.info, **state)

    def select(self, columns: Sequence[str]) -> Table:
        """Keep only these columns.

        Parameters
        ----------
        columns : sequence of str
            The columns, in the order wanted.

        Returns
        -------
        Table
            A new query; this one is unchanged.
        """
        return self._with(columns=list(columns))

    def filter(self, predicate: str) -> Table:
        """Keep the rows where a SQL condition holds.

        Parameters
        ----------
        predicate : str
            A SQL boolean expression, e.g. ``"price > 100"``; several filters all apply.

        Returns
        -------
        Table
            A new query; this one is unchanged.
        """
        return self._with(predicates=[*self._predicates, predicate])

    def limit(self, n: int) -> Table:
        """Keep at most ``n`` rows.

        Parameters
        ----------
        n : int
            The number of rows.

        Returns
        -------
        Table
            A new query; this one is unchanged.
        """
        return self._with(limit=int(n))

    def to_sql(self) -> str:
        """The SQL :meth:`collect` sends.

        Returns
        -------
        str
            The query.
        """
        columns = ", ".join(f'"{c}"' for c in self._columns) if self._columns else "*"
        sql = f"SELECT {columns} FROM {self.name}"
        if self._predicates:
            sql += " WHERE " + " AND ".join(f"({p})" for p in self._predicates)
        if self._limit is not None:
            sql += f" LIMIT {self._limit}"
        return sql

    def collect(self) -> pl.DataFrame:
        """Run the query.

        Returns
        -------
        polars.DataFrame
            The whole result.

        Raises
        ------
        ServerError
            As :meth:`Client.sql`.
        """
        return self._client.sql(self.to_sql())

    def drop(self) -> bool:
        """Release this table or handle on the server.

        Returns
        -------
        bool
            ``False`` if it was not registered.
        """
        return self._client.drop(self)

    def __repr__(self) -> str:
        return f"<polaroid.Table {self.name} ({self.info.get('kind')}, {self.info.get('path')}): {self.to_sql()}>"


def connect(url: str = DEFAULT_URL, *, token: str | None = None) -> Client:
    """Connect to a ``polaroid-server``, as PEP 249's and ADBC's ``connect`` do: a blocking client.

    Parameters
    ----------
    url : str
        The server's address, ``grpc://host:port``.
    token : str, optional
        Sent as ``authorization: Bearer <token>``.

    Returns
    -------
    Client
        The client; use it in a ``with`` block, or call :meth:`Client.close`. :func:`connect_async` returns the
        asyncio client.

    Examples
    --------
    >>> with polaroid.connect(server.url) as client:
    ...     client.sql("SELECT COUNT(*) FROM trades")
    """
    return Client(url, token=token)
