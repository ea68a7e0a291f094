"""Headers every page carries, and templates that keep to the Content-Security-Policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@pytest.mark.django_db
def test_pages_carry_a_csp_that_allows_no_inline_script(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy and directives["object-src"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_hsts_on_https_and_the_proxy_header_trusted_only_when_asked(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/login/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login/")
    # Without BERTH_TLS_PROXY a client's own X-Forwarded-Proto makes nothing "secure".
    assert "Strict-Transport-Security" not in client.get("/login/", HTTP_X_FORWARDED_PROTO="https")


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
