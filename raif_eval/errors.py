"""User-facing errors.

A ``RaifError`` is bad input or a missing resource that the user can fix. The ``raif-eval`` command prints it
as one line (``raif-eval: error: …``) and exits with status 2, without a traceback. Messages say what to do.
"""


class RaifError(Exception):
    """An error the user can fix; its message is a single line that says how."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class DataError(RaifError):
    """A benchmark file is missing, unreadable or has the wrong content."""


class ReplayError(RaifError):
    """A replay file is malformed or lacks a response that a task asks for."""
