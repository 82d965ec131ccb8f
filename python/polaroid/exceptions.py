"""The exceptions polaroid raises: one tree under :class:`PolaroidError`.

- :class:`PolaroidError`: anything polaroid reports (a result file that does not load, a binary it cannot find or
  start, a run that failed, a server that did not start); the message says what to fix.
- :class:`ServerError`: a call ``polaroid-server`` refused or could not complete, with its gRPC status ``code``.

Arguments of the wrong type or value raise Python's own ``TypeError``/``ValueError``, as the standard library does.
"""

from __future__ import annotations

from polaroid._native import PolaroidError

__all__ = ["PolaroidError", "ServerError"]

# gRPC's status codes by number (grpc/doc/statuscodes.md): ADBC's Flight SQL driver reports the server's status
# code as the error's ``vendor_code``.
_GRPC_CODES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)


class ServerError(PolaroidError):
    """A call ``polaroid-server`` refused or could not complete.

    Attributes
    ----------
    code : str
        The gRPC status name: ``NOT_FOUND`` (an unknown table, file or handle), ``INVALID_ARGUMENT`` (SQL or a
        request the server cannot run), ``RESOURCE_EXHAUSTED`` (busy or over a memory limit: retry later),
        ``DEADLINE_EXCEEDED`` (past the call's or the server's time limit), ``UNAVAILABLE`` (not reachable, or
        shutting down), ``UNAUTHENTICATED``, ``CANCELLED``, ``INTERNAL``, ...
    message : str
        The server's message, which says what to fix.

    Examples
    --------
    >>> try:
    ...     client.sql("SELECT * FROM nowhere")
    ... except polaroid.ServerError as e:
    ...     print(e.code)
    NOT_FOUND
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _server_error(e: BaseException) -> ServerError:
    """The one place the client libraries' errors become :class:`ServerError`.

    ADBC's Flight SQL driver carries the gRPC status code as ``vendor_code``. ``pyarrow.flight`` raises a class per
    status but folds several into one (``ArrowInvalid`` for INVALID_ARGUMENT and RESOURCE_EXHAUSTED): its own
    rendering of the status name, ``Flight returned <name> error, with message: ...``, tells them apart.
    """
    import re

    import adbc_driver_manager

    text = str(e)
    if isinstance(e, adbc_driver_manager.Error):
        vendor = getattr(e, "vendor_code", None)
        if isinstance(vendor, int) and 0 < vendor < len(_GRPC_CODES):
            return ServerError(_GRPC_CODES[vendor], text)
        # Raised by the driver itself (no server status): its ADBC status, which names the same conditions.
        status = getattr(getattr(e, "status_code", None), "name", "UNKNOWN")
        return ServerError({"IO": "UNAVAILABLE", "TIMEOUT": "DEADLINE_EXCEEDED", "INVALID_STATE": "INVALID_ARGUMENT",
                            "INVALID_DATA": "INVALID_ARGUMENT", "NOT_IMPLEMENTED": "UNIMPLEMENTED",
                            "UNAUTHORIZED": "PERMISSION_DENIED", "INTEGRITY": "INTERNAL"}.get(status, status), text)
    said = re.search(r"Flight returned (.+?) error, with message: (.*)", text, re.S)
    if said:
        code = said.group(1).strip().upper().replace(" ", "_")
        return ServerError(code if code in _GRPC_CODES else "UNKNOWN", said.group(2).strip())
    import pyarrow.flight as flight

    for cls, code in ((flight.FlightUnavailableError, "UNAVAILABLE"), (flight.FlightUnauthenticatedError, "UNAUTHENTICATED"),
                      (flight.FlightCancelledError, "CANCELLED"), (flight.FlightTimedOutError, "DEADLINE_EXCEEDED"),
                      (flight.FlightInternalError, "INTERNAL")):
        if isinstance(e, cls):
            return ServerError(code, text)
    if isinstance(e, Exception):
        return ServerError("UNKNOWN", text)
    raise e
