"""The wheels as a user gets them: installed with pip into a fresh venv, with no checkout, no Rust toolchain and no
build of the binary anywhere it could be found, `import polaroid; polaroid.run()` runs the smoke suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

WHEELS = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/polaroid/target")) / "wheels"
REPO = Path(__file__).parents[2]
REQUIREMENTS = REPO / "python/requirements-dev.txt"


def notebook_imports() -> set[str]:
    """The top-level modules the bundled Python notebooks import."""
    modules = set()
    for path in (REPO / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                modules |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", source, re.MULTILINE))
    return modules


def test_the_wheels_install_into_a_fresh_venv_and_run_the_smoke_suite(tmp_path: Path) -> None:
    wheels = sorted(WHEELS.glob("polaroid-*.whl")) + sorted(WHEELS.glob("polaroid_bench-*.whl"))
    assert len(wheels) == 2, f"expected the polaroid and polaroid-bench wheels in {WHEELS} (scripts/python-env builds them): {wheels}"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    polars = next(l for l in REQUIREMENTS.read_text().splitlines() if l.startswith("polars=="))
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check", polars, *map(str, wheels)], check=True)

    home = tmp_path / "home"
    home.mkdir()
    # A user's environment: no cargo, no CARGO_TARGET_DIR, no POLAROID_* variables, a home without the scripts' build,
    # and the venv's bin directory not on PATH (as in a notebook kernel started from elsewhere).
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    script = (
        "import json, polaroid\n"
        "run = polaroid.run(no_calibrate=True)\n"
        "print(json.dumps({'binary': str(polaroid.locate_binary()), 'measurements': run.measurements,"
        " 'failures': run.failures, 'workloads': sorted({r['workload'] for r in run.rows()})}))\n"
    )
    done = subprocess.run([str(venv / "bin/python"), "-c", script], cwd=home, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["binary"] == str(venv / "bin/polaroid-bench")
    assert got["failures"] == 0 and got["measurements"] > 0
    assert got["workloads"] == ["batch-read", "concurrent-query", "large-dataset", "streaming"]
    assert (home / "polaroid-results").is_dir()


def test_the_notebooks_extra_installs_what_the_bundled_notebooks_import(tmp_path: Path) -> None:
    wheel = next(iter(sorted(WHEELS.glob("polaroid-[0-9]*.whl"))), None)
    assert wheel is not None, f"no polaroid wheel in {WHEELS} (scripts/python-env builds it)"
    imports = notebook_imports()
    assert {"polaroid", "websockets", "adbc_driver_flightsql", "IPython"} <= imports, imports
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The versions the tests pin (and pip's cache already holds), as constraints: the extra must name each package.
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check", "-c", str(REQUIREMENTS),
                    f"{wheel}[notebooks]"], check=True)
    script = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    done = subprocess.run([str(venv / "bin/python"), "-c", script, *sorted(imports)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
