"""Berth's bundled app templates and the devcluster samples they build, on their own: each
template processes with one value given (its Git repository) into objects that
catalog.openshift maps without a problem, and each sample passes its own checks with no
cluster, no database server and no Redis (in a copy: the devcluster commits a sample's
directory as it is, so no __pycache__ may land in it)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.images import catalog_image
from catalog.openshift import (
    IMAGE_TRIGGERS,
    build_config_data,
    deployment_from_config,
    is_build_config,
    is_deployment_config,
)
from catalog.processing import Processed, TemplateError, template_process
from catalog.selectors import SAMPLE_ANNOTATION, bundled_templates
from tests.helpers import ROOT

SAMPLES = ROOT / "devcluster" / "samples"
GIT = "git://192.0.2.1:9418/sample.git"
REGISTRY = "registry.test:5000"
CATALOG = {
    "python": {"3.11": "catalog/python:3.11"},
    "postgresql": {"15": "catalog/postgresql:15"},
    "redis": {"7": "catalog/redis:7"},
}
APPS = {
    # template: (its sample, the kinds it makes, in order)
    "django-psql-persistent": (
        "django-psql",
        [
            "Secret",
            "Service",
            "Route",
            "ImageStream",
            "BuildConfig",
            "DeploymentConfig",
            "PersistentVolumeClaim",
            "Service",
            "DeploymentConfig",
        ],
    ),
    "flask": ("flask-hello", ["Service", "Route", "ImageStream", "BuildConfig", "DeploymentConfig"]),
    "python-celery-redis": (
        "celery-redis",
        [
            "Service",
            "Route",
            "ImageStream",
            "BuildConfig",
            "DeploymentConfig",
            "DeploymentConfig",
            "Service",
            "DeploymentConfig",
        ],
    ),
}


def made(name: str, **values: str) -> Processed:
    return template_process(bundled_templates()[name].template, {"SOURCE_REPOSITORY_URL": GIT, **values})


def by_name(processed: Processed, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in processed.objects if o["kind"] == kind}


def container(dc: dict) -> dict:
    (only,) = dc["spec"]["template"]["spec"]["containers"]
    return only


@pytest.mark.parametrize("name", sorted(APPS))
def test_an_app_template_builds_its_sample_with_one_value_given(name, settings):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    template = bundled_templates()[name].template
    sample, kinds = APPS[name]
    assert template.annotations[SAMPLE_ANNOTATION] == sample
    assert (SAMPLES / sample / "requirements.txt").is_file()
    assert all(p.display_name for p in template.parameters)
    # Everything has a value or a generator but the repository, which Berth fills in.
    assert [p.name for p in template.parameters if p.required and not (p.value or p.generated)] == [
        "SOURCE_REPOSITORY_URL"
    ]
    with pytest.raises(TemplateError, match="Git repository is required"):
        template_process(template, {})

    processed = made(name)
    assert [o["kind"] for o in processed.objects] == kinds
    app = processed.values["NAME"]
    assert all(o["metadata"]["labels"] == {"template": name, "app": app} for o in processed.objects)
    route = by_name(processed, "Route")[app]
    assert route["spec"]["host"] == "" and route["spec"]["to"]["name"] == app  # Berth's default host

    # What catalog.openshift makes of them, with nothing it can't do.
    (bc,) = (o for o in processed.objects if is_build_config(o))
    data, secrets, problems = build_config_data(bc, project="shop", registry=REGISTRY, resolve=catalog_image)
    assert problems == []
    assert (data["git_uri"], data["strategy"], data["builder_image"]) == (
        GIT,
        "source",
        "catalog/python:3.11",
    )
    assert data["output_image"] == f"{REGISTRY}/shop/{app}:latest"
    assert data["trigger_github"] and data["trigger_config_change"] and data["trigger_image_change"]
    assert secrets == {"github_secret": processed.values["GITHUB_WEBHOOK_SECRET"]}
    for dc in (o for o in processed.objects if is_deployment_config(o)):
        deployment, problems = deployment_from_config(
            dc, project="shop", registry=REGISTRY, resolve=catalog_image
        )
        assert problems == [], dc["metadata"]["name"]
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        if image.startswith(REGISTRY):  # the app's own: follows its stream
            assert image == f"{REGISTRY}/shop/{app}:latest"
            assert IMAGE_TRIGGERS in deployment["metadata"]["annotations"]
        else:
            assert image in ("catalog/postgresql:15", "catalog/redis:7")


def test_the_django_template_wires_the_app_to_its_database():
    processed = made("django-psql-persistent")
    values = processed.values
    assert values["NAME"] == "django-psql" and values["DATABASE_ENGINE"] == "postgresql"
    assert (values["PYTHON_VERSION"], values["POSTGRESQL_VERSION"], values["NAMESPACE"]) == (
        "3.11",
        "15",
        "openshift",
    )
    secret = by_name(processed, "Secret")["django-psql"]["stringData"]
    assert (secret["database-name"], secret["database-user"]) == ("django", "django")
    assert (
        secret["database-password"] == values["DATABASE_PASSWORD"] and len(values["DATABASE_PASSWORD"]) == 24
    )
    assert (
        secret["django-secret-key"] == values["DJANGO_SECRET_KEY"] and len(values["DJANGO_SECRET_KEY"]) == 50
    )

    bc = by_name(processed, "BuildConfig")["django-psql"]["spec"]
    assert bc["postCommit"] == {"script": "python manage.py test"}
    assert bc["strategy"]["sourceStrategy"]["from"] == {
        "kind": "ImageStreamTag",
        "namespace": "openshift",
        "name": "python:3.11",
    }

    dcs = by_name(processed, "DeploymentConfig")
    web = container(dcs["django-psql"])
    for probe in ("readinessProbe", "livenessProbe"):
        assert web[probe]["httpGet"] == {"path": "/health", "port": 8080}
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in web["env"]}
    assert env["DATABASE_SERVICE_NAME"] == "postgresql"
    assert env["DATABASE_ENGINE"] == "postgresql"
    for name, key in [
        ("DATABASE_NAME", "database-name"),
        ("DATABASE_USER", "database-user"),
        ("DATABASE_PASSWORD", "database-password"),
        ("DJANGO_SECRET_KEY", "django-secret-key"),
    ]:
        assert env[name] == {"secretKeyRef": {"name": "django-psql", "key": key}} and key in secret
    assert env["APP_CONFIG"] == ""

    assert "postgresql" in by_name(processed, "Service")
    pvc = by_name(processed, "PersistentVolumeClaim")["postgresql"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
    database = dcs["postgresql"]["spec"]
    assert database["strategy"] == {"type": "Recreate"}
    assert (
        database["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
        == pvc["metadata"]["name"]
    )
    postgresql = container(dcs["postgresql"])
    assert postgresql["volumeMounts"][0]["mountPath"] == "/var/lib/pgsql/data"
    assert postgresql["readinessProbe"]["exec"]["command"] == ["/usr/libexec/check-container"]
    assert postgresql["livenessProbe"]["exec"]["command"] == ["/usr/libexec/check-container", "--live"]


def test_the_celery_template_runs_one_image_as_web_and_worker():
    processed = made("python-celery-redis")
    dcs = by_name(processed, "DeploymentConfig")
    assert set(dcs) == {"celery-redis", "celery-redis-worker", "celery-redis-redis"}
    for name in ("celery-redis", "celery-redis-worker"):
        (trigger,) = (t for t in dcs[name]["spec"]["triggers"] if t["type"] == "ImageChange")
        assert trigger["imageChangeParams"]["from"] == {
            "kind": "ImageStreamTag",
            "name": "celery-redis:latest",
        }
        env = {e["name"]: e["value"] for e in container(dcs[name])["env"]}
        assert env == {"REDIS_URL": "redis://celery-redis-redis:6379/0"}
    worker = container(dcs["celery-redis-worker"])
    assert "command" not in worker  # the image's entrypoint stays
    assert worker["args"] == ["celery", "-A", "tasks", "worker", "--loglevel=INFO", "--concurrency=1"]
    assert container(dcs["celery-redis"])["readinessProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    redis = by_name(processed, "Service")["celery-redis-redis"]["spec"]
    assert redis["ports"][0]["port"] == 6379 and redis["selector"] == {"name": "celery-redis-redis"}
    (trigger,) = (t for t in dcs["celery-redis-redis"]["spec"]["triggers"] if t["type"] == "ImageChange")
    assert trigger["imageChangeParams"]["from"] == {
        "kind": "ImageStreamTag",
        "namespace": "openshift",
        "name": "redis:7",
    }


# --- the samples ----------------------------------------------------------------------


def run_sample(sample: str, tmp_path: Path, argv: list[str], env: dict[str, str] | None = None):
    """``argv`` in a copy of ``sample``, with none of the test run's own settings."""
    work = tmp_path / sample
    shutil.copytree(SAMPLES / sample, work, ignore=shutil.ignore_patterns("__pycache__"))
    clean = {
        k: v
        for k, v in os.environ.items()
        if k != "DJANGO_SETTINGS_MODULE" and not k.startswith(("DATABASE_", "REDIS_"))
    }
    return subprocess.run(
        argv,
        cwd=work,
        env={**clean, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_django_sample_passes_its_own_tests_under_sqlite(tmp_path):
    # As the template's postCommit runs them in the built image: no database server.
    tested = run_sample("django-psql", tmp_path, [sys.executable, "manage.py", "test"])
    assert tested.returncode == 0, tested.stderr
    assert "Ran 2 tests" in tested.stderr
    checked = run_sample(
        "django-psql",
        tmp_path / "again",
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr  # its migration matches its model


def test_the_django_sample_finds_the_database_the_template_names(tmp_path):
    processed = made("django-psql-persistent", DATABASE_SERVICE_NAME="shop-db")
    web = container(by_name(processed, "DeploymentConfig")["django-psql"])
    env = {e["name"]: e["value"] for e in web["env"] if "value" in e}
    env |= {"DATABASE_NAME": "django", "DATABASE_USER": "django", "DATABASE_PASSWORD": "pw"}
    # What Kubernetes gives a pod for each Service of its namespace.
    env |= {"SHOP_DB_SERVICE_HOST": "10.96.0.7", "SHOP_DB_SERVICE_PORT": "5432"}
    shown = run_sample(
        "django-psql",
        tmp_path,
        [
            sys.executable,
            "-c",
            "import json; from config import settings; print(json.dumps(settings.DATABASES))",
        ],
        env,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["default"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "django",
        "USER": "django",
        "PASSWORD": "pw",
        "HOST": "10.96.0.7",
        "PORT": "5432",
    }


def test_the_celery_samples_task_and_the_workers_app(tmp_path):
    worked = run_sample(
        "celery-redis",
        tmp_path,
        [sys.executable, "-c", "import json, tasks; print(json.dumps(tasks.add.apply(args=(2, 3)).get()))"],
    )
    assert worked.returncode == 0, worked.stderr
    assert json.loads(worked.stdout) == {"sum": 5, "worker": socket.gethostname()}
    # The worker's `celery -A tasks` finds the app from the working directory.
    celery = Path(sys.executable).with_name("celery")
    reported = run_sample("celery-redis", tmp_path / "again", [str(celery), "-A", "tasks", "report"])
    assert reported.returncode == 0, reported.stderr
    assert "results:redis://redis:6379/0" in reported.stdout  # REDIS_URL's default
