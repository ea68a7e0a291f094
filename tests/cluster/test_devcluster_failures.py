"""How `up` behaves when things go wrong: a port taken, a component that dies.

These start a second, short-lived plane in a temporary state directory, next to the
session's devcluster, with a stand-in kube-scheduler that exits at once.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcluster import build
from devcluster.plane import ComponentFailed, Plane, State

pytestmark = pytest.mark.cluster


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains `text` (here: the temporary state directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(proc.name))
    return found


@pytest.fixture
def failing_plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plane]:
    if build.missing():
        pytest.fail("control-plane binaries not built: run `python -m devcluster build`", pytrace=False)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    scheduler = fake_bin / "kube-scheduler"
    scheduler.write_text("#!/bin/sh\necho 'kube-scheduler: simulated start-up failure' >&2\nexit 1\n")
    scheduler.chmod(0o755)
    # BERTH_K8S_BIN comes before the build cache in the lookup: only the scheduler is fake.
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.setenv("BERTH_K8S_BIN", str(fake_bin))
    plane = Plane(tmp_path / "state")
    try:
        yield plane
    finally:
        plane.down()  # by recorded pid; a no-op when `up` cleaned up as it should


def test_taken_port_is_avoided_and_a_dying_component_fails_up_and_stops_the_rest(
    failing_plane: Plane,
) -> None:
    plane = failing_plane
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        # A port recorded by an earlier run that something else listens on now.
        plane.dir.mkdir(parents=True)
        plane.state_file.write_text(json.dumps(State(ports={"etcd-client": taken}).to_json()))

        with pytest.raises(ComponentFailed) as failure:
            plane.up()

    message = str(failure.value)
    assert failure.value.component == "kube-scheduler"
    assert str(plane.log_path("kube-scheduler")) in message
    assert "simulated start-up failure" in message
    # etcd, the apiserver and the controller manager had started: all are stopped again.
    assert plane.load_state().procs == {}
    assert processes_mentioning(str(plane.dir)) == []
    # etcd went to another port instead of failing on the taken one.
    chosen = plane.load_state().ports["etcd-client"]
    assert chosen != taken
    assert f"http://127.0.0.1:{chosen}" in plane.log_path("kube-apiserver").read_text()
