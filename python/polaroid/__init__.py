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
>>> polaroid.render("VWAP: <!--fig r KEY median--><!--/fig-->", results={"r": run})  # prose bound to the run

The engine also runs as a server (``polaroid-server``, Arrow Flight SQL): :func:`serve` starts one, :func:`connect`
returns a blocking :class:`Client` (as PEP 249's ``connect`` does) and :func:`connect_async` an :class:`AsyncClient`
(``pip install polaroid[server]``). :func:`start_feed` starts the benchmark's WebSocket tick feed. Every
exception polaroid raises is a :class:`PolaroidError` (:mod:`polaroid.exceptions`).
"""

from polaroid.exceptions import PolaroidError, ServerError
from polaroid._binary import locate_binary
from polaroid._results import Chart, Charts, Comparison, History, Markdown, Run, Workloads, compare, history, load, render, workloads
from polaroid._run import run, run_async
from polaroid._client import Client, Table, connect
from polaroid._async_client import AsyncClient, Err, Ok, connect_async
from polaroid._server import Server, locate_server, serve
from polaroid._feed import Feed, start_feed

__all__ = [
    "AsyncClient",
    "Client",
    "Err",
    "Feed",
    "Ok",
    "Server",
    "ServerError",
    "Table",
    "connect",
    "connect_async",
    "locate_server",
    "serve",
    "start_feed",
    "Chart",
    "Charts",
    "Comparison",
    "History",
    "Markdown",
    "PolaroidError",
    "Run",
    "Workloads",
    "compare",
    "history",
    "load",
    "render",
    "locate_binary",
    "run",
    "run_async",
    "workloads",
]
