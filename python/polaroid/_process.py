"""A serving process this Python started (``polaroid-server serve``, ``polaroid-bench feed``): started, read for
the address it announces on its first line (the same rule the Rust front ends use: ``polaroid_results::launch``),
stopped."""

from __future__ import annotations

import signal
import subprocess
import threading
from typing import Mapping, Sequence

from polaroid import _native
from polaroid.exceptions import PolaroidError


class Announced:
    """A process that announced the address it serves on; stopped by :meth:`stop` or at the end of a ``with``
    block. ``log`` holds what it wrote on stderr.

    Parameters
    ----------
    process : subprocess.Popen
        The process.
    url : str
        The address it announced.
    """

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        #: The address clients connect to.
        self.url = url
        #: The process' stderr lines so far.
        self.log: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip())

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit by itself.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait (default: no limit).

        Returns
        -------
        int
            The exit code.

        Raises
        ------
        subprocess.TimeoutExpired
            If it has not exited after ``timeout`` seconds.
        """
        return self.process.wait(timeout)

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the process gracefully: SIGTERM, then wait for it to finish what it started.

        Parameters
        ----------
        timeout : float, default 60
            Seconds to wait.

        Returns
        -------
        int
            The exit code (0 after a clean stop).

        Raises
        ------
        subprocess.TimeoutExpired
            If it has not exited after ``timeout`` seconds.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL)."""
        self.process.kill()
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
        return f"<polaroid.{type(self).__name__} {self.url} pid {self.pid} {state}>"


def start_announced(argv: Sequence[str], what: str, env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start ``argv`` and read the address it announces on its first line of stdout.

    Raises
    ------
    PolaroidError
        If it cannot be started or exits before announcing (the message is its own error).
    """
    try:
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=None if env is None else dict(env))
    except OSError as e:
        raise PolaroidError(f"cannot start {argv[0]}: {e}") from e
    assert process.stdout is not None
    line = process.stdout.readline()
    url = _native.announced(line)
    if url is None:
        process.wait(30)
        message = process.stderr.read() if process.stderr else ""
        raise PolaroidError(f"{what} did not start: {message.strip() or line.strip() or 'it printed nothing'}")
    # The rest of stdout (the feed's details) is not read; a closed pipe must not block the process.
    threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
    return process, url
