"""Certificates, keys and the static token file of the devcluster, made with openssl.

Everything lives under ``<state>/pki``. Files are generated once and reused by later
``up`` runs, so kubeconfigs and tokens handed out earlier stay valid across restarts.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The apiserver gives the `kubernetes` Service the first address of this range; its
# serving certificate must name that address too, as a real cluster's does.
SERVICE_CIDR = "10.96.0.0/16"
FIRST_SERVICE_IP = "10.96.0.1"

# Test identities served by the static token file. The admin identity is also reachable
# by client certificate (the kubeconfig); the token variant lets code that only knows
# bearer tokens (like Berth's own settings) act as a cluster admin.
IDENTITIES: dict[str, tuple[str, ...]] = {
    "admin": ("system:masters",),
    "alice": ("developers",),
    "bob": ("developers", "qa"),
    "carol": ("qa",),
    # Berth's own processes, each with its ClusterRole (deploy/rbac.yaml).
    "berth-web": (),
    "berth-actions": (),
    "berth-builds": (),
}


class PKIError(RuntimeError):
    pass


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class LeafSpec:
    name: str
    common_name: str
    organisations: tuple[str, ...] = ()
    server: bool = False
    client: bool = False
    sans: tuple[str, ...] = ()


LOOPBACK_SANS = ("IP:127.0.0.1", "DNS:localhost")

LEAVES: tuple[LeafSpec, ...] = (
    LeafSpec(
        "apiserver",
        "kube-apiserver",
        server=True,
        sans=(
            *LOOPBACK_SANS,
            f"IP:{FIRST_SERVICE_IP}",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ),
    ),
    # The apiserver presents this to kwok's kubelet endpoint (logs, exec).
    LeafSpec("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",), client=True),
    LeafSpec("admin", "devcluster-admin", ("system:masters",), client=True),
    # The controller manager and scheduler use their real identities, so the
    # bootstrap RBAC roles are exercised as in a real cluster.
    LeafSpec("kube-controller-manager", "system:kube-controller-manager", client=True),
    LeafSpec("kube-scheduler", "system:kube-scheduler", client=True),
    # kwok updates node and pod status of every fake node and impersonates pods'
    # service accounts, so it gets cluster admin like kwokctl gives it.
    LeafSpec("kwok", "kwok-controller", ("system:masters",), client=True),
    # Serving certificates of the loopback components, signed by the cluster CA so
    # health checks and the apiserver (for kwok) can verify them.
    LeafSpec("kwok-serving", "kwok", server=True, sans=LOOPBACK_SANS),
    LeafSpec("kube-controller-manager-serving", "kube-controller-manager", server=True, sans=LOOPBACK_SANS),
    LeafSpec("kube-scheduler-serving", "kube-scheduler", server=True, sans=LOOPBACK_SANS),
)


class PKI:
    def __init__(self, directory: Path) -> None:
        self.dir = directory

    @property
    def ca(self) -> Pair:
        return Pair(self.dir / "ca.crt", self.dir / "ca.key")

    def pair(self, name: str) -> Pair:
        return Pair(self.dir / f"{name}.crt", self.dir / f"{name}.key")

    @property
    def sa_private(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_public(self) -> Path:
        return self.dir / "sa.pub"

    @property
    def token_csv(self) -> Path:
        return self.dir / "tokens.csv"

    @property
    def token_json(self) -> Path:
        return self.dir / "tokens.json"

    def _expected(self) -> list[Path]:
        files = [self.ca.cert, self.ca.key, self.sa_private, self.sa_public, self.token_csv, self.token_json]
        for leaf in LEAVES:
            files += [self.pair(leaf.name).cert, self.pair(leaf.name).key]
        return files

    def complete(self) -> bool:
        if not all(path.is_file() for path in self._expected()):
            return False
        # An identity added since, or tokens written with an empty group: made again.
        rows = self.token_csv.read_text().splitlines()
        return set(IDENTITIES) <= set(self.tokens()) and not any(row.endswith(",") for row in rows)

    def ensure(self) -> bool:
        """Create whatever is missing. Returns True when anything was generated.

        A partial directory (an interrupted earlier run) is regenerated whole: leaf
        certificates signed by a lost CA would be useless.
        """
        if self.complete():
            return False
        if not shutil.which("openssl"):
            raise PKIError("openssl is needed to make the devcluster certificates and is not on PATH")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, mode=0o700)
        self._make_ca()
        for leaf in LEAVES:
            self._make_leaf(leaf)
        self._make_sa_keys()
        self._make_tokens()
        for leftover in (self.dir / "ca.srl", *self.dir.glob("*.csr"), *self.dir.glob("*.ext")):
            leftover.unlink(missing_ok=True)
        return True

    def ensure_leaf(self, leaf: LeafSpec) -> Pair:
        """A certificate made on demand (the real node's), remade when the CA is newer
        or its subject or names changed."""
        pair = self.pair(leaf.name)
        stamp = self.dir / f"{leaf.name}.spec"
        wanted = repr(leaf)
        fresh = (
            pair.cert.is_file()
            and pair.key.is_file()
            and stamp.is_file()
            and stamp.read_text() == wanted
            and pair.cert.stat().st_mtime >= self.ca.cert.stat().st_mtime
        )
        if not fresh:
            self._make_leaf(leaf)
            stamp.write_text(wanted)
            for leftover in (self.dir / "ca.srl", *self.dir.glob("*.csr"), *self.dir.glob("*.ext")):
                leftover.unlink(missing_ok=True)
        return pair

    def tokens(self) -> dict[str, str]:
        return json.loads(self.token_json.read_text())

    # -- generation -------------------------------------------------------------

    def _openssl(self, *args: str) -> None:
        proc = subprocess.run(["openssl", *args], cwd=self.dir, capture_output=True, text=True)
        if proc.returncode != 0:
            raise PKIError(f"openssl {args[0]} failed: {proc.stderr.strip()}")

    def _new_key(self, path: Path) -> None:
        # P-256 keys: generated in milliseconds, accepted by Go, OpenSSL and Python alike.
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
        path.chmod(0o600)

    def _make_ca(self) -> None:
        self._new_key(self.ca.key)
        self._openssl(
            "req", "-x509", "-new", "-key", str(self.ca.key), "-out", str(self.ca.cert),
            "-days", "3650", "-subj", "/CN=berth-devcluster-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        )  # fmt: skip

    def _make_leaf(self, leaf: LeafSpec) -> None:
        pair = self.pair(leaf.name)
        self._new_key(pair.key)
        subject = "".join(f"/O={org}" for org in leaf.organisations) + f"/CN={leaf.common_name}"
        csr = self.dir / f"{leaf.name}.csr"
        self._openssl("req", "-new", "-key", str(pair.key), "-out", str(csr), "-subj", subject)
        usages = [u for u, on in (("serverAuth", leaf.server), ("clientAuth", leaf.client)) if on]
        ext = [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            f"extendedKeyUsage={','.join(usages)}",
        ]
        if leaf.sans:
            ext.append("subjectAltName=" + ",".join(leaf.sans))
        ext_file = self.dir / f"{leaf.name}.ext"
        ext_file.write_text("\n".join(ext) + "\n")
        self._openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.ca.cert), "-CAkey", str(self.ca.key),
            "-CAcreateserial", "-CAserial", str(self.dir / "ca.srl"),
            "-out", str(pair.cert), "-days", "825", "-extfile", str(ext_file),
        )  # fmt: skip

    def _make_sa_keys(self) -> None:
        self._new_key(self.sa_private)
        self._openssl("pkey", "-in", str(self.sa_private), "-pubout", "-out", str(self.sa_public))

    def _make_tokens(self) -> None:
        tokens = {user: secrets.token_hex(24) for user in IDENTITIES}
        self.token_json.write_text(json.dumps(tokens, indent=2) + "\n")
        self.token_json.chmod(0o600)
        # The apiserver's format: token,user,uid,"group1,group2"
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        for user, groups in IDENTITIES.items():
            # No groups column without groups: an empty one is read as the group "".
            row = [tokens[user], user, f"devcluster-{user}"]
            writer.writerow([*row, ",".join(groups)] if groups else row)
        self.token_csv.write_text(buf.getvalue())
        self.token_csv.chmod(0o600)
