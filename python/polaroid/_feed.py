"""Starting the benchmark's tick feed from Python: :func:`start_feed` and the :class:`Feed` process it returns."""

from __future__ import annotations

import os
from typing import Sequence

from polaroid._binary import locate_binary
from polaroid._process import Announced, start_announced


class Feed(Announced):
    """A ``polaroid-bench feed`` process this Python started (:func:`start_feed`): a WebSocket server on 127.0.0.1
    that replays trades, each message carrying its send time (docs/methodology.md, "The tick feed").

    ``url`` is its address, ``ws://127.0.0.1:<port>/feed``; connect to ``url + "?conn=<i>"`` for connection ``i``.
    It exits by itself after ``sessions`` sessions (:meth:`wait`), or is stopped by :meth:`stop`.

    Parameters
    ----------
    process : subprocess.Popen
        The process.
    url : str
        The address it announced.
    """


def start_feed(suite: str = "smoke", *, rate: float | None = None, ticks: int | None = None,
               sessions: int | None = 1, connections: int = 1, port: int = 0, args: Sequence[str] = (),
               binary: str | os.PathLike[str] | None = None) -> Feed:
    """Start the tick feed (``polaroid-bench feed``) and return once it accepts connections.

    Parameters
    ----------
    suite : {"smoke", "default", "large"}, default "smoke"
        Whose streaming dataset to replay (generated on first use, as a run does).
    rate : float, optional
        Ticks per second over all connections (default: unpaced, as fast as the client reads).
    ticks : int, optional
        Trades per session (default: all of the dataset's).
    sessions : int or None, default 1
        Sessions to serve before exiting (None: until stopped).
    connections : int, default 1
        Connections per session; trades are split over them by symbol.
    port : int, default 0
        The port on 127.0.0.1; 0 picks a free one.
    args : sequence of str, optional
        More options, passed on (``polaroid-bench feed --help``: ``--input``, ``--seed``, ...).
    binary : str or os.PathLike, optional
        The ``polaroid-bench`` binary (default: :func:`polaroid.locate_binary`).

    Returns
    -------
    Feed
        The running feed; ``feed.url`` is its address.

    Raises
    ------
    PolaroidError
        If the binary is not found, or the feed did not start (the message is its own error).

    Examples
    --------
    >>> with polaroid.start_feed(rate=5_000, ticks=10_000) as feed:
    ...     async with websockets.connect(feed.url + "?conn=0") as ws:
    ...         first = await ws.recv()
    """
    argv = [str(locate_binary(binary)), "feed", "--suite", suite, "--connections", str(connections), "--port", str(port)]
    if rate is not None:
        argv += ["--rate", str(rate)]
    if ticks is not None:
        argv += ["--ticks", str(ticks)]
    if sessions is not None:
        argv += ["--sessions", str(sessions)]
    argv += list(args)
    process, url = start_announced(argv, "polaroid-bench feed")
    return Feed(process, url)
