from __future__ import annotations

from datetime import timedelta

import pytest

from console.templatetags.berth import duration, status_class


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (1.021222, "1.0 s"),
        (12.4, "12 s"),
        (59.6, "1 min"),
        (185, "3 min 5 s"),
        (7620, "2 h 7 min"),
        (3600, "1 h"),
    ],
)
def test_durations_read_as_people_write_them(seconds, shown):
    assert duration(timedelta(seconds=seconds)) == shown


def test_no_duration_is_a_dash():
    assert duration(None) == "—"


def test_status_colours_come_from_one_table_whatever_the_case():
    assert status_class("Complete") == status_class("complete") == "pf-m-green"
    assert status_class("Failed") == "pf-m-red"
    assert status_class("something new") == ""


def test_short_digest_keeps_twelve_hex_digits():
    from console.templatetags.berth import short_digest

    digest = "sha256:" + "0123456789abcdef" * 4
    assert short_digest(f"r:5000/shop/web@{digest}") == "r:5000/shop/web@sha256:0123456789ab…"
    assert short_digest(digest) == "sha256:0123456789ab…"
    assert short_digest("web:latest") == "web:latest" and short_digest(None) == ""
