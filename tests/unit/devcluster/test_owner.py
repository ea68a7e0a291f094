"""When the bridge is taken, `up` names the devcluster that holds it and what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devcluster import node
from tests.helpers import wait_for

pytestmark = pytest.mark.unit


def test_the_taken_bridge_names_its_devcluster(tmp_path, monkeypatch):
    record = tmp_path / "run" / "real-node.json"
    monkeypatch.setattr(node, "OWNER_RECORD", record)
    owner = node.RealNode.__new__(node.RealNode)
    assert owner._other_owner() == "another devcluster's real node?"

    plane = tmp_path / "checkout" / ".devcluster"
    (plane / "node").mkdir(parents=True)
    record.parent.mkdir()
    record.write_text(json.dumps({"dir": str(plane / "node")}))
    assert owner._other_owner() == (
        f"left by the devcluster in {plane}, now stopped: `make cluster-down` there undoes it"
    )
    # A process of that devcluster (its kubelet, say) names the folder in its arguments.
    alive = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", str(plane / "node" / "kubelet")]
    )
    try:
        cmdline = Path(f"/proc/{alive.pid}/cmdline")
        wait_for(
            lambda: str(plane).encode() in cmdline.read_bytes(), timeout=10, message="the process to start"
        )
        assert owner._other_owner() == (
            f"the real node of the devcluster in {plane} runs: `make cluster-down` there stops it"
        )
    finally:
        alive.kill()
        alive.wait()
    (plane / "node").rmdir()
    assert (
        owner._other_owner()
        == f"left by a devcluster in {plane}, since deleted: a reboot clears what it left"
    )
