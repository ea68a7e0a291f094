"""Berth on PostgreSQL through DATABASE_URL (psycopg 3): a real server, started here."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tools.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture
def postgres_url():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.fail("PostgreSQL is not installed: run `make test` (it installs Debian's postgresql).")
    bin_dir = Path(bins[-1])
    # Not pytest's tmp_path: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="berth-pg-"))
    data = base / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        os.chown(data, user.pw_uid, user.pw_gid)
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "berth"]),
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        _as_postgres(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(base),
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (
            subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            assert server.poll() is None and time.monotonic() < deadline, "postgres did not start"
            time.sleep(0.2)
        yield f"postgres://berth@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def test_migrate_and_record_an_action_on_postgresql(postgres_url):
    env = {
        **os.environ,
        "BERTH_MODE": "test",
        "DATABASE_URL": postgres_url,
        "DJANGO_SETTINGS_MODULE": "console.settings",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    script = (
        "from django.db import connection; from django.contrib.auth.models import User; "
        "from actions.models import Action; u = User.objects.create_user('pg'); "
        "a = Action.objects.create(kind='k', requested_by=u, requested_by_name='pg', "
        "parameters={'n': [1, 2]}); "
        "print(connection.vendor, Action.objects.get(pk=a.pk).parameters['n'])"
    )
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip().splitlines()[-1] == "postgresql [1, 2]"
