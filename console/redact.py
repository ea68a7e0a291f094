"""Log lines without secrets: a generic webhook's secret is in its address (as OpenShift's
is), and access logs write addresses."""

from __future__ import annotations

import logging
import re

_SECRET_IN_PATH = re.compile(r"(/webhooks/[^/\s]+/[^/\s]+/generic/)[^/\s?\"]+")


def redact(text: str) -> str:
    """``text`` with any generic webhook secret in a path replaced by ``…``."""
    return _SECRET_IN_PATH.sub("\\1…", text)


class RedactSecrets(logging.Filter):
    """On uvicorn's access log and Berth's own handler: no webhook secret in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/generic/" in message:
            record.msg, record.args = redact(message), ()
        return True
