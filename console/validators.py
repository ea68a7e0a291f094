"""Form validators for names and values every domain shares: Kubernetes names,
environment lines, image references. One home each, so a rule changes once."""

from __future__ import annotations

import re

from django import forms

# Kubernetes' names (the URL converters in console/converters.py use the same patterns).
# An RFC 1123 label: namespaces, Berth's own names, port names…
DNS_LABEL_PATTERN = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
# An RFC 1035 label: services (a letter first).
DNS_1035_PATTERN = r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
# An RFC 1123 subdomain, 253 characters at most: pods, deployments, ingresses, claims.
DNS_SUBDOMAIN_PATTERN = rf"{DNS_LABEL_PATTERN}(?:\.{DNS_LABEL_PATTERN})*"
DNS_LABEL = re.compile(rf"^{DNS_LABEL_PATTERN}$")
DNS_SUBDOMAIN = re.compile(rf"^{DNS_SUBDOMAIN_PATTERN}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IMAGE = re.compile(
    r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


def parse_env_lines(text: str) -> dict[str, str]:
    """``KEY=value`` lines (blank lines ignored) as a dict; a clear error names the bad line."""
    env: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not ENV_NAME.match(key):
            raise forms.ValidationError(
                f"Line {number}: write KEY=value, with a key of letters, digits and _."
            )
        env[key] = value
    return env


def validate_dns_label(name: str) -> None:
    """A Kubernetes object name that is a DNS-1123 label (namespaces, deployments, routes…)."""
    if len(name) > 63:
        raise forms.ValidationError("At most 63 characters.")
    if not DNS_LABEL.match(name):
        raise forms.ValidationError(
            "Use lower-case letters, digits and dashes, starting and ending with a letter or digit "
            "(for example my-app)."
        )


def validate_dns_subdomain(name: str) -> None:
    """A Kubernetes object name that is a DNS-1123 subdomain (pods, deployments, claims…)."""
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        raise forms.ValidationError(
            "Not a Kubernetes name: lower-case letters, digits, dashes and dots, starting and ending "
            "with a letter or digit."
        )
