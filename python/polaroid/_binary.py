"""Where the ``polaroid-bench`` binary is: the same search the Rust front ends make, plus the binary the
``polaroid-bench`` wheel installs beside this interpreter."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

from polaroid import _native


def locate_binary(binary: str | os.PathLike[str] | None = None) -> Path:
    """Find the ``polaroid-bench`` binary measurements run in.

    Parameters
    ----------
    binary : str or os.PathLike, optional
        This binary; else ``$POLAROID_BENCH_BIN``; else ``polaroid-bench`` on ``PATH``; else the one the
        ``polaroid-bench`` wheel installed into this environment's scripts directory (a notebook kernel may not
        have it on ``PATH``); else the release build of a polaroid checkout's scripts (``$CARGO_TARGET_DIR`` or
        ``~/.cache/polaroid/target``).

    Returns
    -------
    pathlib.Path
        The binary.

    Raises
    ------
    PolaroidError
        Naming every place it looked.
    """
    bundled = Path(sysconfig.get_path("scripts")) / "polaroid-bench"
    return Path(_native.locate(None if binary is None else Path(binary), [bundled]))
