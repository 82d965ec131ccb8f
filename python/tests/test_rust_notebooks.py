"""The Rust notebooks, executed by a real Jupyter client against the installed "Rust (polaroid)" kernelspec (evcxr,
scripts/kernel-install). evcxr reports a panic, or an error returned by a top-level `?`, as a successful cell with
text on stderr; this runner fails a cell on an error output, on a panic or compile error in its stderr, and the
notebooks may not use a top-level `?` (checked below), so a cell that fails is a failure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from conftest import REPO

KERNEL = "polaroid-rust"
NOTEBOOKS = sorted((REPO / "notebooks/rust").glob("*.ipynb"))
PANIC_OR_COMPILE_ERROR = re.compile(r"panicked at|^error(\[E\d+\])?:", re.MULTILINE)


def failures(nb: nbformat.NotebookNode, workdir: Path) -> list[str]:
    """Executes every cell (on after a failure, to report them all); returns one line per failed cell. The kernel's
    first start on a machine compiles the prelude crate and its dependencies before it answers (init.evcxr), minutes
    on 2 cores: nbclient's default startup_timeout of 60 s failed CI at c1e7d9a."""
    NotebookClient(nb, timeout=1800, startup_timeout=1800, kernel_name=KERNEL, allow_errors=True, resources={"metadata": {"path": str(workdir)}}).execute()
    failed = []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.get("output_type") == "error"]
        stderr = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        if errors or PANIC_OR_COMPILE_ERROR.search(stderr):
            failed.append(f"cell {i}: {' '.join(errors) or stderr.strip()[:300]}")
    return failed


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Rust (polaroid)", "language": "rust"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_the_kernelspec_points_at_this_checkouts_prelude() -> None:
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == "Rust (polaroid)" and Path(spec.argv[0]).name == "evcxr_jupyter" and Path(spec.argv[0]).is_file()
    config = Path(spec.env["EVCXR_CONFIG_DIR"])
    init = (config / "init.evcxr").read_text()
    assert f'path = "{REPO / "kernel"}"' in init and ":cache" in init
    assert "polaroid_kernel::prelude" in (config / "prelude.rs").read_text()
    assert Path(spec.env["POLAROID_BENCH_BIN"]).is_file()


# One kernel session for the three checks below: each kernel start compiles the prelude (about a minute on 2 cores),
# so separate sessions cost the test command two minutes for nothing. The cells after a failing one still run.
SESSION = [
    'let x = 1;',
    'panic!("on purpose")',
    'let y = 2;',
    'let n: u8 = "not a number";',
    'let ok = 1;',
    f'let r = load("{REPO / "bench-suite/results/tests/fixtures/smoke.json"}").expect("fixture");',
    "r",
    'r.charts().expect("charts")[0].clone()',
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, list[str]]:
    nb = notebook(*SESSION)
    return nb, failures(nb, tmp_path_factory.mktemp("session"))


def test_a_panicking_cell_fails(session: tuple[nbformat.NotebookNode, list[str]]) -> None:
    failed = [f for f in session[1] if f.startswith("cell 1:")]
    assert len(failed) == 1 and "on purpose" in failed[0]
    assert not any(f.startswith(("cell 0:", "cell 2:")) for f in session[1]), session[1]


def test_a_cell_that_does_not_compile_fails(session: tuple[nbformat.NotebookNode, list[str]]) -> None:
    assert any(f.startswith("cell 3:") for f in session[1]) and not any(f.startswith("cell 4:") for f in session[1]), session[1]


def test_the_prelude_displays_a_result_as_html_with_charts(session: tuple[nbformat.NotebookNode, list[str]]) -> None:
    nb, failed = session
    # Only the two cells above fail on purpose.
    assert [f.split(":")[0] for f in failed] == ["cell 1", "cell 3"], failed
    html = nb.cells[6].outputs[0]["data"]["text/html"]
    assert "polaroid-report" in html and html.count("<svg") > 1
    assert nb.cells[7].outputs[0]["data"]["image/svg+xml"].lstrip().startswith("<svg")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_rust_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        # A top-level `?` error would be printed and the cell counted as a success; cells use expect instead.
        assert not re.search(r"^\S.*\?;|\?\s*$", cell.source, re.MULTILINE), f"top-level `?` in: {cell.source}"
    assert failures(nb, tmp_path) == []
    shown = [k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})]
    assert "text/html" in shown and "image/svg+xml" in shown, shown


def test_the_rust_notebooks_in_git_have_no_outputs() -> None:
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code"), path
