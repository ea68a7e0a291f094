"""The cluster's image catalog, like OpenShift's ``openshift`` namespace: ``python:3.11``,
``postgresql:15``, ``redis:7`` (and ``latest``, the newest of each) name images the cluster
has. ``BERTH_IMAGE_CATALOG`` lists them (JSON: name -> version -> image); ``make dev`` and
the tests give the devcluster's, made from Debian."""

from __future__ import annotations

import re

from django.conf import settings

CATALOG_NAMESPACES = ("openshift", "")  # where templates look for the catalog's streams


class NotInCatalog(LookupError):
    pass


def _version_key(version: str) -> tuple:
    """3.9 < 3.11 < 3.11-ubi: numbers by value, words after them."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.-]", version))


def catalog() -> dict[str, dict[str, str]]:
    """Every name's versions, each with its image, ``latest`` included."""
    found = {}
    for name, versions in (settings.BERTH_IMAGE_CATALOG or {}).items():
        versions = {str(v): str(ref) for v, ref in versions.items() if v != "latest"}
        if versions:
            newest = max(versions, key=_version_key)
            found[name] = {**versions, "latest": versions[newest]}
    return found


def catalog_image(stream_tag: str) -> str:
    """The image of ``name:tag`` (``name`` alone is ``name:latest``), or NotInCatalog
    naming the versions there are."""
    name, _, tag = stream_tag.partition(":")
    tag = tag or "latest"
    versions = catalog().get(name)
    if versions is None:
        have = ", ".join(sorted(catalog())) or "nothing"
        raise NotInCatalog(f"The cluster's image catalog has no {name} (it has {have}).")
    if tag not in versions:
        listed = [*sorted((v for v in versions if v != "latest"), key=_version_key), "latest"]
        have = ", ".join(f"{name}:{v}" for v in listed)
        raise NotInCatalog(f"The cluster's image catalog has no {name}:{tag}; it has {have}.")
    return versions[tag]
