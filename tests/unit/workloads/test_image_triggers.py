"""Which image stream tags a Deployment follows, read from its triggers annotation."""

from __future__ import annotations

import json

from workloads.cluster import deployment_summary, image_triggers


def _deployment(triggers) -> dict:
    annotations = {
        "image.openshift.io/triggers": triggers if isinstance(triggers, str) else json.dumps(triggers)
    }
    return {"metadata": {"name": "web", "annotations": annotations}, "spec": {"replicas": 1}}


def test_a_summary_names_the_tags_its_unpaused_triggers_follow():
    path = 'spec.template.spec.containers[?(@.name=="web")].image'
    triggers = [
        {"from": {"kind": "ImageStreamTag", "name": "web:latest"}, "fieldPath": path},
        {"from": {"kind": "ImageStreamTag", "name": "web:prod"}, "fieldPath": path, "paused": "true"},
        {"from": {"kind": "DockerImage", "name": "web:x"}, "fieldPath": path},
        {"from": {"kind": "ImageStreamTag", "name": "web:bad"}, "fieldPath": "spec.replicas"},
    ]
    assert deployment_summary(_deployment(triggers)).follows == ("web:latest",)
    assert [t.stream_tag for t in image_triggers(_deployment(triggers)["metadata"]["annotations"])] == [
        "web:latest",
        "web:prod",
    ]
    assert deployment_summary(_deployment("not json")).follows == ()
    assert deployment_summary({"metadata": {"name": "web"}, "spec": {}}).follows == ()
