"""The devcluster's real node runs pods for real (issue 11): images from the local
registry, HTTP from the host, logs and exec through the apiserver under RBAC, cgroup
limits, Services by DNS name, Ingresses through the router, and a `down` that leaves
the host as it was.

Traffic goes only to the real node's pod addresses on the devcluster's own bridge and
to the router on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from devcluster import images, node, placement, volumes
from devcluster.fixtures import Devcluster, RealNode

pytestmark = pytest.mark.cluster

T = TypeVar("T")
FAKE_TAINT_KEY = placement.FAKE_NODE_TAINT["key"]


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what} (last: {last!r})")
        time.sleep(0.2)


def http_get(host: str, port: int, path: str = "/", host_header: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host_header} if host_header else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def web_app(name: str, image: str, token: str, **container: Any) -> dict[str, Any]:
    """A Deployment serving `token` at / with Python's http.server on port 8080."""
    labels = {"app": name}
    script = f"echo {token} > /tmp/index.html && cd /tmp && exec python3 -m http.server 8080"
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 5,
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "command": ["/usr/bin/tini", "--", "sh", "-c", script],
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
                            **container,
                        }
                    ],
                },
            },
        },
    }


def service(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 8080, "targetPort": 8080}]},
    }


def ready_pod(core: client.CoreV1Api, namespace: str, app: str, timeout: float = 90) -> client.V1Pod:
    def check() -> client.V1Pod | None:
        for pod in core.list_namespaced_pod(namespace, label_selector=f"app={app}").items:
            statuses = pod.status.container_statuses or []
            if pod.status.phase == "Running" and statuses and all(s.ready for s in statuses):
                return pod
        return None

    return eventually(check, f"a ready pod of {app} in {namespace}", timeout)


def run_pod(
    core: client.CoreV1Api, namespace: str, name: str, image: str, command: list[str]
) -> client.V1Pod:
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{"name": name, "image": image, "command": command}],
            },
        },
    )
    return eventually(
        lambda: (pod := core.read_namespaced_pod(name, namespace)).status.phase == "Running" and pod,
        f"pod {name} Running",
        90,
    )


def exec_output(api: client.ApiClient, namespace: str, pod: str, command: list[str]) -> str:
    return stream(
        client.CoreV1Api(api).connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=command,
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )


# -- placement ------------------------------------------------------------------------


def test_the_real_node_is_ready_and_the_fake_nodes_are_tainted(
    admin_client: client.ApiClient, devcluster: Devcluster, real_node: RealNode
) -> None:
    core = client.CoreV1Api(admin_client)
    real = core.read_node(real_node.name)
    key, value = placement.REAL_NODE_LABEL
    assert real.metadata.labels[key] == value
    assert any(c.type == "Ready" and c.status == "True" for c in real.status.conditions)
    assert FAKE_TAINT_KEY not in {t.key for t in real.spec.taints or []}
    for name in devcluster.node_names:
        taints = {(t.key, t.value, t.effect) for t in core.read_node(name).spec.taints or []}
        assert (FAKE_TAINT_KEY, "fake", "NoSchedule") in taints


def test_an_unmarked_pod_runs_on_the_real_node_and_a_marked_namespace_uses_kwok(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str, namespace: str
) -> None:
    core = client.CoreV1Api(admin_client)
    real = run_pod(core, real_namespace, "real", real_node.python_image, ["sleep", "600"])
    assert real.spec.node_name == real_node.name
    core.create_namespaced_pod(
        namespace,
        {"metadata": {"name": "fake"}, "spec": {"containers": [{"name": "c", "image": "x.invalid/y"}]}},
    )
    fake = eventually(
        lambda: (pod := core.read_namespaced_pod("fake", namespace)).spec.node_name and pod,
        "fake pod scheduled",
    )
    assert fake.spec.node_name != real_node.name
    assert fake.spec.node_selector == placement.FAKE_NODE_SELECTOR


# -- pods really run ---------------------------------------------------------------------


def test_a_pod_from_the_python_image_serves_http_to_the_host(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    token = secrets.token_hex(8)
    began = time.monotonic()
    apps.create_namespaced_deployment(real_namespace, web_app("web", real_node.python_image, token))

    pod = ready_pod(core, real_namespace, "web")

    print(f"Deployment created -> pod ready in {time.monotonic() - began:.1f}s")
    assert pod.spec.node_name == real_node.name
    assert pod.status.pod_ip.startswith(node.NODE_SUBNET.rsplit(".", 1)[0] + ".")
    status, body = http_get(pod.status.pod_ip, 8080)
    assert status == 200
    assert body.strip() == token.encode()


def test_the_python_image_assembles_and_runs_source_like_s2i(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    core = client.CoreV1Api(admin_client)
    script = (
        "mkdir -p /tmp/src"
        " && echo 'import sys; print(\"assembled\", sys.prefix, flush=True)' > /tmp/src/app.py"
        " && /usr/libexec/s2i/assemble && exec /usr/libexec/s2i/run"
    )
    core.create_namespaced_pod(
        real_namespace,
        {
            "metadata": {"name": "s2i"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "s2i", "image": real_node.python_image, "command": ["sh", "-c", script]}
                ],
            },
        },
    )

    eventually(
        lambda: core.read_namespaced_pod("s2i", real_namespace).status.phase == "Succeeded", "Succeeded"
    )
    log = core.read_namespaced_pod_log("s2i", real_namespace)
    assert "---> Installing application source ..." in log
    assert "assembled /opt/app-root" in log


def test_logs_and_exec_work_as_the_person_and_are_refused_without_rbac(
    admin_client: client.ApiClient,
    user_client: Callable[[str], client.ApiClient],
    real_node: RealNode,
    real_namespace: str,
) -> None:
    core, rbac = client.CoreV1Api(admin_client), client.RbacAuthorizationV1Api(admin_client)
    script = "print('hello from a real pod', flush=True); import time; time.sleep(600)"
    run_pod(core, real_namespace, "talker", real_node.python_image, ["python3", "-c", script])
    eventually(
        lambda: "hello from a real pod" in core.read_namespaced_pod_log("talker", real_namespace),
        "the pod's log line",
    )
    alice = user_client("alice")
    alice_core = client.CoreV1Api(alice)
    # alice may see pods, but neither read their logs nor exec into them.
    _role(
        rbac,
        real_namespace,
        "pod-reader",
        [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    )
    eventually(lambda: alice_core.read_namespaced_pod("talker", real_namespace), "alice can read the pod")
    with pytest.raises(ApiException) as refused_log:
        alice_core.read_namespaced_pod_log("talker", real_namespace)
    assert refused_log.value.status == 403
    assert _exec_status(alice_core, real_namespace, "talker") == 403

    _role(
        rbac,
        real_namespace,
        "pod-debugger",
        [
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "create"]},
        ],
    )

    log = eventually(
        lambda: _allowed(lambda: alice_core.read_namespaced_pod_log("talker", real_namespace)), "log"
    )
    assert "hello from a real pod" in log
    # Authorised, a plain POST is refused only for lacking the protocol upgrade.
    eventually(lambda: _exec_status(alice_core, real_namespace, "talker") == 400, "alice may exec")
    out = exec_output(alice, real_namespace, "talker", ["python3", "-c", "print(6 * 7)"])
    assert out.strip() == "42"
    uid = exec_output(alice, real_namespace, "talker", ["id", "-u"])
    assert uid.strip() == "1001"


def _exec_status(core: client.CoreV1Api, namespace: str, pod: str) -> int:
    """The apiserver's answer to an exec request without the streaming upgrade: 403
    when RBAC refuses it, 400 ("Upgrade request required") when it is allowed."""
    try:
        core.connect_post_namespaced_pod_exec(pod, namespace, command="id", stdout=True)
    except ApiException as exc:
        return int(exc.status)
    return 200


def _allowed(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except ApiException as exc:
        if exc.status == 403:
            return None
        raise


def _role(
    rbac: client.RbacAuthorizationV1Api, namespace: str, name: str, rules: list[dict[str, Any]]
) -> None:
    rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        },
    )


def test_a_deployments_memory_and_cpu_limits_show_in_its_cgroups(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    limits = {"memory": "64Mi", "cpu": "200m"}
    app = web_app("limited", real_node.python_image, "x", resources={"limits": limits, "requests": limits})
    apps.create_namespaced_deployment(real_namespace, app)

    pod = ready_pod(core, real_namespace, "limited")

    assert pod.status.qos_class == "Guaranteed"
    memory = _pod_cgroup("memory", pod.metadata.uid)
    cpu = _pod_cgroup("cpu", pod.metadata.uid)
    assert int((memory / "memory.limit_in_bytes").read_text()) == 64 * 1024 * 1024
    quota = int((cpu / "cpu.cfs_quota_us").read_text())
    period = int((cpu / "cpu.cfs_period_us").read_text())
    assert quota / period == pytest.approx(0.2)


def _pod_cgroup(controller: str, uid: str) -> Path:
    root = Path("/sys/fs/cgroup") / controller / "kubepods"
    found = list(root.glob(f"pod{uid}")) + list(root.glob(f"*/pod{uid}"))
    assert len(found) == 1, f"pod cgroup of {uid} under {root}: {found}"
    return found[0]


def test_pods_cannot_reach_the_hosts_own_ports(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    """Only DNS on the bridge's gateway is open to pods; a server the host runs on all
    addresses is not reachable from them (the host itself still reaches the pods)."""
    core = client.CoreV1Api(admin_client)
    with socket.socket() as server:
        server.bind(("0.0.0.0", 0))  # noqa: S104 - the point: a host port open on every address
        server.listen()
        port = server.getsockname()[1]
        run_pod(core, real_namespace, "prober", real_node.python_image, ["sleep", "600"])
        probe = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('{node.GATEWAY}', {port}), timeout=3); print('open')\n"
            "except OSError as e:\n"
            "    print('closed', e)"
        )
        out = exec_output(admin_client, real_namespace, "prober", ["python3", "-c", probe])
    assert out.startswith("closed"), out


# -- Services, DNS, Ingress ------------------------------------------------------------------


def test_a_pod_reaches_another_apps_service_by_dns_name(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    token = secrets.token_hex(8)
    apps.create_namespaced_deployment(real_namespace, web_app("backend", real_node.python_image, token))
    core.create_namespaced_service(real_namespace, service("backend"))
    ready_pod(core, real_namespace, "backend")
    run_pod(core, real_namespace, "client", real_node.python_image, ["sleep", "600"])

    for name in (f"backend.{real_namespace}.svc", f"backend.{real_namespace}.svc.cluster.local", "backend"):
        url = f"http://{name}:8080/"
        fetch = f"import urllib.request as u; print(u.urlopen('{url}', timeout=5).read().decode())"
        out = eventually(
            lambda fetch=fetch: (
                token in (o := exec_output(admin_client, real_namespace, "client", ["python3", "-c", fetch]))
                and o
            ),
            f"the client pod fetches http://{name}:8080/",
            timeout=30,
        )
        assert out.strip() == token


def test_an_ingress_host_answers_through_the_router_with_the_apps_response(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    net = client.NetworkingV1Api(admin_client)
    token = secrets.token_hex(8)
    apps.create_namespaced_deployment(real_namespace, web_app("site", real_node.python_image, token))
    core.create_namespaced_service(real_namespace, service("site"))
    host = f"site-{real_namespace}.{real_node.apps_domain}"
    net.create_namespaced_ingress(
        real_namespace,
        {
            "metadata": {"name": "site"},
            "spec": {
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "site", "port": {"number": 8080}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    ready_pod(core, real_namespace, "site")
    router_host, router_port = real_node.router_url.removeprefix("http://").split(":")
    assert router_host == "127.0.0.1"

    status, body = eventually(
        lambda: (r := http_get(router_host, int(router_port), "/", host_header=host))[0] == 200 and r,
        f"the router answers 200 for {host}",
    )

    assert body.strip() == token.encode()
    status, _ = http_get(
        router_host, int(router_port), "/", host_header=f"nothing-{token}.{real_node.apps_domain}"
    )
    assert status == 404


def test_postgresql_and_redis_images_serve_their_clients_by_service_name(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    core = client.CoreV1Api(admin_client)
    env = {
        "POSTGRESQL_USER": "berth",
        "POSTGRESQL_PASSWORD": secrets.token_hex(8),
        "POSTGRESQL_DATABASE": "app",
    }
    for name, image, port, extra in (
        (
            "postgresql",
            real_node.postgresql_image,
            5432,
            {"env": [{"name": k, "value": v} for k, v in env.items()]},
        ),
        ("redis", real_node.redis_image, 6379, {}),
    ):
        core.create_namespaced_pod(
            real_namespace,
            {
                "metadata": {"name": name, "labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "ports": [{"containerPort": port}],
                            "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1},
                            **extra,
                        }
                    ]
                },
            },
        )
        core.create_namespaced_service(
            real_namespace,
            {"metadata": {"name": name}, "spec": {"selector": {"app": name}, "ports": [{"port": port}]}},
        )
    run_pod(core, real_namespace, "psql", real_node.postgresql_image, ["sleep", "600"])
    run_pod(core, real_namespace, "redis-cli", real_node.redis_image, ["sleep", "600"])
    ready_pod(core, real_namespace, "postgresql")
    ready_pod(core, real_namespace, "redis")

    query = (
        f"PGPASSWORD={env['POSTGRESQL_PASSWORD']} psql -h postgresql.{real_namespace}.svc -U berth -d app "
        "-tAc 'select current_user, current_database()'"
    )
    answer = exec_output(admin_client, real_namespace, "psql", ["sh", "-c", query])
    assert answer.strip() == "berth|app"
    pong = exec_output(
        admin_client, real_namespace, "redis-cli", ["redis-cli", "-h", f"redis.{real_namespace}.svc", "ping"]
    )
    assert pong.strip() == "PONG"


def test_a_deleted_pod_stops_at_once(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    """tini is PID 1: SIGTERM reaches the server, no waiting out the 30 s grace period."""
    core = client.CoreV1Api(admin_client)
    core.create_namespaced_pod(
        real_namespace,
        {
            "metadata": {"name": "server"},
            "spec": {
                "containers": [
                    {
                        "name": "server",
                        "image": real_node.python_image,
                        "args": ["python3", "-m", "http.server", "8080"],
                    }
                ]
            },
        },
    )
    eventually(
        lambda: core.read_namespaced_pod("server", real_namespace).status.phase == "Running", "Running"
    )
    began = time.monotonic()

    core.delete_namespaced_pod("server", real_namespace)

    def gone() -> bool:
        try:
            core.read_namespaced_pod("server", real_namespace)
        except ApiException as exc:
            return exc.status == 404
        return False

    eventually(gone, "the pod is gone", timeout=25)
    assert time.monotonic() - began < 10


# -- registry ---------------------------------------------------------------------------------


def test_an_image_pushed_to_the_registry_runs(
    admin_client: client.ApiClient, real_node: RealNode, real_namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(admin_client)
    tag = secrets.token_hex(4)
    ref = f"{real_node.registry}/{real_namespace}/hello:{tag}"
    layout = images.derive(
        images.PYTHON,
        tmp_path / "oci",
        {"/opt/app-root/src/hello.py": f"print('pushed image {tag} runs', flush=True)\n".encode()},
        ("sh", "-c", "python3 hello.py && exec sleep 600"),
    )
    images.copy_to_registry(layout, "latest", ref)

    core.create_namespaced_pod(
        real_namespace,
        {"metadata": {"name": "hello"}, "spec": {"containers": [{"name": "hello", "image": ref}]}},
    )
    eventually(lambda: core.read_namespaced_pod("hello", real_namespace).status.phase == "Running", "Running")

    pod = core.read_namespaced_pod("hello", real_namespace)
    assert pod.status.container_statuses[0].image_id.startswith(
        f"{real_node.registry}/{real_namespace}/hello@"
    )
    eventually(
        lambda: f"pushed image {tag} runs" in core.read_namespaced_pod_log("hello", real_namespace), "log"
    )


# -- storage ----------------------------------------------------------------------------------


# A claim of the default storage class (no class named).
CLAIM = {
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
}


def _postgresql_on(claim: str, image: str, password: str) -> dict[str, Any]:
    env = {"POSTGRESQL_USER": "berth", "POSTGRESQL_PASSWORD": password, "POSTGRESQL_DATABASE": "app"}
    return {
        "metadata": {"name": "db", "labels": {"app": "db"}},
        "spec": {
            "terminationGracePeriodSeconds": 5,
            "containers": [
                {
                    "name": "postgresql",
                    "image": image,
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    # The probe sclorg's templates name, which the image provides.
                    "readinessProbe": {
                        "exec": {"command": ["/usr/libexec/check-container"]},
                        "periodSeconds": 1,
                    },
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/pgsql/data"}],
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


def test_a_claim_of_the_default_class_gets_a_volume_whose_data_outlives_its_pod(
    devcluster: Devcluster, admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    core = client.CoreV1Api(admin_client)
    core.create_namespaced_persistent_volume_claim(real_namespace, CLAIM)
    made = core.read_namespaced_persistent_volume_claim("data", real_namespace)
    assert made.spec.storage_class_name == volumes.CLASS  # the default class
    assert made.status.phase == "Pending"  # until a pod needs it

    password = secrets.token_hex(8)
    sql = 'PGPASSWORD={p} psql -h 127.0.0.1 -U berth -d app -tAc "{q}"'
    core.create_namespaced_pod(real_namespace, _postgresql_on("data", real_node.postgresql_image, password))
    ready_pod(core, real_namespace, "db")
    bound = core.read_namespaced_persistent_volume_claim("data", real_namespace)
    assert bound.status.phase == "Bound"
    volume = core.read_persistent_volume(bound.spec.volume_name)
    directory = Path(volume.spec.host_path.path)
    assert directory.parent == devcluster.plane.node.volumes_dir and directory.is_dir()
    write = sql.format(p=password, q="create table notes (t text); insert into notes values ('kept')")
    exec_output(admin_client, real_namespace, "db", ["sh", "-c", write])
    read = sql.format(p=password, q="select t from notes")
    # Ready means the server clients reach is up (not the one that initialises): written.
    assert exec_output(admin_client, real_namespace, "db", ["sh", "-c", read]).strip() == "kept"

    core.delete_namespaced_pod("db", real_namespace)
    eventually(lambda: not core.list_namespaced_pod(real_namespace).items, "the pod gone")
    core.create_namespaced_pod(real_namespace, _postgresql_on("data", real_node.postgresql_image, password))
    ready_pod(core, real_namespace, "db")
    assert exec_output(admin_client, real_namespace, "db", ["sh", "-c", read]).strip() == "kept"

    core.delete_namespaced_pod("db", real_namespace, grace_period_seconds=0)
    core.delete_namespaced_persistent_volume_claim("data", real_namespace)

    def volume_gone() -> bool:
        try:
            core.read_persistent_volume(volume.metadata.name)
        except ApiException as exc:
            return exc.status == 404
        return False

    eventually(volume_gone, "the volume deleted with its claim")
    assert not directory.exists()


def test_a_claim_of_a_pod_on_a_fake_node_stays_pending(
    admin_client: client.ApiClient, real_node: RealNode, namespace: str
) -> None:
    """The default storage class and its provisioner come with the real node."""
    core = client.CoreV1Api(admin_client)
    core.create_namespaced_persistent_volume_claim(namespace, CLAIM)
    pod = {
        "metadata": {"name": "user"},
        "spec": {
            "containers": [{"name": "c", "image": "registry.invalid/c:1"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        },
    }
    core.create_namespaced_pod(namespace, pod)

    def picked() -> str | None:
        annotations = core.read_namespaced_persistent_volume_claim("data", namespace).metadata.annotations
        return (annotations or {}).get(volumes.SELECTED_NODE)

    assert eventually(picked, "the scheduler to pick a node").startswith("devcluster-node-")
    time.sleep(3)  # three polls of the provisioner
    assert core.read_namespaced_persistent_volume_claim("data", namespace).status.phase == "Pending"


# -- down -------------------------------------------------------------------------------------


def test_after_node_down_the_host_matches_its_state_before_up(
    devcluster: Devcluster, admin_client: client.ApiClient, real_node: RealNode, real_namespace: str
) -> None:
    """Runs last in this module: it stops the node (with a pod running) and starts it again."""
    core = client.CoreV1Api(admin_client)
    run_pod(core, real_namespace, "busy", real_node.python_image, ["sleep", "600"])
    plane = devcluster.plane
    before = node.comparable(plane.node.load_snapshot())

    plane.node_down()
    try:
        after = node.comparable(node.host_state())
        assert node.differences(before, after) == []
    finally:
        assert plane.node_up() is None
