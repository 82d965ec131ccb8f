"""The Python API on a real smoke run: rows, data frames, charts, reports, displays, comparisons, history, catalog."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

import polaroid
from conftest import REPO


def test_a_smoke_run_has_every_workload_with_checked_answers(smoke_run: polaroid.Run) -> None:
    rows = smoke_run.rows()
    assert {r["workload"] for r in rows} == set(polaroid.workloads().names())
    assert smoke_run.failures == 0 and not smoke_run.interrupted
    finished = [r for r in rows if r["outcome"] == "ok"]
    assert finished and all(r["median"] > 0 and r["ci_low"] <= r["median"] <= r["ci_high"] for r in finished)
    # Every task has a standing by the gate's rule: a winner or a tie, never a winner inside the noise.
    assert {r["verdict"] for r in finished} <= {"wins", "tie", "behind", "limit"}


def test_to_polars_has_one_typed_row_per_measurement(smoke_run: polaroid.Run) -> None:
    df = smoke_run.to_polars()
    assert df.height == smoke_run.measurements == len(smoke_run.rows())
    assert df.schema["median"] == pl.Float64 and df.schema["peak_rss_bytes"] == pl.UInt64
    assert df.schema["clients"] == pl.UInt64 and df.schema["unpaced"] == pl.Boolean
    assert df.filter(pl.col("workload") == "concurrent-query")["clients"].null_count() == 0
    assert df["key"].n_unique() == df.height


def test_charts_are_svg_documents_with_their_series(smoke_run: polaroid.Run) -> None:
    charts = smoke_run.charts()
    assert len(charts) >= 4
    for c in charts:
        root = ET.fromstring(c.svg)
        assert root.tag.endswith("svg"), c.name
        assert c._repr_mimebundle_()["image/svg+xml"] == c.svg
    html = charts._repr_html_()
    assert html.count("<svg") == len(charts)


def test_the_display_is_a_scoped_fragment_without_scripts(smoke_run: polaroid.Run) -> None:
    bundle = smoke_run._repr_mimebundle_()
    fragment = bundle["text/html"]
    assert 'class="polaroid-report"' in fragment and "<script" not in fragment
    # No rule may escape the fragment's root: every selector starts with the root class.
    for rule in fragment.split("<style>")[1].split("</style>")[0].split("}"):
        selector = rule.split("{")[0].strip()
        if selector:
            assert all(s.strip().startswith(".polaroid-report") for s in selector.split(",")), selector
    assert smoke_run.summary() in bundle["text/plain"]
    assert bundle["application/json"]["measurements"] == smoke_run.measurements


def test_report_writes_the_same_files_as_the_cli(smoke_run: polaroid.Run, tmp_path: Path, binary: Path) -> None:
    index = smoke_run.report(tmp_path / "py")
    assert index.name == "index.html" and index.read_text().startswith("<!DOCTYPE html>")
    subprocess.run([str(binary), "report", str(smoke_run.path), "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    py = sorted(p.name for p in (tmp_path / "py" / "charts").glob("*.svg"))
    cli = sorted(p.name for p in (tmp_path / "cli" / "charts").glob("*.svg"))
    assert py == cli and py


def test_load_reads_what_run_wrote_and_gzip(smoke_run: polaroid.Run, tmp_path: Path) -> None:
    again = polaroid.load(smoke_run.path)
    assert again.rows() == smoke_run.rows()
    gz = tmp_path / "r.json.gz"
    subprocess.run(["gzip", "-c", str(smoke_run.path)], check=True, stdout=gz.open("wb"))
    assert polaroid.load(gz).rows() == smoke_run.rows()


def test_the_committed_default_result_loads(tmp_path: Path) -> None:
    run = polaroid.load(REPO / "reports/default-processes-2026-11-25/result.json.gz")
    df = run.to_polars()
    assert set(df["workload"]) == {"batch-read", "concurrent-query", "large-dataset", "streaming"}
    # Several processes per measurement: the verdicts are tested, so wins, ties and losses all occur.
    assert {"wins", "tie", "behind"} <= set(df["verdict"].drop_nulls())
    assert run.report(tmp_path).exists()


def test_a_run_compared_with_itself_passes(smoke_run: polaroid.Run) -> None:
    c = polaroid.compare(smoke_run, smoke_run.path)
    assert not c.fails and c.exit_code == 0 and c.regressions == []
    df = c.to_polars()
    assert df.height == smoke_run.measurements
    assert set(df["verdict"]) <= {"unchanged", "untested"}
    assert "no significant regression" in c.markdown
    assert 'class="polaroid-report"' in c._repr_mimebundle_()["text/html"]


def test_the_committed_slowdown_pair_fails_the_gate_like_the_cli(binary: Path) -> None:
    base, new = (REPO / f"reports/gate-2026-11-25/slow-1-{s}.json.gz" for s in ("base", "new"))
    c = polaroid.compare(base, new)
    cli = subprocess.run([str(binary), "compare", str(base), str(new)], capture_output=True, text=True)
    assert c.fails and c.exit_code == cli.returncode == 1
    assert {r["key"] for r in c.regressions} and all("polars-threadpool" in r["key"] for r in c.regressions)
    chart = c.chart()
    assert chart is not None and ET.fromstring(chart.svg).tag.endswith("svg")
    assert c.to_polars().filter(pl.col("verdict") == "regressed").height == len(c.regressions)


def test_history_draws_trends_over_a_directory(smoke_run: polaroid.Run, tmp_path: Path) -> None:
    for i in range(2):
        shutil.copy(smoke_run.path, tmp_path / f"run-{i}.json")
    (tmp_path / "notes.json").write_text("{}")
    h = polaroid.history(tmp_path)
    assert h.runs == 2 and len(h.skipped) == 1 and len(h.charts) > 0
    assert 'class="polaroid-report"' in h._repr_mimebundle_()["text/html"]


def test_workloads_is_the_binarys_catalog(binary: Path) -> None:
    w = polaroid.workloads()
    cli = json.loads(subprocess.run([str(binary), "list", "--format", "json"], capture_output=True, check=True).stdout)
    assert w.catalog == cli
    assert "polaroid" in w.variants() and "batch-read" in repr(w)


def test_the_feed_announces_its_address_and_replays_ticks(binary: Path) -> None:
    import asyncio

    import websockets

    async def read(url: str) -> list[dict]:
        ticks = []
        async with websockets.connect(url + "?conn=0", max_size=None) as ws:
            async for message in ws:
                tick = json.loads(message)
                if tick["e"] == "end":
                    break
                ticks.append(tick)
        return ticks

    with polaroid.start_feed("smoke", ticks=25, sessions=1, binary=binary) as feed:
        assert feed.url.startswith("ws://127.0.0.1:") and feed.url.endswith("/feed")
        ticks = asyncio.run(read(feed.url))
        assert feed.wait(timeout=60) == 0
    assert len(ticks) == 25 and [t["seq"] for t in ticks] == sorted(t["seq"] for t in ticks)


def test_a_run_command_line_and_its_default_file_come_from_the_shared_launcher(tmp_path: Path, monkeypatch) -> None:
    from polaroid import _native, _run

    monkeypatch.chdir(tmp_path)
    argv, out = _run._prepare("smoke", "batch-read", ["polaroid", "polars-lazy"], 2, None, False, None,
                              {"memory_cap": "1GiB", "no_calibrate": True, "clients": [1, 10], "quiet": False})
    assert argv[1:] == ["run", "--suite", "smoke", "--workload", "batch-read", "--engine", "polaroid", "--engine",
                        "polars-lazy", "--runs", "2", "--memory-cap", "1GiB", "--no-calibrate", "--clients", "1,10",
                        "--progress", "jsonl", "--out", str(out)]
    assert out.parent == Path("polaroid-results") and out.name.startswith("smoke-") and out.name.endswith("Z.json")
    assert (tmp_path / "polaroid-results").is_dir()
    assert _native.run_interrupted(0, "") is False and _native.run_interrupted(3, "") is False
    assert _native.run_interrupted(130, "") is True and _native.run_interrupted(None, "") is True
    with pytest.raises(polaroid.PolaroidError, match="exit code 2.*unknown workload"):
        _native.run_interrupted(2, "error: unknown workload 'x'")
    with pytest.raises(polaroid.PolaroidError, match="resumed run needs the result file"):
        _run._prepare("smoke", None, None, None, None, True, None, {})
