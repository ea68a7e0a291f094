"""pytest fixtures for tests against the devcluster (a pytest plugin).

Register it in ``tests/conftest.py`` with ``pytest_plugins = ["devcluster.fixtures"]``.

- ``devcluster`` (session): starts the plane once per run, or reuses one that runs
  already (``make cluster``); at the end it stops only the processes this run started.
- ``admin_client`` (session): a ``kubernetes.client.ApiClient`` with cluster admin.
- ``user_client("alice")``: an ApiClient authenticating as a test identity by token.
- ``impersonating_client("alice", groups=None)``: the admin impersonating a user, the way
  Berth calls the cluster on a person's behalf (groups default to the identity's).
- ``namespace``: a fresh namespace per test, deleted afterwards, whose pods go to
  kwok's fake nodes (for tests of mechanics: nothing runs there).
- ``real_node``: the real node (its name, the registry, the router, the images), or a
  failure naming why this machine has none.
- ``real_namespace``: a fresh namespace whose pods run for real on the real node.

Tests that use them are marked ``cluster`` automatically (``-m "not cluster"`` skips them).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from devcluster import build, logs, placement
from devcluster.pki import IDENTITIES
from devcluster.plane import FAKE_NODE_ANNOTATION, NODE_NAMES, Plane

_CLUSTER_FIXTURES = {
    "devcluster",
    "admin_client",
    "user_client",
    "impersonating_client",
    "namespace",
    "real_node",
    "real_namespace",
}


@dataclass(frozen=True)
class Devcluster:
    plane: Plane
    server: str
    kubeconfig: Path
    identities: dict[str, tuple[str, ...]]
    node_names: tuple[str, ...]
    fake_node_annotation: str
    started: tuple[str, ...]
    real_node: str | None = None
    real_node_reason: str | None = None


@dataclass(frozen=True)
class RealNode:
    name: str
    registry: str
    router_url: str
    apps_domain: str
    python_image: str
    postgresql_image: str
    redis_image: str
    builder_image: str
    package_index: str  # for pods: http://<gateway>:<port>/simple/
    git_server: str  # for pods: git://<gateway>:<port>/ (read-only)
    git_root: Path  # its repositories, which the host pushes to by path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: needs the real control plane (devcluster)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def devcluster() -> Iterator[Devcluster]:
    plane = Plane()
    if build.missing() or build.kwok_assets_missing():
        # Building takes about ten minutes on two cores: longer than a test's timeout,
        # so it is a separate step (make cluster / python -m devcluster build).
        pytest.fail(
            "the control-plane binaries are not built ("
            + (", ".join(build.missing()) or "kwok stages/CRDs")
            + " missing): run `python -m devcluster build` first",
            pytrace=False,
        )
    # The real node's binaries are not built here either: without them `up` carries on
    # with the fake nodes and the tests needing the real node fail, naming the reason.
    result = plane.up(build_node=False)
    try:
        yield Devcluster(
            plane=plane,
            server=result.server,
            kubeconfig=result.kubeconfig,
            identities=dict(IDENTITIES),
            node_names=NODE_NAMES,
            fake_node_annotation=FAKE_NODE_ANNOTATION,
            started=result.started,
            real_node=result.real_node,
            real_node_reason=result.real_node_reason,
        )
    finally:
        # A plane that was already running (make cluster, make dev) is left alone.
        if result.started:
            plane.stop_components(list(result.started))


@pytest.fixture(scope="session")
def admin_client(devcluster: Devcluster) -> Iterator[client.ApiClient]:
    api = devcluster.plane.admin_client()
    yield api
    api.close()


@pytest.fixture
def user_client(devcluster: Devcluster) -> Iterator[Callable[[str], client.ApiClient]]:
    made: list[client.ApiClient] = []

    def make(user: str) -> client.ApiClient:
        if user not in devcluster.identities:
            raise KeyError(f"no test identity {user!r}; there are {', '.join(devcluster.identities)}")
        api = devcluster.plane.token_client(user)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def impersonating_client(
    devcluster: Devcluster,
) -> Iterator[Callable[..., client.ApiClient]]:
    made: list[client.ApiClient] = []

    def make(user: str, groups: Iterable[str] | None = None) -> client.ApiClient:
        chosen = tuple(groups) if groups is not None else devcluster.identities.get(user, ())
        api = devcluster.plane.impersonating_client(user, chosen)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


def _namespace_name(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")
    slug = slug.removeprefix("test-")[:40].strip("-")
    return f"t-{slug}-{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def real_node(devcluster: Devcluster) -> RealNode:
    """The real node; a test needing it FAILS (never skips) where the machine has none."""
    env = devcluster.plane.env()
    if not env["REAL_NODE"]:
        pytest.fail(f"real node: unavailable — {env['REAL_NODE_REASON']}", pytrace=False)
    return RealNode(
        name=env["REAL_NODE"],
        registry=env["REGISTRY"],
        router_url=env["ROUTER_URL"],
        apps_domain=env["APPS_DOMAIN"],
        python_image=env["PYTHON_IMAGE"],
        postgresql_image=env["POSTGRESQL_IMAGE"],
        redis_image=env["REDIS_IMAGE"],
        builder_image=env["BUILDER_IMAGE"],
        package_index=env["PACKAGE_INDEX"],
        git_server=env["GIT_SERVER"],
        git_root=Path(env["GIT_ROOT"]),
    )


@pytest.fixture
def namespace(request: pytest.FixtureRequest, admin_client: client.ApiClient) -> Iterator[str]:
    """Pods created here go to kwok's fake nodes: they never really run."""
    yield from _fresh_namespace(request, admin_client, fake_nodes=True)


@pytest.fixture
def real_namespace(
    request: pytest.FixtureRequest, admin_client: client.ApiClient, real_node: RealNode
) -> Iterator[str]:
    """Pods created here run on the real node."""
    yield from _fresh_namespace(request, admin_client, fake_nodes=False)


def _fresh_namespace(
    request: pytest.FixtureRequest, admin_client: client.ApiClient, *, fake_nodes: bool
) -> Iterator[str]:
    core = client.CoreV1Api(admin_client)
    name = _namespace_name(request.node.name)
    metadata = {"name": name, "labels": {"berth.dev/test-namespace": "true"}}
    if fake_nodes:
        metadata["annotations"] = dict(placement.FAKE_NODES_ANNOTATIONS)
    core.create_namespace({"metadata": metadata})
    try:
        yield name
    finally:
        # Deletion finishes in the background (the namespace controller empties it);
        # the random suffix means no later test ever waits for it.
        with contextlib.suppress(ApiException):
            logs.detach_namespace_log(admin_client, name)
        with contextlib.suppress(ApiException):
            core.delete_namespace(name)
