"""Container images made from Debian's packages, for the real node.

Each image is an OCI image layout under ``~/.cache/berth/images/<name>-<hash>/``,
where the hash covers what decides its content: the package list, the set-up
commands, the image config and this file. A layout that exists is reused; making
one costs a ``mmdebstrap`` run (one to two minutes). ``push`` copies a layout into
the devcluster registry with skopeo unless the registry already has that tag.

- ``berth/pause``: the sandbox ("pause") container, a 10 KiB static C program.
- ``berth/python``: builder and runtime in one (Debian's python3, pip, venv, git),
  laid out like sclorg's s2i-python-container: ``/opt/app-root/src`` is the working
  directory and HOME, user 1001 (group 0), port 8080.
- ``berth/postgresql``: Debian's PostgreSQL 15, initialised on first start from
  ``POSTGRESQL_USER``, ``POSTGRESQL_PASSWORD``, ``POSTGRESQL_DATABASE`` (and
  ``POSTGRESQL_ADMIN_PASSWORD``) as sclorg's image is; data in
  ``/var/lib/pgsql/data``, port 5432, user 26; ``/usr/libexec/check-container
  [--live]`` is the probe sclorg's templates name.
- ``berth/redis``: Debian's redis-server on port 6379, data in ``/data``, user 1001.
- ``berth/builder``: what a build pod runs: git (clone), buildah (build, push) and
  skopeo (an incremental build looks its builder image up without pulling it).

Every image runs ``tini`` as PID 1, so SIGTERM reaches the program and pods stop
at once instead of after the grace period.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import inspect
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from devcluster import build

SUITE = "bookworm"
MIRRORS = (
    f"deb http://deb.debian.org/debian {SUITE} main",
    f"deb http://deb.debian.org/debian {SUITE}-updates main",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main",
)

PAUSE_C = r"""
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
    struct sigaction q = {0}, r = {0};
    q.sa_handler = quit;
    r.sa_handler = reap;
    r.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGINT, &q, NULL);
    sigaction(SIGTERM, &q, NULL);
    sigaction(SIGCHLD, &r, NULL);
    for (;;) pause();
}
"""

POSTGRESQL_ENTRYPOINT = r"""#!/bin/sh
# Like sclorg's postgresql container: the first start initialises the cluster from
# POSTGRESQL_USER / POSTGRESQL_PASSWORD / POSTGRESQL_DATABASE (and optionally
# POSTGRESQL_ADMIN_PASSWORD for the postgres user); later starts reuse the data.
set -eu
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/pgsql/data/userdata}
export PGDATA
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRESQL_ADMIN_PASSWORD:-}" ] && \
     [ -z "${POSTGRESQL_USER:-}${POSTGRESQL_PASSWORD:-}${POSTGRESQL_DATABASE:-}" ]; then
    echo "Set POSTGRESQL_USER, POSTGRESQL_PASSWORD and POSTGRESQL_DATABASE" \
         "(and/or POSTGRESQL_ADMIN_PASSWORD)." >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "unix_socket_directories = '/tmp'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # While it initialises, the server listens on a socket of its own only: the probe
  # (check-container, on /tmp's socket) fails until the server clients reach is up.
  INIT_SOCKET=$(mktemp -d)
  "$PGBIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$INIT_SOCKET" \
    -w start >/dev/null
  # psql interpolates :"name" and :'value' safely, but only in commands read from stdin.
  q() { "$PGBIN/psql" -h "$INIT_SOCKET" -U postgres -d postgres -v ON_ERROR_STOP=1 -q "$@"; }
  if [ -n "${POSTGRESQL_USER:-}" ]; then
    echo 'CREATE USER :"u" WITH PASSWORD :'"'p'"';' | \
      q -v u="$POSTGRESQL_USER" -v p="${POSTGRESQL_PASSWORD:-}"
  fi
  if [ -n "${POSTGRESQL_DATABASE:-}" ]; then
    echo 'CREATE DATABASE :"d" OWNER :"u";' | \
      q -v d="$POSTGRESQL_DATABASE" -v u="${POSTGRESQL_USER:-postgres}"
  fi
  if [ -n "${POSTGRESQL_ADMIN_PASSWORD:-}" ]; then
    echo 'ALTER USER postgres WITH PASSWORD :'"'p'"';' | q -v p="$POSTGRESQL_ADMIN_PASSWORD"
  fi
  "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  rmdir "$INIT_SOCKET"
fi
exec "$PGBIN/postgres" -D "$PGDATA"
"""


@dataclass(frozen=True)
class ImageSpec:
    name: str  # repository in the registry, e.g. berth/python
    packages: tuple[str, ...] = ()
    # Shell run on the host after the packages are in, with $1 = the root directory.
    setup: str = ""
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (content, mode)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    user: str = ""
    workdir: str = ""
    ports: tuple[int, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {"Env": list(self.env)}
        if self.entrypoint:
            config["Entrypoint"] = list(self.entrypoint)
        if self.cmd:
            config["Cmd"] = list(self.cmd)
        if self.user:
            config["User"] = self.user
        if self.workdir:
            config["WorkingDir"] = self.workdir
        if self.ports:
            config["ExposedPorts"] = {f"{port}/tcp": {} for port in self.ports}
        if self.labels:
            config["Labels"] = dict(self.labels)
        return config

    def digest_input(self) -> bytes:
        return json.dumps(
            {
                "suite": SUITE,
                "mirrors": MIRRORS,
                "packages": sorted(self.packages),
                "setup": self.setup,
                "files": self.files,
                "config": self.config(),
                # The code that turns packages into a layer, not the whole module: a
                # change to a docstring must not remake every image.
                "code": [inspect.getsource(f) for f in (_debian_rootfs, _pause_rootfs, _write_layout)],
                "pause": PAUSE_C if not self.packages else "",
            },
            sort_keys=True,
        ).encode()

    @property
    def key(self) -> str:
        return hashlib.sha256(self.digest_input()).hexdigest()[:12]

    @property
    def short(self) -> str:
        return self.name.rsplit("/", 1)[-1]


S2I_ASSEMBLE = r"""#!/bin/bash
# Source-to-image assemble, after sclorg's s2i-python-container: the source (in
# /tmp/src) goes to /opt/app-root/src, its dependencies into the /opt/app-root venv.
set -e
shopt -s dotglob
echo "---> Installing application source ..."
if [ -d /tmp/src ]; then cp -a /tmp/src/. "$HOME"/ && rm -rf /tmp/src/* 2>/dev/null || true; fi
cd "$HOME"
if [ -f requirements.txt ]; then
  echo "---> Installing dependencies ..."
  pip install -r requirements.txt
fi
if [ -f setup.py ] || [ -f pyproject.toml ]; then
  echo "---> Installing application ..."
  pip install .
fi
chmod -R g+rwX "$APP_ROOT" 2>/dev/null || true
"""

S2I_RUN = r"""#!/bin/bash
# Source-to-image run, after sclorg's: APP_SCRIPT, else APP_FILE (app.py), else
# gunicorn with APP_MODULE (or wsgi.py), on port 8080.
set -e
cd "$HOME"
if [ -n "${APP_SCRIPT:-}" ]; then exec bash "$APP_SCRIPT"; fi
APP_FILE=${APP_FILE:-app.py}
if [ -f "$APP_FILE" ]; then exec python "$APP_FILE"; fi
if command -v gunicorn >/dev/null; then
  if [ -n "${APP_MODULE:-}" ]; then exec gunicorn "$APP_MODULE" --bind=0.0.0.0:8080 --access-logfile=-; fi
  if [ -f wsgi.py ]; then exec gunicorn wsgi --bind=0.0.0.0:8080 --access-logfile=-; fi
fi
echo "Nothing to run: add app.py, or set APP_SCRIPT, APP_FILE or APP_MODULE (with gunicorn)." >&2
exit 1
"""

APP_ROOT = "/opt/app-root"
_APP_USER = (
    f'set -e; chroot "$1" useradd -u 1001 -g 0 -d {APP_ROOT}/src -M -s /bin/bash default; '
    # A venv owned by the app user: Debian's Python refuses pip installs otherwise (PEP 668).
    f'chroot "$1" python3 -m venv {APP_ROOT}; '
    f'mkdir -p "$1{APP_ROOT}/src" "$1{APP_ROOT}/bin"; '
    f'chown -R 1001:0 "$1{APP_ROOT}"; chmod -R g+rwX "$1{APP_ROOT}"'
)

PAUSE = ImageSpec("berth/pause", entrypoint=("/pause",), user="65535:65535")
PYTHON = ImageSpec(
    "berth/python",
    packages=("tini", "ca-certificates", "python3", "python3-pip", "python3-venv", "git"),
    setup=_APP_USER,
    files={"/usr/libexec/s2i/assemble": (S2I_ASSEMBLE, 0o755), "/usr/libexec/s2i/run": (S2I_RUN, 0o755)},
    entrypoint=("/usr/bin/tini", "--"),
    cmd=("/usr/libexec/s2i/run",),
    env=(
        f"PATH={APP_ROOT}/src/.local/bin:{APP_ROOT}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        f"HOME={APP_ROOT}/src",
        f"APP_ROOT={APP_ROOT}",
        f"VIRTUAL_ENV={APP_ROOT}",
        "STI_SCRIPTS_PATH=/usr/libexec/s2i",
        "PYTHONUNBUFFERED=1",
        "PYTHONIOENCODING=UTF-8",
        "LANG=C.UTF-8",
        "PIP_NO_CACHE_DIR=off",
        "PORT=8080",
    ),
    user="1001",
    workdir=f"{APP_ROOT}/src",
    ports=(8080,),
    labels=(
        ("io.openshift.s2i.scripts-url", "image:///usr/libexec/s2i"),
        ("io.openshift.expose-services", "8080:http"),
    ),
)
POSTGRESQL_CHECK = r"""#!/bin/sh
# Like sclorg's postgresql container's probe: ready when the server answers a query
# (``--live``: when it accepts connections at all, what a liveness probe needs).
if [ "${1:-}" = "--live" ]; then
  exec pg_isready -q -h /tmp
fi
exec psql -h /tmp -U postgres -d postgres -tAq -c "SELECT 1" >/dev/null
"""
POSTGRESQL = ImageSpec(
    "berth/postgresql",
    packages=("tini", "postgresql-15", "postgresql-client-15", "locales-all"),
    setup=(
        'set -e; chroot "$1" usermod -u 26 -d /var/lib/pgsql postgres; '
        'mkdir -p "$1/var/lib/pgsql/data" "$1/var/run/postgresql"; '
        'chown -R 26:0 "$1/var/lib/pgsql" "$1/var/run/postgresql"; chmod -R g+rwX "$1/var/lib/pgsql"'
    ),
    files={
        "/usr/bin/run-postgresql": (POSTGRESQL_ENTRYPOINT, 0o755),
        "/usr/libexec/check-container": (POSTGRESQL_CHECK, 0o755),
    },
    entrypoint=("/usr/bin/tini", "--"),
    cmd=("run-postgresql",),
    env=(
        "PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/var/lib/pgsql",
        "PGDATA=/var/lib/pgsql/data/userdata",
        "LANG=C.UTF-8",
    ),
    user="26",
    workdir="/var/lib/pgsql",
    ports=(5432,),
)
REDIS = ImageSpec(
    "berth/redis",
    packages=("tini", "redis-server"),
    setup='set -e; mkdir -p "$1/data"; chown 1001:0 "$1/data"; chmod g+rwX "$1/data"',
    entrypoint=("/usr/bin/tini", "--"),
    # 0.0.0.0 inside the pod's own network namespace: the pod address.
    cmd=(
        "redis-server",
        "--bind",
        "0.0.0.0",  # noqa: S104
        "--protected-mode",
        "no",
        "--dir",
        "/data",
        "--port",
        "6379",
    ),
    user="1001",
    workdir="/data",
    ports=(6379,),
)
# Build pods: git clones the source, buildah builds and pushes the image (chroot
# isolation, no daemon), as root in the pod. Its storage lives in the pod's emptyDir.
BUILDER_STORAGE = """[storage]
driver = "overlay"
runroot = "/var/lib/containers/run"
graphroot = "/var/lib/containers/storage"
"""
BUILDER = ImageSpec(
    "berth/builder",
    packages=("tini", "ca-certificates", "git", "openssh-client", "buildah", "fuse-overlayfs", "skopeo"),
    files={"/etc/containers/storage.conf": (BUILDER_STORAGE, 0o644)},
    entrypoint=("/usr/bin/tini", "--"),
    cmd=("buildah", "--version"),
    env=(
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "BUILDAH_ISOLATION=chroot",
        "LANG=C.UTF-8",
    ),
    workdir="/workspace",
)
IMAGES = (PAUSE, PYTHON, POSTGRESQL, REDIS, BUILDER)
# The versions Debian's packages give these images: Berth's image catalog names them so
# (python:3.11, postgresql:15, redis:7), as OpenShift's openshift namespace does its own.
CATALOG_VERSIONS = {"python": "3.11", "postgresql": "15", "redis": "7"}


class ImageError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"[devcluster images] {message}", file=sys.stderr, flush=True)


def images_root() -> Path:
    return build.cache_root() / "images"


def layout_dir(spec: ImageSpec) -> Path:
    return images_root() / f"{spec.short}-{spec.key}"


def missing() -> list[ImageSpec]:
    return [spec for spec in IMAGES if not (layout_dir(spec) / "index.json").is_file()]


def ensure_all() -> dict[str, Path]:
    for spec in missing():
        make(spec)
    return {spec.name: layout_dir(spec) for spec in IMAGES}


def make(spec: ImageSpec) -> Path:
    target = layout_dir(spec)
    images_root().mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"{spec.short}-", dir=images_root()) as tmp:
        work = Path(tmp)
        rootfs = work / "rootfs.tar"
        if spec is PAUSE or not spec.packages:
            _pause_rootfs(work, rootfs)
        else:
            _debian_rootfs(spec, work, rootfs)
        layout = work / "oci"
        _write_layout(spec, rootfs, layout)
        shutil.rmtree(target, ignore_errors=True)
        layout.rename(target)
    _log(f"made {spec.name} in {time.monotonic() - began:.0f}s: {target}")
    return target


def _pause_rootfs(work: Path, rootfs: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise ImageError("a C compiler (gcc, with Debian's libc6-dev) is needed to make the pause image")
    source = work / "pause.c"
    source.write_text(PAUSE_C)
    binary = work / "pause"
    proc = subprocess.run(
        [cc, "-static", "-Os", "-s", "-o", str(binary), str(source)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise ImageError(f"compiling the pause program failed: {proc.stderr.strip()}")
    with tarfile.open(rootfs, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tar.gettarinfo(str(binary), arcname="pause")
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode = 0o755
        with binary.open("rb") as fh:
            tar.addfile(info, fh)


def _debian_rootfs(spec: ImageSpec, work: Path, rootfs: Path) -> None:
    if not shutil.which("mmdebstrap"):
        raise ImageError("mmdebstrap is needed to make images from Debian's packages (tools/system-deps.sh)")
    hooks: list[str] = []
    for index, (path, (content, mode)) in enumerate(sorted(spec.files.items())):
        local = work / f"file-{index}"
        local.write_text(content)
        local.chmod(mode)
        hooks.append(f'install -D -m {mode:o} {local} "$1{path}"')
    if spec.setup:
        hooks.append(spec.setup)
    # Keep the image lean: no apt lists, docs or man pages (dpkg excludes them).
    hooks.append('rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log')
    args = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        "--format=tar",
        "--quiet",
        "--skip=output/dev",
        "--aptopt=Acquire::Retries 3",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        f"--include={','.join(spec.packages)}",
        *[f"--customize-hook={hook}" for hook in hooks],
        SUITE,
        str(rootfs),
        *MIRRORS,
    ]
    _log(f"making {spec.name} from Debian {SUITE}: {', '.join(spec.packages)} (a minute or two)")
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "TMPDIR": str(work)})
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
        raise ImageError(f"mmdebstrap failed for {spec.name}:\n{tail}")


def _write_blob(layout: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}", len(data)


def _write_layout(spec: ImageSpec, rootfs: Path, layout: Path) -> None:
    """The rootfs tar as the one gzip layer of an OCI image layout."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layer_tmp = layout / "layer.tmp"
    diff = hashlib.sha256()
    # mtime=0: the same rootfs gives the same layer digest.
    with (
        rootfs.open("rb") as src,
        layer_tmp.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) as gz,
    ):
        while chunk := src.read(1 << 20):
            diff.update(chunk)
            gz.write(chunk)
    layer_digest = hashlib.sha256(layer_tmp.read_bytes()).hexdigest()
    layer_size = layer_tmp.stat().st_size
    layer_tmp.rename(blobs / layer_digest)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": spec.config(),
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff.hexdigest()}"]},
        "history": [{"created_by": f"devcluster.images {spec.name} {spec.key}"}],
    }
    config_digest, config_size = _write_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": f"sha256:{layer_digest}",
                "size": layer_size,
            }
        ],
    }
    manifest_digest, manifest_size = _write_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {"org.opencontainers.image.ref.name": spec.key},
            }
        ],
    }
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (layout / "index.json").write_text(json.dumps(index))


def reference(spec: ImageSpec, registry: str) -> str:
    return f"{registry}/{spec.name}:{spec.key}"


def in_registry(spec: ImageSpec, registry: str) -> bool:
    host, port = registry.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(
            "HEAD",
            f"/v2/{spec.name}/manifests/{spec.key}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def push(spec: ImageSpec, registry: str) -> str:
    """Copy the image into the registry (unless it is there already); its reference."""
    ref = reference(spec, registry)
    if in_registry(spec, registry):
        return ref
    layout = layout_dir(spec)
    if not (layout / "index.json").is_file():
        make(spec)
    began = time.monotonic()
    proc = subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            f"oci:{layout}:{spec.key}",
            f"docker://{ref}",
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise ImageError(f"pushing {spec.name} failed: {proc.stderr.strip()}")
    _log(f"pushed {ref} in {time.monotonic() - began:.1f}s")
    return ref


def derive(base: ImageSpec, target: Path, files: dict[str, bytes], cmd: tuple[str, ...]) -> Path:
    """A new OCI layout at `target`: `base`'s layers plus one with `files` (path -> bytes,
    world-readable), and `cmd`. A small stand-in for an application image."""
    source = layout_dir(base)
    if not (source / "index.json").is_file():
        make(base)
    blobs = target / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    index = json.loads((source / "index.json").read_text())
    manifest = json.loads(_blob(source, index["manifests"][0]["digest"]))
    config = json.loads(_blob(source, manifest["config"]["digest"]))
    for layer in manifest["layers"]:
        shutil.copyfile(
            source / "blobs" / "sha256" / layer["digest"].split(":")[1], blobs / layer["digest"][7:]
        )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    layer = gzip.compress(tar_bytes, mtime=0)
    layer_digest, layer_size = _write_blob(target, layer)
    config["rootfs"]["diff_ids"].append(f"sha256:{hashlib.sha256(tar_bytes).hexdigest()}")
    config["config"]["Cmd"] = list(cmd)
    config_digest, config_size = _write_blob(target, json.dumps(config, sort_keys=True).encode())
    manifest["config"].update(digest=config_digest, size=config_size)
    manifest["layers"].append(
        {
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer_size,
        }
    )
    manifest_digest, manifest_size = _write_blob(target, json.dumps(manifest, sort_keys=True).encode())
    index["manifests"] = [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }
    ]
    (target / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (target / "index.json").write_text(json.dumps(index))
    return target


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def copy_to_registry(layout: Path, tag: str, ref: str) -> None:
    proc = subprocess.run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:{tag}", f"docker://{ref}"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise ImageError(f"pushing {ref} failed: {proc.stderr.strip()}")
