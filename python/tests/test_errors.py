"""Every error is a polaroid.PolaroidError whose message says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import polaroid


def test_a_missing_binary_names_every_place_looked_and_how_to_build_it() -> None:
    with pytest.raises(polaroid.PolaroidError) as e:
        polaroid.run(binary="/nonexistent/polaroid-bench")
    assert "/nonexistent/polaroid-bench" in str(e.value) and "cargo build --release -p polaroid-bench" in str(e.value)


def test_no_binary_anywhere_lists_each_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CARGO_TARGET_DIR", str(tmp_path / "target"))
    monkeypatch.delenv("POLAROID_BENCH_BIN", raising=False)
    with pytest.raises(polaroid.PolaroidError) as e:
        polaroid.locate_binary()
    msg = str(e.value)
    assert "$POLAROID_BENCH_BIN (not set)" in msg and "PATH" in msg and str(tmp_path / "target") in msg


def test_an_unreadable_or_foreign_result_file_says_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(polaroid.PolaroidError, match="cannot read result file"):
        polaroid.load(tmp_path / "missing.json")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": "world"}')
    with pytest.raises(polaroid.PolaroidError, match="is not a polaroid result document"):
        polaroid.load(foreign)
    future = tmp_path / "future.json"
    future.write_text('{"schema_version": 99}')
    with pytest.raises(polaroid.PolaroidError, match="schema_version 99"):
        polaroid.load(future)
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(polaroid.PolaroidError, match="broken.json.gz"):
        polaroid.load(broken)


def test_unknown_workloads_and_variants_list_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(polaroid.PolaroidError) as e:
        polaroid.run(workloads=["nope"], out=tmp_path / "a.json")
    assert "nope" in str(e.value) and "batch-read" in str(e.value)
    with pytest.raises(polaroid.PolaroidError) as e:
        polaroid.run(engines=["pandas"], out=tmp_path / "b.json")
    assert "pandas" in str(e.value) and "polars-eager" in str(e.value) and "duckdb" in str(e.value)


def test_bad_compare_options_are_refused(smoke_run: polaroid.Run) -> None:
    with pytest.raises(polaroid.PolaroidError, match='"time", "memory", "any", "none"'):
        polaroid.compare(smoke_run, smoke_run, fail_on="speed")
    with pytest.raises(polaroid.PolaroidError, match="noise_floor"):
        polaroid.compare(smoke_run, smoke_run, noise_floor=5)


def test_resume_without_out_is_refused() -> None:
    with pytest.raises(polaroid.PolaroidError, match="out="):
        polaroid.run(resume=True)


def test_a_binary_that_cannot_start_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "polaroid-bench"
    fake.write_text("not a program")  # exists, so it is found, but cannot be executed
    with pytest.raises(polaroid.PolaroidError, match=f"cannot start {fake}"):
        polaroid.run(binary=fake, out=tmp_path / "r.json")


def test_a_history_of_a_directory_without_results_names_it(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(polaroid.PolaroidError, match="no result files .* skipped: .*notes.json"):
        polaroid.history(tmp_path)
