"""Running the benchmark: ``polaroid-bench run --progress jsonl`` as a child process, its events shown as they come.

In a notebook the progress is one display that is updated in place and ends as the run's final state (what the
saved notebook keeps); elsewhere it is one line per finished measurement on stderr. Ctrl-C (the notebook's
interrupt) or cancelling :func:`run_async`'s task sends the binary SIGINT: it kills the running measurement, keeps
every finished one in the result file and exits; the finished part is returned (or stays in the file).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

from polaroid import _native
from polaroid._binary import locate_binary
from polaroid._results import Run, load

# How long the binary may take to stop its measurement and write its file after SIGINT before it is killed.
_STOP_TIMEOUT_S = 60.0


def _options(overrides: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Python values as command-line options: True a flag, False/None left out, a sequence comma-separated."""
    options: list[tuple[str, str | None]] = []
    for name, value in overrides.items():
        if value is True:
            options.append((name, None))
        elif value is False or value is None:
            continue
        elif isinstance(value, (list, tuple)):
            options.append((name, ",".join(str(v) for v in value)))
        else:
            options.append((name, str(value)))
    return options


def _names(values: Sequence[str] | str | None) -> list[str]:
    return [values] if isinstance(values, str) else list(values or [])


def _die_with_parent() -> None:
    """In the child before exec: the binary gets SIGTERM if this Python process dies (even by kill -9), so no run
    outlives its kernel. Linux only; elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Progress:
    """Shows a run's events: an updated display in a notebook, lines on stderr elsewhere."""

    def __init__(self, argv: Sequence[str], notebook: bool):
        self.notebook = notebook
        self.total: int | None = None
        self.done = 0
        self.current: str | None = None
        self.lines: list[str] = []
        self.state = "starting"
        self.started = time.monotonic()
        self.handle = None
        if notebook:
            from IPython.display import display

            self.handle = display(self, display_id=True)
        else:
            print(f"polaroid: {' '.join(argv)}", file=sys.stderr)

    def event(self, raw: str) -> None:
        raw = raw.strip()
        if not raw:
            return
        try:
            event = json.loads(raw)
            line = _native.event_line(raw)
        except (ValueError, _native.PolaroidError):
            return  # not an event (the binary writes nothing else to stdout); never fail a run over display
        kind = event.get("event")
        if kind == "planned":
            self.total, self.done = event["total"], event["skipped"]
        elif kind == "started":
            self.current = event["key"]
        elif kind == "finished":
            self.done += 1
            self.current = None
        if line is not None:
            self.lines.append(line)
            if not self.notebook:
                print(line, file=sys.stderr, flush=True)
        self.state = "running"
        self._update()

    def finish(self, state: str) -> None:
        self.state = state
        self.current = None
        if not self.notebook:
            print(f"polaroid: {state}", file=sys.stderr, flush=True)
        self._update()

    def _update(self) -> None:
        if self.handle is not None:
            self.handle.update(self)

    def _head(self) -> str:
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        elapsed = time.monotonic() - self.started
        now = f"; now {self.current}" if self.current else ""
        return f"polaroid run: {count} measurements, {elapsed:.0f} s, {self.state}{now}"

    def __repr__(self) -> str:
        return "\n".join([self._head(), *self.lines])

    def _repr_html_(self) -> str:
        body = html.escape("\n".join(self.lines))
        return (f'<div class="polaroid-progress"><div style="font-weight:bold">{html.escape(self._head())}</div>'
                f'<pre style="max-height:18em;overflow:auto;margin:0.3em 0">{body}</pre></div>')


def _finished(code: int, out: Path, stderr: list[str], argv: list[str], progress: _Progress, interrupted: bool) -> Run:
    # Exit codes mean what they mean to every front end (polaroid_results::launch): a failed run raises with the
    # binary's own error line; exit 3 (a failed measurement) is a finished run.
    try:
        interrupted = _native.run_interrupted(None if code < 0 else code, "\n".join(stderr)) or interrupted
    except _native.PolaroidError:
        progress.finish(f"failed (exit {code})")
        raise
    if not out.exists():
        progress.finish("interrupted before any measurement finished")
        raise _native.PolaroidError(f"the run was interrupted before any measurement finished; nothing was written to {out}")
    run = load(out)
    run.interrupted, run.command = interrupted, argv
    state = f"{'interrupted' if interrupted else 'finished'}: {run.measurements} measurements"
    state += f", {run.failures} failed; results in {out}"
    if interrupted:
        state += f" (finish it with polaroid.run(out={str(out)!r}, resume=True, ...))"
    progress.finish(state)
    if run.failures:
        warnings.warn(f"{run.failures} measurement(s) failed with an error or a wrong answer; see run.rows()", stacklevel=3)
    return run


def _prepare(suite: str, workloads: Any, engines: Any, runs: int | None, out: Any, resume: bool, binary: Any,
             overrides: dict[str, Any]) -> tuple[list[str], Path]:
    exe = locate_binary(binary)
    args, out_path = _native.run_argv(suite, _names(workloads), _names(engines), runs,
                                      None if out is None else Path(out), resume, _options(overrides))
    return [str(exe), *args], Path(out_path)


def run(suite: str = "smoke", workloads: Sequence[str] | str | None = None, engines: Sequence[str] | str | None = None,
        runs: int | None = None, out: str | os.PathLike[str] | None = None, resume: bool = False,
        binary: str | os.PathLike[str] | None = None, **overrides: Any) -> Run:
    """Run the benchmark and return what it measured.

    Ctrl-C (the notebook's interrupt) stops the run: the running measurement is killed, the finished ones are
    returned with ``interrupted=True``.

    Parameters
    ----------
    suite : {"smoke", "default", "large"} or a workload file's path, default "smoke"
        The datasets' size: smoke takes seconds per workload. A path ending in ``.toml`` runs that workload file
        instead (your Parquet tables and SQL queries on every engine; docs/workload-files.md).
    workloads : str or sequence of str, optional
        Workload names from :func:`polaroid.workloads`, or workload files (default: all built-in workloads).
    engines : str or sequence of str, optional
        Variant names (default: each workload's own).
    runs : int, optional
        Timed runs per process.
    out : str or os.PathLike, optional
        The result file (default ``polaroid-results/<suite>-<UTC time>.json``).
    resume : bool, default False
        Finish the stopped run in ``out``.
    binary : str or os.PathLike, optional
        The ``polaroid-bench`` binary (default: :func:`polaroid.locate_binary`).
    **overrides
        Any other ``polaroid-bench run`` option: ``processes=3``, ``memory_cap="1GiB"``, ``clients=[1, 10]``,
        ``latency_ms=[0, 20]`` (tables read through the S3 server), ``no_calibrate=True``.

    Returns
    -------
    Run
        The result document (also written to ``out``).

    Raises
    ------
    PolaroidError
        If the binary is not found, refuses the options, or fails (the message is its own error line).

    Examples
    --------
    >>> run = polaroid.run()                      # the smoke suite, live progress
    >>> run = polaroid.run("default", workloads=["batch-read"], processes=3)
    >>> run = polaroid.run("my-workload.toml")    # your tables and queries, every engine
    """
    argv, out_path = _prepare(suite, workloads, engines, runs, out, resume, binary, overrides)
    progress = _Progress(argv, _in_notebook())
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, bufsize=1, preexec_fn=_die_with_parent)
    except OSError as e:
        raise _native.PolaroidError(f"cannot start {argv[0]}: {e}") from e
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(l.rstrip("\n") for l in proc.stderr), daemon=True)
    reader.start()
    interrupted = False
    try:
        for raw in proc.stdout:
            progress.event(raw)
        code = proc.wait()
    except KeyboardInterrupt:
        interrupted = True
        code = _stop(proc)
    reader.join(timeout=5)
    return _finished(code, out_path, stderr, argv, progress, interrupted)


def _stop(proc: subprocess.Popen) -> int:
    """SIGINT, as Ctrl-C in a terminal would send: the binary kills its measurement and writes its file."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


async def run_async(suite: str = "smoke", workloads: Sequence[str] | str | None = None,
                    engines: Sequence[str] | str | None = None, runs: int | None = None,
                    out: str | os.PathLike[str] | None = None, resume: bool = False,
                    binary: str | os.PathLike[str] | None = None, **overrides: Any) -> Run:
    """Run the benchmark without blocking the event loop (``await polaroid.run_async()`` in a notebook cell).

    Cancelling the task stops the run the way Ctrl-C does (the measurements finished so far stay in ``out``) and
    raises ``asyncio.CancelledError`` as cancelled tasks do.

    Parameters
    ----------
    suite : {"smoke", "default", "large"}, default "smoke"
        As :func:`run`.
    workloads : str or sequence of str, optional
        As :func:`run`.
    engines : str or sequence of str, optional
        As :func:`run`.
    runs : int, optional
        As :func:`run`.
    out : str or os.PathLike, optional
        As :func:`run`.
    resume : bool, default False
        As :func:`run`.
    binary : str or os.PathLike, optional
        As :func:`run`.
    **overrides
        As :func:`run`.

    Returns
    -------
    Run
        The result document.

    Raises
    ------
    PolaroidError
        As :func:`run`.
    """
    argv, out_path = _prepare(suite, workloads, engines, runs, out, resume, binary, overrides)
    progress = _Progress(argv, _in_notebook())
    try:
        proc = await asyncio.create_subprocess_exec(*argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    except OSError as e:
        raise _native.PolaroidError(f"cannot start {argv[0]}: {e}") from e
    stderr: list[str] = []

    async def collect() -> None:
        async for raw in proc.stderr:
            stderr.append(raw.decode(errors="replace").rstrip("\n"))

    collector = asyncio.ensure_future(collect())
    try:
        async for raw in proc.stdout:
            progress.event(raw.decode(errors="replace"))
        code = await proc.wait()
        await collector
    except asyncio.CancelledError:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.shield(asyncio.wait_for(proc.wait(), _STOP_TIMEOUT_S))
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
        progress.finish(f"cancelled; finished measurements are in {out_path}")
        raise
    return _finished(code, out_path, stderr, argv, progress, False)
