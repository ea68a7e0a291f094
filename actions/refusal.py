"""The one way a service says no."""

from __future__ import annotations


class Refused(Exception):
    """A request Berth will not carry out; ``str()`` says why, fit to show the person.

    ``field`` names the form field the refusal is about (the page shows it there),
    or is None when it is about the request as a whole.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
