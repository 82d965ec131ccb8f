"""Shared fixtures: one real smoke run of the whole suite per session (the binary the scripts built), in a temporary
directory, so every API test looks at real measurements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import polaroid

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> polaroid.Run:
    out = tmp_path_factory.mktemp("smoke") / "smoke.json"
    return polaroid.run(suite="smoke", out=out, no_calibrate=True)


@pytest.fixture(scope="session")
def binary() -> Path:
    return polaroid.locate_binary()


def pids_running(needle: str) -> list[int]:
    """Processes whose command line contains ``needle`` (e.g. a run's result path)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline and int(pid) != os.getpid():
            found.append(int(pid))
    return found
