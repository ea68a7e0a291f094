"""Berth as the integrated registry's token service (distribution's token auth spec).

The registry accepts a pull or push only with a short-lived token that Berth signed.
Who gets which scope on ``<project>/<name>``:

- a **person** (``docker login`` with their Berth account): what the cluster says,
  as them, about ``imagestreams/layers`` in the project's namespace — ``get`` for a
  pull, ``update`` for a push (the same check OpenShift's registry makes);
- a **build pod**: pushes to the one repository its build makes, and pulls of its
  project's images, with a credential Berth signed for that build, valid for a while
  (``build_credential``);
- a project's **pods** (the kubelet pulling): pulls of that project's repositories,
  with the project's pull secret (``pull_credential``).

Anything else gets a token with no access, which the registry refuses (401).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core import signing

from kube import ClusterError, Identity
from kube.client import can_i

BUILD_USER = "berth-build"
PULL_USER = "berth-pull"
PULL_SECRET = "berth-registry-pull"  # noqa: S105 - a Secret's name
TOKEN_SECONDS = 300
_SALT = "berth.registry."
_SCOPE = re.compile(r"^repository:(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*):(?P<actions>[a-z*,]+)$")
_IMAGE_GROUP = "image.openshift.io"


@dataclass(frozen=True)
class Scope:
    repository: str  # <project>/<name>
    actions: tuple[str, ...]

    @property
    def project(self) -> str:
        return self.repository.split("/", 1)[0]

    def as_claim(self, actions: list[str]) -> dict:
        return {"type": "repository", "name": self.repository, "actions": actions}


def parse_scopes(values: list[str]) -> list[Scope]:
    """``repository:<project>/<name>:pull,push`` scopes; anything else is ignored."""
    scopes = []
    for value in values:
        for part in value.split(" "):
            match = _SCOPE.match(part)
            if match and "/" in match["name"]:
                actions = tuple(a for a in match["actions"].split(",") if a in ("pull", "push"))
                scopes.append(Scope(match["name"], actions))
    return scopes


def build_credential(*, repository: str) -> str:
    """What a build pod presents, for a while: push to its one repository, and pulls of
    its project's images (a builder image of the project)."""
    return signing.dumps({"repository": repository}, salt=_SALT + "build")


def pull_credential(*, project: str) -> str:
    """What a project's pods present: pulls of the project's repositories."""
    return signing.dumps({"project": project}, salt=_SALT + "pull")


def robot_grants(username: str, password: str, scope: Scope) -> list[str]:
    """The actions a build pod's or a project's credential allows on ``scope``."""
    try:
        if username == BUILD_USER:
            value = signing.loads(
                password, salt=_SALT + "build", max_age=settings.BERTH_REGISTRY_BUILD_CREDENTIAL_SECONDS
            )
            repository = str(value.get("repository", ""))
            if repository == scope.repository:
                return list(scope.actions)
            # Its project's other images: to build on (FROM), never to overwrite.
            same_project = repository.split("/", 1)[0] == scope.project
            return ["pull"] if same_project and "pull" in scope.actions else []
        if username == PULL_USER:
            value = signing.loads(password, salt=_SALT + "pull")
            return ["pull"] if value.get("project") == scope.project and "pull" in scope.actions else []
    except signing.BadSignature:  # SignatureExpired included
        return []
    return []


def person_may(identity: Identity, project: str, action: str) -> bool:
    """Whether the cluster lets the person pull (``get``) or push (``update``) the
    project's images (``imagestreams/layers``, as OpenShift's registry asks)."""
    verb = {"pull": "get", "push": "update"}[action]
    try:
        return can_i(
            identity,
            verb=verb,
            resource="imagestreams",
            subresource="layers",
            group=_IMAGE_GROUP,
            namespace=project,
        )
    except ClusterError:
        return False


def person_grants(identity: Identity, scope: Scope) -> list[str]:
    """The actions of ``scope`` the cluster lets the person take."""
    return [action for action in scope.actions if person_may(identity, scope.project, action)]


@cache
def _signing_key(path: str):
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    return key, algorithm, key_id(key.public_key())


def key_id(public_key) -> str:
    """libtrust's key ID, which the registry uses to find the key of a token's ``kid``:
    the SHA-256 of the DER public key, its first 240 bits in base32, in 12 groups of 4."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def issue_token(*, subject: str, access: list[dict]) -> dict:
    """The token response the registry's clients expect."""
    key, algorithm, kid = _signing_key(settings.BERTH_REGISTRY_TOKEN_KEY)
    now = int(time.time())
    claims = {
        "iss": settings.BERTH_REGISTRY_TOKEN_ISSUER,
        "sub": subject,
        "aud": settings.BERTH_REGISTRY_SERVICE,
        "iat": now,
        "nbf": now - 5,
        "exp": now + TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "access": access,
    }
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})
    return {"token": token, "access_token": token, "expires_in": TOKEN_SECONDS, "issued_at": _iso(now)}


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def docker_config(*, username: str, password: str) -> str:
    """A ``.dockerconfigjson`` for the integrated registry."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {settings.BERTH_BUILD_REGISTRY: {"auth": auth}}})


def enabled() -> bool:
    return bool(settings.BERTH_REGISTRY_TOKEN_KEY)
