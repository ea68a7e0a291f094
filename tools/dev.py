"""`make dev`: everything a fresh machine needs, then Berth's web and worker.

Starts a redis-server and the local devcluster only when none is given (REDIS_URL,
KUBECONFIG) or already running, and on Ctrl-C stops exactly what it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from devcluster.images import CATALOG_VERSIONS
from devcluster.plane import Plane
from tools.services import free_port, redis_answers, redis_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def say(message: str) -> None:
    print(f"[berth dev] {message}", flush=True)


def run(*args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=capture)
    return result.stdout if capture else ""


def devcluster_running(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "devcluster", "status"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return result.returncode == 0


def berth_settings_for(cluster: dict[str, str]) -> dict[str, str]:
    """Berth's settings for the local cluster: where it is, its apps domain, router and registry."""
    settings = {"KUBECONFIG": cluster["KUBECONFIG"]}
    for process in ("WEB", "ACTIONS", "BUILDS"):
        # Each of Berth's processes with its own identity (the Procfile reads these).
        if cluster.get(f"KUBECONFIG_{process}"):
            settings[f"BERTH_{process}_KUBECONFIG"] = cluster[f"KUBECONFIG_{process}"]
    if cluster.get("APPS_DOMAIN"):
        settings["BERTH_APPS_DOMAIN"] = cluster["APPS_DOMAIN"]
    if cluster.get("ROUTER_URL"):
        settings["BERTH_ROUTER_HTTP_PORT"] = str(urlsplit(cluster["ROUTER_URL"]).port or "")
    if cluster.get("REGISTRY"):
        settings["BERTH_BUILD_REGISTRY"] = cluster["REGISTRY"]
        settings["BERTH_BUILD_REGISTRY_INSECURE"] = "1"  # the devcluster's registry speaks HTTP
    if cluster.get("IMAGE_REGISTRY"):
        # Projects' images go to the integrated registry, whose token service is Berth.
        settings["BERTH_BUILD_REGISTRY"] = cluster["IMAGE_REGISTRY"]
        settings["BERTH_REGISTRY_TOKEN_KEY"] = cluster["REGISTRY_TOKEN_KEY"]
        settings["BERTH_REGISTRY_TOKEN_ISSUER"] = cluster["REGISTRY_TOKEN_ISSUER"]
        settings["BERTH_REGISTRY_SERVICE"] = cluster["REGISTRY_TOKEN_SERVICE"]
        # Registry clients reach Berth's token service by the realm's address.
        hosts = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
        settings["ALLOWED_HOSTS"] = ",".join([*hosts, urlsplit(cluster["REGISTRY_TOKEN_REALM"]).hostname])
    if cluster.get("BUILDER_IMAGE"):
        settings["BERTH_BUILDER_IMAGE"] = cluster["BUILDER_IMAGE"]
    if cluster.get("PYTHON_IMAGE"):
        settings["BERTH_BUILD_DEFAULT_BUILDER_IMAGE"] = cluster["PYTHON_IMAGE"]
    settings["BERTH_IMAGE_CATALOG"] = json.dumps(image_catalog_for(cluster))
    if cluster.get("GIT_SERVER"):
        # The bundled templates' apps build from the samples the Git server offers.
        settings["BERTH_SAMPLES_GIT_URL"] = cluster["GIT_SERVER"]
    if cluster.get("PACKAGE_INDEX"):
        # Build pods have no way out: they install from the devcluster's package index.
        settings["BERTH_BUILD_PIP_INDEX_URL"] = cluster["PACKAGE_INDEX"]
        settings["BERTH_BUILD_PIP_TRUSTED_HOST"] = urlsplit(cluster["PACKAGE_INDEX"]).netloc
    return settings


def image_catalog_for(cluster: dict[str, str]) -> dict[str, dict[str, str]]:
    """The devcluster's images as Berth's image catalog (catalog.images)."""
    return {
        name: {version: cluster[f"{name.upper()}_IMAGE"]}
        for name, version in CATALOG_VERSIONS.items()
        if cluster.get(f"{name.upper()}_IMAGE")
    }


def ensure_admin(env: dict[str, str]) -> tuple[str, str]:
    password_file = Path(env["BERTH_DATA_DIR"]) / "dev-admin-password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    run(sys.executable, "manage.py", "dev_users", "--admin-password", password, env=env)
    return "admin", password


def main() -> int:
    env = {**os.environ, "BERTH_MODE": os.environ.get("BERTH_MODE", "development")}
    env.setdefault("BERTH_DATA_DIR", str(ROOT / ".data"))
    Path(env["BERTH_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    port = int(env.get("PORT") or 8000)
    with contextlib.ExitStack() as started:
        if "REDIS_URL" in os.environ:
            if not redis_answers(env["REDIS_URL"]):
                say(f"REDIS_URL={env['REDIS_URL']} does not answer; start that Redis or unset REDIS_URL.")
                return 1
        elif redis_answers(DEFAULT_REDIS):
            env["REDIS_URL"] = DEFAULT_REDIS
            say(f"using the Redis already running at {DEFAULT_REDIS}")
        else:
            env["REDIS_URL"] = started.enter_context(redis_server(port=free_port()))
            say(f"started redis-server at {env['REDIS_URL'].split('@')[-1]} (with a password of its own)")

        if env.get("KUBECONFIG"):
            say(f"using the cluster in KUBECONFIG={env['KUBECONFIG']}")
        else:
            was_running = devcluster_running(env)
            say("starting the local devcluster (the first run builds Kubernetes: tens of minutes)")
            run(sys.executable, "-m", "devcluster", "up", env=env)
            if not was_running:
                started.callback(run, sys.executable, "-m", "devcluster", "down", env=env)
            cluster = Plane().env()  # what `python -m devcluster env` prints
            env.update(berth_settings_for(cluster))
            say(f"local cluster: KUBECONFIG={env['KUBECONFIG']}")
            if cluster.get("REGISTRY_TOKEN_UPSTREAM"):
                # The registry asks this Berth for its tokens.
                Path(cluster["REGISTRY_TOKEN_UPSTREAM"]).write_text(f"127.0.0.1:{port}\n")
            if cluster.get("GIT_SERVER"):
                say(
                    f"Git server for builds: {cluster['GIT_SERVER']}<name>.git serves the bare "
                    f"repositories in {cluster['GIT_ROOT']} (push to them by path); try Import from "
                    f"Git with {cluster['GIT_SERVER']}django-hello.git"
                )
            if cluster.get("REAL_NODE"):
                say(
                    f"real node {cluster['REAL_NODE']}: apps run for real; routes answer at "
                    f"http://<name>-<project>.{cluster['APPS_DOMAIN']}:{env['BERTH_ROUTER_HTTP_PORT']}/"
                )
            else:
                say(f"no real node ({cluster.get('REAL_NODE_REASON', '')}): pods are kwok's simulations")

        run(sys.executable, "manage.py", "migrate", "--no-input", env=env)
        if not os.environ.get("KUBECONFIG"):
            # The local cluster's admin credentials may apply Berth's RBAC; a real
            # cluster's administrator applies deploy/rbac.yaml themselves.
            run(sys.executable, "manage.py", "cluster_bootstrap", "--devcluster", env=env)
        user, password = ensure_admin(env)
        url = f"http://127.0.0.1:{port}/"
        say(
            f"Berth runs at {url}  (log in as {user} / {password}; devcluster people alice, bob, carol "
            f"share that password)"
        )
        say("Ctrl-C stops the web server, the worker and whatever this command started.")
        env["PORT"] = str(port)
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "start", "-f", "Procfile"], cwd=ROOT, env=env
        )
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            return honcho.wait()


if __name__ == "__main__":
    raise SystemExit(main())
