"""Stopping runs: Ctrl-C on polaroid.run() and cancelling run_async() keep the finished measurements, leave no
process behind, and the run can be resumed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import polaroid
from conftest import pids_running

# Enough measurements that the run is still going when it is stopped after the first one.
WORKLOAD = "batch-read"


def wait_for(predicate, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def measurements_in(out: Path) -> int:
    try:
        return len(json.loads(out.read_text())["measurements"])
    except (OSError, ValueError, KeyError):
        return 0


def test_ctrl_c_returns_the_finished_part_and_resume_completes_it(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    script = (
        "import polaroid, json, sys\n"
        f"run = polaroid.run(workloads=[{WORKLOAD!r}], out={str(out)!r}, no_calibrate=True)\n"
        "print(json.dumps({'interrupted': run.interrupted, 'measurements': run.measurements}))\n"
    )
    py = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: measurements_in(out) >= 1)
    py.send_signal(signal.SIGINT)  # what Ctrl-C (or the notebook's interrupt) does to the Python process
    stdout, stderr = py.communicate(timeout=120)
    assert py.returncode == 0, stderr
    got = json.loads(stdout.strip().splitlines()[-1])
    assert got["interrupted"] and got["measurements"] >= 1
    assert "resume=True" in stderr
    assert pids_running(str(out)) == [], "a process of the stopped run is still running"
    done = polaroid.run(workloads=[WORKLOAD], out=out, resume=True, no_calibrate=True)
    assert not done.interrupted and done.measurements > got["measurements"] and done.failures == 0


def test_cancelling_run_async_stops_the_run_and_keeps_the_file(tmp_path: Path) -> None:
    out = tmp_path / "async.json"

    async def scenario() -> None:
        task = asyncio.ensure_future(polaroid.run_async(workloads=[WORKLOAD], out=out, no_calibrate=True))
        while measurements_in(out) < 1:
            assert not task.done(), task
            await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert pids_running(str(out)) == []
    partial = polaroid.load(out)
    assert partial.measurements >= 1


def test_run_async_returns_the_run(tmp_path: Path) -> None:
    run = asyncio.run(polaroid.run_async(workloads=["large-dataset"], out=tmp_path / "a.json", no_calibrate=True))
    assert run.measurements >= 1 and run.failures == 0 and not run.interrupted
    assert {r["workload"] for r in run.rows()} == {"large-dataset"}
