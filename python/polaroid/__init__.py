"""Run, see and compare polaroid benchmarks from Python and Jupyter.

polaroid measures idiomatic Polars variants and the polaroid async engine on the same Parquet files, each
measurement in its own process of the ``polaroid-bench`` binary, with answers cross-checked before timings count.
This package drives that binary and shows what it measured; the statistics, charts and reports come from the same
Rust library the CLI uses.

>>> import polaroid
>>> run = polaroid.run()                       # the smoke suite, live progress, a few minutes
>>> run                                        # in a notebook: the report with its charts
>>> run.to_polars()                            # one row per measurement
>>> polaroid.compare("base.json", "new.json")  # what the CI gate would say

The engine also runs as a server (``polaroid-server``, Arrow Flight SQL): :func:`serve` starts one, :func:`connect`
is its asyncio client and :class:`Client` its blocking one (``pip install polaroid[server]``).
"""

from polaroid._native import PolaroidError
from polaroid._binary import locate_binary
from polaroid._results import Chart, Charts, Comparison, History, Run, Workloads, compare, history, load, workloads
from polaroid._run import run, run_async
from polaroid._client import AsyncClient, Client, Err, Ok, Server, ServerError, Table, connect, locate_server, serve

__all__ = [
    "AsyncClient",
    "Client",
    "Err",
    "Ok",
    "Server",
    "ServerError",
    "Table",
    "connect",
    "locate_server",
    "serve",
    "Chart",
    "Charts",
    "Comparison",
    "History",
    "PolaroidError",
    "Run",
    "Workloads",
    "compare",
    "history",
    "load",
    "locate_binary",
    "run",
    "run_async",
    "workloads",
]
