"""polaroid.render: a notebook's paragraph with figures bound to a run's result file, rendered by the same Rust code
as ``polaroid-bench render``."""

from __future__ import annotations

import re

import pytest

import polaroid
from conftest import REPO

RESULT = REPO / "reports/trades-ballista-2026-12-01/result.json.gz"


def test_a_paragraph_is_rendered_from_a_run_and_shows_as_markdown() -> None:
    run = polaroid.load(RESULT)
    text = ("VWAP: <!--fig r trades/vwap/default/datafusion median--><!--/fig--> in process,\n"
            "<!--fig r trades/vwap/default/ballista-2 median-ci-->old<!--/fig--> on two executors.")
    md = polaroid.render(text, results={"r": run})
    assert isinstance(md, polaroid.Markdown)
    figures = re.findall(r"-->(.*?)<!--/fig-->", str(md))
    assert len(figures) == 2 and all(re.fullmatch(r"[0-9.]+ m?s.*", f) for f in figures), figures
    assert "old" not in str(md) and "<!--results" not in str(md)
    assert md._repr_mimebundle_()["text/markdown"] == str(md)
    # By path, the same figures.
    assert str(polaroid.render(text, results={"r": RESULT})) == str(md)


def test_a_key_the_run_does_not_hold_is_an_error_naming_the_line_and_the_keys_of_its_task() -> None:
    text = "one\nVWAP: <!--fig r trades/vwap/default/duckdb median--><!--/fig-->"
    with pytest.raises(polaroid.PolaroidError, match=r"notebook\.md:2: .*trades/vwap/default/ballista-1"):
        polaroid.render(text, results={"r": RESULT})
