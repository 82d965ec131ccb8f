"""Every public function and method of the package documents itself in numpydoc's format, checked by numpydoc's
own validator: a summary, its Parameters (each one, and no others), what it Returns (or Yields), and Examples on the
functions a user calls first."""

from __future__ import annotations

import inspect

import pytest
from numpydoc.validate import validate

import polaroid

# numpydoc's checks this package holds itself to (numpydoc.validate.ERROR_MSGS): a docstring exists (GL08), has a
# summary (SS01), documents every parameter (PR01) and no unknown one (PR02), with a description (PR07), and says
# what a function returns (RT01) or yields (YD01).
CHECKS = {"GL08", "SS01", "PR01", "PR02", "PR07", "RT01", "YD01"}
# The entry points of each front end also show how they are called.
WITH_EXAMPLES = {"polaroid.run", "polaroid.compare", "polaroid.load", "polaroid.serve", "polaroid.connect",
                 "polaroid.connect_async", "polaroid.start_feed", "polaroid.Client.sql", "polaroid.AsyncClient.sql",
                 "polaroid.AsyncClient.stream"}


def public_api() -> list[str]:
    names = []
    for name in polaroid.__all__:
        obj = getattr(polaroid, name)
        if inspect.isfunction(obj):
            names.append(f"polaroid.{name}")
        elif inspect.isclass(obj) and not issubclass(obj, BaseException):
            names.append(f"polaroid.{name}")
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                    names.append(f"polaroid.{name}.{attr}")
    return names


@pytest.mark.parametrize("name", public_api())
def test_the_docstring_is_numpydoc(name: str) -> None:
    result = validate(name)
    checks = CHECKS | ({"EX01"} if name in WITH_EXAMPLES else set())
    # A property is documented by its one-line summary; "returns" is what it is.
    if result["type"] == "property":
        checks -= {"RT01", "PR01", "PR02"}
    errors = [f"{code}: {message}" for code, message in result["errors"] if code in checks]
    assert not errors, f"{name} ({result['file']}:{result['file_line']}):\n" + "\n".join(errors)


def _adds(a: int, b: int) -> int:
    """Add two numbers.

    Parameters
    ----------
    a : int
        One.

    Returns
    -------
    int
        The sum.
    """
    return a + b


def test_the_linter_sees_a_missing_parameter() -> None:
    codes = {code for code, _ in validate(f"{__name__}._adds")["errors"]}
    assert "PR01" in codes
