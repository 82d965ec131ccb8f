"""Results as Python objects: a run, its rows, charts and report; a comparison; a history; the catalog.

Each object is a thin wrapper over the native module (crate ``polaroid-results``): the figures, verdicts, charts and
HTML come from Rust, the same code the CLI's ``report`` and ``compare`` run. Every object displays itself in a
notebook (``_repr_mimebundle_``: an HTML fragment whose CSS is scoped to its own root element, plain text, JSON).
"""

from __future__ import annotations

import html
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from polaroid import _native
from polaroid._binary import locate_binary
from polaroid.exceptions import PolaroidError

@dataclass(frozen=True)
class Chart:
    """One chart: its file stem, what it shows, and the SVG document (displays inline).

    Parameters
    ----------
    name : str
        The file stem (``charts/<name>.svg`` in a report).
    caption : str
        What it shows.
    svg : str
        The SVG document.
    """

    name: str
    caption: str
    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/svg+xml": self.svg, "text/plain": f"<Chart {self.name}: {self.caption}>"}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the SVG to a file.

        Parameters
        ----------
        path : str or os.PathLike
            The file.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        p = Path(path)
        p.write_text(self.svg, encoding="utf-8")
        return p


class Charts(list):
    """A list of :class:`Chart` that displays as the charts, each with its caption.

    Parameters
    ----------
    iterable : iterable of Chart, optional
        The charts.
    """

    def _repr_html_(self) -> str:
        return "".join(
            f'<figure style="margin:0 0 1em 0">{c.svg}<figcaption>{html.escape(c.caption)}</figcaption></figure>'
            for c in self
        )

    def __repr__(self) -> str:
        return "Charts([" + ", ".join(c.name for c in self) + "])"


class Run:
    """A result document: what one ``polaroid-bench run`` measured.

    Made by :func:`polaroid.run` or :func:`polaroid.load`, not called directly.

    Parameters
    ----------
    native : object
        The document as the native module holds it.
    path : pathlib.Path or None
        The result file.
    interrupted : bool, default False
        True when the run was stopped before it finished: the measurements made until then are here, and
        ``polaroid.run(out=..., resume=True)`` finishes it.
    command : sequence of str, optional
        The command line that made it.
    """

    def __init__(self, native: Any, path: Path | None, *, interrupted: bool = False, command: Sequence[str] = ()):
        self._native = native
        self.path = path
        self.interrupted = interrupted
        self.command = list(command)

    @property
    def measurements(self) -> int:
        """Measurements in the document."""
        return self._native.measurements

    @property
    def failures(self) -> int:
        """Measurements that failed with an error or a wrong answer."""
        return self._native.failures

    def rows(self) -> list[dict[str, Any]]:
        """Return one dict per measurement.

        Each has: key, workload, task, variant, role, sweep parameters, outcome, unit, median,
        its 95% interval, processes, p50/p99 latency, peak RSS and the cap, ratio to the best, verdict (``wins``, ``tie``,
        ``behind``, ``limit``) and fraction of the calibrated decode limit.

        Returns
        -------
        list of dict
            The rows, in the document's order.
        """
        return json.loads(self._native.rows_json())

    def to_polars(self) -> Any:
        """Return the rows as a polars DataFrame.

        Returns
        -------
        polars.DataFrame
            One row per measurement, with typed columns.
        """
        import polars as pl

        schema = {
            "key": pl.String, "workload": pl.String, "task": pl.String, "variant": pl.String, "role": pl.String,
            "size": pl.String, "latency_ms": pl.UInt64, "clients": pl.UInt64, "connections": pl.UInt64,
            "rate_per_s": pl.Float64, "unpaced": pl.Boolean, "outcome": pl.String, "unit": pl.String,
            "median": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "processes": pl.UInt32,
            "p50_ns": pl.UInt64, "p99_ns": pl.UInt64, "peak_rss_bytes": pl.UInt64, "memory_cap_bytes": pl.UInt64,
            "vs_best": pl.Float64,
            "verdict": pl.String, "of_limit": pl.Float64, "instructions": pl.Float64,
        }
        return pl.DataFrame(self.rows(), schema=schema)

    def charts(self) -> Charts:
        """Return the charts the report shows.

        Returns
        -------
        Charts
            Medians with intervals, scaling, memory timelines, latency CDFs.
        """
        return Charts(Chart(n, c, s) for n, c, s in self._native.charts())

    def summary(self) -> str:
        """Return the summary table the CLI prints at the end of a run.

        Returns
        -------
        str
            The table, as text.
        """
        return self._native.summary()

    def report(self, out_dir: str | os.PathLike[str], title: str = "polaroid benchmark report") -> Path:
        """Write the report: index.md, a self-contained index.html and charts/*.svg.

        Parameters
        ----------
        out_dir : str or os.PathLike
            The directory (created if missing).
        title : str, default "polaroid benchmark report"
            The report's title.

        Returns
        -------
        pathlib.Path
            index.html.
        """
        out = Path(out_dir)
        self._native.write_report(out, title, self._command_text())
        return out / "index.html"

    def to_json(self) -> dict[str, Any]:
        """Return the whole document (schema 2) as Python data.

        Returns
        -------
        dict
            The document.
        """
        return json.loads(self._native.to_json())

    def _command_text(self) -> str:
        if self.command:
            return " ".join(self.command)
        return f"polaroid.load({str(self.path)!r})" if self.path else "polaroid"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        title = f"polaroid run: {self._native.label}" + (" (interrupted)" if self.interrupted else "")
        return {
            "text/html": self._native.fragment(title, self._command_text()),
            "text/plain": repr(self) + "\n" + self.summary(),
            "application/json": {"path": str(self.path), "measurements": self.measurements, "failures": self.failures,
                                 "interrupted": self.interrupted},
        }

    def __repr__(self) -> str:
        state = ", interrupted" if self.interrupted else ""
        return f"<polaroid.Run {self.path}: {self.measurements} measurements, {self.failures} failed{state}>"


def load(path: str | os.PathLike[str]) -> Run:
    """Read a result file written by ``polaroid-bench run``.

    Parameters
    ----------
    path : str or os.PathLike
        The file, ``.json`` or gzip-compressed (schema 1 is upgraded).

    Returns
    -------
    Run
        The run.

    Raises
    ------
    PolaroidError
        If the file cannot be read, is not a result document, or has a schema this version does not read.

    Examples
    --------
    >>> run = polaroid.load("polaroid-results/smoke.json")
    >>> run.to_polars()
    """
    p = Path(path)
    return Run(_native.load(p), p)


def _run_of(x: Run | str | os.PathLike[str]) -> Run:
    return x if isinstance(x, Run) else load(x)


class Comparison:
    """Two runs compared by the rule the CI gate uses (``polaroid-bench compare``): per measurement, a t-test on
    per-process medians, Holm-adjusted over the comparison, an interval clear of no change and a change beyond the
    noise floor; anything else is unchanged.

    Made by :func:`polaroid.compare`, not called directly.

    Parameters
    ----------
    native : object
        The comparison as the native module holds it.
    """

    def __init__(self, native: Any):
        self._native = native
        # The comparison is immutable: its rows are read from Rust once.
        self._rows: list[dict[str, Any]] = json.loads(native.to_json())["rows"]

    @property
    def fails(self) -> bool:
        """Whether the gate fails (by ``fail_on``)."""
        return self._native.fails

    @property
    def exit_code(self) -> int:
        """The exit code ``polaroid-bench compare`` gives: 0 pass, 1 time regression, 3 memory regression only."""
        return self._native.exit_code

    @property
    def gate_line(self) -> str:
        """The gate's verdict in one line."""
        return self._native.gate_line

    @property
    def warnings(self) -> list[str]:
        """What makes the comparison weaker (different machines, untestable measurements)."""
        return list(self._native.warnings)

    @property
    def markdown(self) -> str:
        """Markdown for a pull-request comment."""
        return self._native.markdown()

    def rows(self) -> list[dict[str, Any]]:
        """Return one dict per measurement key.

        Returns
        -------
        list of dict
            Verdict, outcomes, and the time and memory changes with their tests.
        """
        return self._rows

    @property
    def regressions(self) -> list[dict[str, Any]]:
        """The rows whose verdict is ``regressed``."""
        return [r for r in self.rows() if r["verdict"] == "regressed"]

    def to_polars(self) -> Any:
        """Return the comparison as a polars DataFrame.

        Returns
        -------
        polars.DataFrame
            One row per measurement: key, verdict, and per quantity (time, memory) base and new medians, change,
            its 95% interval, adjusted p-value and verdict.
        """
        import polars as pl

        flat = []
        for r in self.rows():
            row: dict[str, Any] = {"key": r["key"], "verdict": r["verdict"], "outcome_base": r["outcomes"][0],
                                   "outcome_new": r["outcomes"][1]}
            for q in ("time", "memory"):
                c = r.get(q) or {}
                t = c.get("test") or {}
                row |= {f"{q}_unit": c.get("unit"), f"{q}_base": c.get("base_median"), f"{q}_new": c.get("new_median"),
                        f"{q}_change": (c["slowdown"] - 1.0) if c else None,
                        f"{q}_ci_low": (t["ci_low"] - 1.0) if t else None,
                        f"{q}_ci_high": (t["ci_high"] - 1.0) if t else None,
                        f"{q}_p_adjusted": c.get("adjusted_p"), f"{q}_verdict": c.get("verdict")}
            flat.append(row)
        schema = {"key": pl.String, "verdict": pl.String, "outcome_base": pl.String, "outcome_new": pl.String}
        for q in ("time", "memory"):
            schema |= {f"{q}_unit": pl.String, f"{q}_base": pl.Float64, f"{q}_new": pl.Float64,
                       f"{q}_change": pl.Float64, f"{q}_ci_low": pl.Float64, f"{q}_ci_high": pl.Float64,
                       f"{q}_p_adjusted": pl.Float64, f"{q}_verdict": pl.String}
        return pl.DataFrame(flat, schema=schema)

    def chart(self) -> Chart | None:
        """Return the chart of each measurement's change with its interval, coloured by verdict.

        Returns
        -------
        Chart or None
            The chart; ``None`` when nothing was timed.
        """
        svg = self._native.change_chart()
        return None if svg is None else Chart("change", "change per measurement", svg)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._native.fragment(), "text/plain": self.markdown,
                "application/json": {"fails": self.fails, "exit_code": self.exit_code, "gate": self.gate_line}}

    def __repr__(self) -> str:
        return f"<polaroid.Comparison: {self.gate_line}>"


def compare(base: Run | str | os.PathLike[str], new: Run | str | os.PathLike[str], noise_floor: float = 0.05,
            fail_on: str = "time", noise: str | os.PathLike[str] | None = None) -> Comparison:
    """Compare two runs the way ``polaroid-bench compare`` (the CI gate) does.

    Parameters
    ----------
    base : Run, str or os.PathLike
        The baseline run, or its result file.
    new : Run, str or os.PathLike
        The run to judge.
    noise_floor : float, default 0.05
        Changes smaller than this fraction are never regressions.
    fail_on : {"time", "memory", "any", "none"}, default "time"
        What fails the gate.
    noise : str or os.PathLike, optional
        A ``noise.json`` from ``polaroid-bench noise``, for per-measurement floors.

    Returns
    -------
    Comparison
        The verdicts; ``fails`` and ``exit_code`` are the gate's.

    Raises
    ------
    PolaroidError
        If a file does not load, the runs cannot be compared, or an option is out of range.

    Examples
    --------
    >>> c = polaroid.compare("base.json", "new.json")
    >>> c.gate_line, c.regressions()
    """
    b, n = _run_of(base), _run_of(new)
    return Comparison(_native.compare_runs(b._native, n._native, noise_floor, fail_on,
                                           None if noise is None else Path(noise)))


class History:
    """Per-task trends over the result files of a directory (:func:`polaroid.history`).

    Parameters
    ----------
    fragment : str
        The HTML it displays as.
    charts : list of (str, str)
        Chart names and SVG documents.
    runs : int
        Result files read.
    skipped : list of str
        Files that were not results, with the reason.
    """

    def __init__(self, fragment: str, charts: list[tuple[str, str]], runs: int, skipped: list[str]):
        self._fragment = fragment
        self.charts = Charts(Chart(n.removesuffix(".svg"), n.removesuffix(".svg"), s) for n, s in charts)
        self.runs = runs
        self.skipped = skipped

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._fragment, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"<polaroid.History: {self.runs} runs, {len(self.charts)} charts, {len(self.skipped)} files skipped>"


def history(directory: str | os.PathLike[str]) -> History:
    """Read the history of every result file in a directory.

    Parameters
    ----------
    directory : str or os.PathLike
        The directory; files that are not results are skipped and listed.

    Returns
    -------
    History
        Per-task trends, displayed as charts.

    Raises
    ------
    PolaroidError
        If the directory holds no result file.
    """
    return History(*_native.history_of(Path(directory), f"polaroid.history({str(directory)!r})"))


class Markdown:
    """Markdown whose bound figures were filled from result files (:func:`polaroid.render`); a notebook shows it
    rendered, ``str()`` gives the text.

    Parameters
    ----------
    text : str
        The Markdown.
    """

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/markdown": self.text, "text/plain": self.text}

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<polaroid.Markdown: {len(self.text)} characters>"


def render(markdown: str, *, results: dict[str, Run | str | os.PathLike[str]] | None = None,
           directory: str | os.PathLike[str] = ".") -> Markdown:
    """Fill the figures a Markdown text binds to result files.

    A figure is written between ``<!--fig NAME KEY STAT-->`` and ``<!--/fig-->``: the statistic ``STAT`` (``median``,
    ``ci``, ``peak-rss``, ``ratio=KEY``, ``verdict=KEY``, ... ; docs/render.md lists them) of the measurement ``KEY`` in
    the result file named ``NAME``. Markdown does not show the comments, so the rendered text is its own template.
    ``polaroid-bench render --check`` later fails where a figure no longer says what its file says.

    Parameters
    ----------
    markdown : str
        The text, e.g. a paragraph about a run made in this notebook.
    results : dict of str to Run or path, optional
        Names for result files, as ``<!--results NAME=PATH-->`` lines in the text give them: a :class:`Run` (its
        file) or a path.
    directory : str or os.PathLike, default "."
        What ``<!--results NAME=PATH-->`` paths in the text are relative to.

    Returns
    -------
    Markdown
        The text with its figures, displayed as Markdown in a notebook.

    Raises
    ------
    PolaroidError
        If a binding is malformed, names a file or a measurement that does not exist, or a statistic the
        measurement does not have; the message gives the line and what to write.

    Examples
    --------
    >>> run = polaroid.run(workload="batch-read")
    >>> polaroid.render("load-all took <!--fig r batch-read/load-all/smoke/polaroid median--><!--/fig-->.",
    ...                 results={"r": run})
    """
    names = ""
    for name, source in (results or {}).items():
        path = source.path if isinstance(source, Run) else Path(source)
        if path is None:
            raise PolaroidError(f"results[{name!r}] is a Run with no result file; polaroid.run(out=...) writes one")
        names += f"<!--results {name}={Path(path).resolve()}-->"
    # The names go after the text, so the lines an error names are the text's own.
    suffix = f"\n{names}" if names else ""
    rendered = _native.render_markdown(Path(directory) / "notebook.md", markdown + suffix)
    return Markdown(rendered[: len(rendered) - len(suffix)] if suffix else rendered)


class Workloads:
    """What the binary can measure: workloads, their tasks, variants (with roles), sizes and sweeps.

    Parameters
    ----------
    catalog : dict
        ``polaroid-bench list --format json``.
    """

    def __init__(self, catalog: dict[str, Any]):
        self.catalog = catalog

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.catalog["workloads"])

    def names(self) -> list[str]:
        """Return the workload names.

        Returns
        -------
        list of str
            In run order.
        """
        return [w["name"] for w in self]

    def variants(self) -> list[str]:
        """Return every variant name (each with its role in ``catalog["variants"]``).

        Returns
        -------
        list of str
            The names.
        """
        return [v["name"] for v in self.catalog["variants"]]

    def __repr__(self) -> str:
        return _native.catalog_text(json.dumps(self.catalog))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": repr(self), "application/json": self.catalog}


def workloads(binary: str | os.PathLike[str] | None = None) -> Workloads:
    """Read what the ``polaroid-bench`` binary can measure (``polaroid-bench list --format json``).

    Parameters
    ----------
    binary : str or os.PathLike, optional
        The binary (default: :func:`polaroid.locate_binary`).

    Returns
    -------
    Workloads
        The catalog.

    Raises
    ------
    PolaroidError
        If the binary is not found or fails.
    """
    exe = locate_binary(binary)
    done = subprocess.run([str(exe), "list", "--format", "json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise _native.PolaroidError(f"{exe} list failed: {done.stderr.strip()}")
    return Workloads(json.loads(done.stdout))
