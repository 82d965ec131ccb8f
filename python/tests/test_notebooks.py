"""The bundled notebooks, executed top to bottom by a real Jupyter client (nbclient and an IPython kernel) at smoke
size, then converted to HTML and rendered in headless Chromium: no cell error, no console error, every chart
there. And the notebooks in git carry no outputs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_the_notebooks_in_git_have_no_outputs() -> None:
    assert NOTEBOOKS, "no notebooks found"
    nbstripout = Path(sys.executable).parent / "nbstripout"
    done = subprocess.run([str(nbstripout), "--verify", "--keep-id", *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert done.returncode == 0, f"outputs in git; run nbstripout --keep-id on them: {done.stdout}{done.stderr}"


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return name
    raise AssertionError("chromium is not installed: run scripts/setup-chromium (scripts/test does)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs_and_renders(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # Cells run in a scratch directory (results, reports), with the interpreter running these tests as the kernel.
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "Traceback" not in stderr, stderr
    svgs = sum(1 for o in outputs for k in o.get("data", {}) if k == "image/svg+xml") + sum(
        o.get("data", {}).get("text/html", "").count("<svg") for o in outputs
    )
    assert svgs > 0, "the notebook shows no chart"

    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    page = tmp_path / "page.html"
    # The test page (not the notebook) counts what the browser drew once everything loaded: inline SVG elements and
    # images (nbconvert shows an image/svg+xml output as <img>) that decoded with a size.
    probe = (
        "<script>addEventListener('load', () => { const imgs = [...document.images];"
        " document.title = `svg=${document.querySelectorAll('svg').length} img=${imgs.filter(i => i.naturalWidth > 0).length}"
        " broken=${imgs.filter(i => !i.naturalWidth).length}`; });</script>"
    )
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>{probe}</head><body>{body}</body></html>", encoding="utf-8")
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    console = [l for l in done.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert not console, console
    title = re.search(r"<title>svg=(\d+) img=(\d+) broken=(\d+)</title>", done.stdout)
    assert title, "the page did not finish loading"
    inline, images, broken = map(int, title.groups())
    assert broken == 0, f"{broken} images did not render"
    assert inline + images >= svgs, f"{inline + images} charts rendered of {svgs}"
