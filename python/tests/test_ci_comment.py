"""scripts/ci-comment, the script part of docs/ci.md's GitHub Actions workflow: one comment per pull request,
created or updated on a regression, deleted when it is fixed, and the job's exit code the gate's. The hosted service
is not called: a fake `gh` on PATH records what the script asked of it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

SCRIPT = REPO / "scripts/ci-comment"
MARKER = "<!-- polaroid-bench gate -->"

FAKE_GH = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
call = {"args": args}
for i, a in enumerate(args):
    if a == "-F" and args[i + 1].startswith("body=@"):
        call["body"] = open(args[i + 1][len("body=@"):]).read()
with open(os.environ["FAKE_GH_LOG"], "a") as f:
    f.write(json.dumps(call) + "\n")
if "--jq" in args:
    print(os.environ.get("FAKE_GH_EXISTING", ""))
"""


def run(tmp_path: Path, code: int, existing: str = "", compare: str | None = "### polaroid-bench compare: ❌ x\n") -> tuple[subprocess.CompletedProcess, list[dict]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    log = tmp_path / "gh.log"
    log.unlink(missing_ok=True)
    md = tmp_path / "compare.md"
    if compare is not None:
        md.write_text(compare)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_GH_LOG": str(log), "FAKE_GH_EXISTING": existing,
           "GITHUB_REPOSITORY": "owner/repo", "PR_NUMBER": "7"}
    done = subprocess.run([str(SCRIPT), str(code), str(md)], env=env, capture_output=True, text=True, timeout=60)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, calls


def test_a_regression_creates_the_comment_and_fails_the_job(tmp_path: Path) -> None:
    done, calls = run(tmp_path, 1)
    assert done.returncode == 1, done.stderr
    assert calls[0]["args"][:3] == ["api", "--paginate", "repos/owner/repo/issues/7/comments"]
    created = calls[1]
    assert created["args"][:2] == ["api", "repos/owner/repo/issues/7/comments"]
    assert created["body"].startswith(MARKER + "\n### polaroid-bench compare: ❌ x")
    assert len(calls) == 2


def test_a_regression_updates_the_existing_comment_in_place(tmp_path: Path) -> None:
    done, calls = run(tmp_path, 3, existing="42")
    assert done.returncode == 3, done.stderr
    assert calls[1]["args"][:3] == ["api", "-X", "PATCH"] and calls[1]["args"][3] == "repos/owner/repo/issues/comments/42"
    assert calls[1]["body"].startswith(MARKER)


def test_a_fixed_regression_deletes_the_comment_and_a_pass_without_one_posts_nothing(tmp_path: Path) -> None:
    done, calls = run(tmp_path, 0, existing="42")
    assert done.returncode == 0, done.stderr
    assert calls[1]["args"] == ["api", "-X", "DELETE", "repos/owner/repo/issues/comments/42"]
    done, calls = run(tmp_path, 0)
    assert done.returncode == 0 and len(calls) == 1 and "no comment" in done.stdout


def test_runs_that_cannot_be_compared_replace_the_old_verdict(tmp_path: Path) -> None:
    done, calls = run(tmp_path, 2, existing="42", compare=None)
    assert done.returncode == 2, done.stderr
    assert "could not be compared" in calls[1]["body"]


@pytest.mark.parametrize("args", [["1"], ["9", "x.md"]])
def test_bad_arguments_are_refused_with_what_to_pass(tmp_path: Path, args: list[str]) -> None:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GITHUB_REPOSITORY": "o/r", "PR_NUMBER": "1"})
    assert done.returncode == 2 and ("usage" in done.stderr or "EXIT_CODE must be" in done.stderr), done.stderr
