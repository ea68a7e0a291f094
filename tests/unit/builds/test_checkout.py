"""A build's log says what it reads before the source pod runs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from builds.source import SourceError
from builds.tasks import _checkout


def test_the_first_line_goes_out_before_the_source_is_read():
    happened: list[str] = []

    class Builder:
        def read_source(self, identity, **kwargs):
            happened.append("read")
            raise SourceError("the repository is not there")

    config = SimpleNamespace(git_uri="https://git.example/app.git", project="p")
    with pytest.raises(SourceError):
        _checkout(
            config,
            "main",
            identity=None,
            builder=Builder(),
            emit=lambda line: happened.append(f"emit {line}"),
            flush=lambda: happened.append("flush"),
        )
    assert happened == ["emit Reading https://git.example/app.git at main", "flush", "read"]
