"""Starting ``polaroid-server`` from Python: :func:`serve` and the :class:`Server` process it returns."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path
from typing import Mapping, Sequence

from polaroid import _native
from polaroid._process import Announced, start_announced


def locate_server(binary: str | os.PathLike[str] | None = None) -> Path:
    """Find the ``polaroid-server`` binary, as :func:`polaroid.locate_binary` finds ``polaroid-bench``.

    Parameters
    ----------
    binary : str or os.PathLike, optional
        This binary; else ``$POLAROID_SERVER_BIN``, else ``polaroid-server`` on ``PATH`` or in this environment's
        scripts directory, else a checkout's release build (``$CARGO_TARGET_DIR`` or ``~/.cache/polaroid/target``).

    Returns
    -------
    pathlib.Path
        The binary.

    Raises
    ------
    PolaroidError
        Naming every place looked at and how to build one.

    Examples
    --------
    >>> polaroid.locate_server()
    PosixPath('/home/me/.cache/polaroid/target/release/polaroid-server')
    """
    scripts = Path(sysconfig.get_path("scripts")) / "polaroid-server"
    return Path(_native.locate(None if binary is None else Path(binary), [scripts], "polaroid-server"))


class Server(Announced):
    """A ``polaroid-server`` process this Python started (:func:`serve`).

    Stopped by :meth:`stop` (SIGTERM: running calls drain, nothing acknowledged is lost) or at the end of a
    ``with`` block; :meth:`kill` loses records not yet stored. ``url`` is its address,
    ``grpc://127.0.0.1:<port>``; ``log`` holds what it wrote on stderr.

    Parameters
    ----------
    process : subprocess.Popen
        The process.
    url : str
        The address it announced.
    """


def serve(tables: Mapping[str, str | os.PathLike[str]] | None = None, *, port: int = 0, token: str | None = None,
          flush_to: str | os.PathLike[str] | None = None, args: Sequence[str] = (), binary: str | os.PathLike[str] | None = None) -> Server:
    """Start ``polaroid-server serve`` on 127.0.0.1 and return once it accepts calls.

    Parameters
    ----------
    tables : mapping of str to path, optional
        Tables to register at start: a Parquet file (loaded), a directory or a glob (scanned per query).
    port : int, default 0
        The port; 0 picks a free one.
    token : str, optional
        Require ``authorization: Bearer <token>`` on every call.
    flush_to : str or os.PathLike, optional
        Where appended ticks are written at shutdown (Parquet).
    args : sequence of str, optional
        More options, passed on (``polaroid-server serve --help``: ``--query-timeout-secs``, ``--memory-limit-mib``, ...).
    binary : str or os.PathLike, optional
        The binary to run (default: :func:`locate_server`).

    Returns
    -------
    Server
        The running server; ``server.url`` is its address.

    Raises
    ------
    PolaroidError
        If the binary is not found, or the server did not start (the message is the server's own error).

    Examples
    --------
    >>> with polaroid.serve({"trades": "data/trades.parquet"}) as server:
    ...     polaroid.connect(server.url).sql("SELECT COUNT(*) FROM trades")
    """
    argv = [str(locate_server(binary)), "serve", "--port", str(port)]
    for name, path in (tables or {}).items():
        argv += ["--table", f"{name}={path}"]
    if flush_to is not None:
        argv += ["--flush-to", str(flush_to)]
    argv += list(args)
    env = dict(os.environ)
    if token is not None:
        env["POLAROID_TOKEN"] = token
    process, url = start_announced(argv, "polaroid-server", env)
    return Server(process, url)
