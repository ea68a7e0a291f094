"""URL converters for Kubernetes names: a name that breaks its kind's rule is a 404
before any view runs, so nothing like ``..`` or ``%2e`` reaches an API path."""

from __future__ import annotations

from django.urls import register_converter

from console.validators import DNS_1035_PATTERN, DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN


class DNSLabel:
    """RFC 1123 label (namespaces, Berth's build configs): 63 characters at most."""

    regex = DNS_LABEL_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class DNS1035Label(DNSLabel):
    """RFC 1035 label (services): a label that starts with a letter."""

    regex = DNS_1035_PATTERN


class DNSSubdomain(DNSLabel):
    """RFC 1123 subdomain (pods, deployments, ingresses, claims): dotted labels, 253 at most."""

    regex = DNS_SUBDOMAIN_PATTERN

    def to_python(self, value: str) -> str:
        if len(value) > 253:
            raise ValueError("a DNS subdomain has at most 253 characters")
        return value


def register() -> None:
    register_converter(DNSLabel, "label")
    register_converter(DNS1035Label, "label1035")
    register_converter(DNSSubdomain, "subdomain")
