"""Pure rules of volumes: form validation and the patches sent to the cluster."""

from __future__ import annotations

import pytest

from kube.errors import Invalid
from storage.cluster import StorageClass, attach_patch, detach_patch, mounts_by_claim, pod_volume_name
from storage.forms import AttachForm, DetachForm, VolumeDeleteForm, VolumeForm

CLASSES = [
    StorageClass(name="fast", provisioner="x", binding_mode="Immediate", default=True),
    StorageClass(name="slow", provisioner="x", binding_mode="WaitForFirstConsumer", default=False),
]


def volume_form(**data):
    values = {"name": "data", "size": "1Gi", "access_mode": "ReadWriteOnce", "storage_class": "fast"}
    values.update(data)
    return VolumeForm(values, storage_classes=CLASSES)


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("lots", "is not a size"),
        ("1 GB", "is not a size"),
        ("1GB", "is not a size"),
        ("-1Gi", "more than zero"),
        ("0", "more than zero"),
        ("500m", "whole number of bytes"),
        ("5Pi", "At most"),
    ],
)
def test_sizes_that_are_not_quantities_are_refused(size, message):
    form = volume_form(size=size)
    assert not form.is_valid()
    assert message in " ".join(form.errors["size"])


def test_good_sizes_pass():
    for size in ("1Gi", "500Mi", "10G", "1073741824", "1.5Gi"):
        assert volume_form(size=size).is_valid(), size


def test_a_storage_class_that_does_not_exist_names_the_ones_that_do():
    form = volume_form(storage_class="gold")
    assert not form.is_valid()
    error = " ".join(form.errors["storage_class"])
    assert "no storage class 'gold'" in error and "fast, slow" in error


def test_storage_class_choices_mark_the_default():
    form = VolumeForm(storage_classes=CLASSES)
    assert ("fast", "fast (default)") in form.fields["storage_class"].choices
    assert form.fields["storage_class"].initial == "fast"
    assert volume_form(storage_class="").is_valid()  # the cluster's default


def test_bad_access_mode_and_name():
    form = volume_form(access_mode="WriteMany", name="My_Data")
    assert set(form.errors) == {"access_mode", "name"}


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/data", True),
        ("/var/lib/app/", True),
        ("data", False),
        ("/", False),
        ("/a/../b", False),
        ("/a:b", False),
    ],
)
def test_mount_paths(path, ok):
    form = AttachForm({"deployment": "web", "mount_path": path}, deployments=["web"])
    assert form.is_valid() is ok, form.errors
    if ok:
        assert not form.cleaned_data["mount_path"].endswith("/")


def test_deleting_a_mounted_volume_needs_the_confirmation():
    refused = VolumeDeleteForm({}, mounted_by=["web", "api"])
    assert not refused.is_valid() and "mounted by web, api" in " ".join(refused.errors["detach"])
    assert VolumeDeleteForm({"detach": "on"}, mounted_by=["web"]).is_valid()
    assert VolumeDeleteForm({}, mounted_by=[]).is_valid()


def deployment(volumes=None, mounts=None, generation=7):
    return {
        "metadata": {
            "name": "web",
            "generation": generation,
            "annotations": {"deployment.kubernetes.io/revision": "3"},
        },
        "spec": {
            "template": {
                "spec": {
                    "volumes": volumes or [],
                    "containers": [
                        {"name": "web", "volumeMounts": list(mounts or [])},
                        {"name": "sidecar"},
                    ],
                }
            }
        },
    }


def test_attach_mounts_in_every_container_and_tests_the_version():
    patch = attach_patch(deployment(), claim="data", mount_path="/data")
    assert patch[0] == {"op": "test", "path": "/metadata/generation", "value": 7}
    by_path = {p["path"]: p["value"] for p in patch[1:]}
    assert by_path["/spec/template/spec/volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    assert by_path["/spec/template/spec/containers/0/volumeMounts"] == [
        {"name": "data", "mountPath": "/data"}
    ]
    assert by_path["/spec/template/spec/containers/1/volumeMounts"] == [
        {"name": "data", "mountPath": "/data"}
    ]


def test_attach_again_is_nothing_and_a_taken_path_is_refused():
    claim_volume = {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    mounted = deployment([claim_volume], [{"name": "data", "mountPath": "/data"}])
    mounted["spec"]["template"]["spec"]["containers"][1]["volumeMounts"] = [
        {"name": "data", "mountPath": "/data"}
    ]
    assert attach_patch(mounted, claim="data", mount_path="/data") is None
    moved = attach_patch(mounted, claim="data", mount_path="/srv")
    assert {"name": "data", "mountPath": "/srv"} in moved[1]["value"]
    other = deployment([{"name": "cache", "emptyDir": {}}], [{"name": "cache", "mountPath": "/data"}])
    with pytest.raises(Invalid) as refused:
        attach_patch(other, claim="data", mount_path="/data")
    assert "mount_path" in refused.value.fields and "cache" in str(refused.value)


def test_a_volume_name_in_use_gets_another_one():
    assert pod_volume_name("data", set()) == "data"
    other = pod_volume_name("data", {"data"})
    assert other != "data" and other.startswith("data-pvc-") and len(other) <= 63
    assert len(pod_volume_name("x" * 70, set())) <= 63
    taken = deployment([{"name": "data", "emptyDir": {}}])
    patch = attach_patch(taken, claim="data", mount_path="/d")
    volumes = next(p["value"] for p in patch if p["path"] == "/spec/template/spec/volumes")
    assert [v["name"] for v in volumes] == ["data", other]


def test_detach_removes_the_volume_and_its_mounts_only():
    volumes = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "cache", "emptyDir": {}},
    ]
    mounts = [{"name": "data", "mountPath": "/data"}, {"name": "cache", "mountPath": "/cache"}]
    patch = detach_patch(deployment(volumes, mounts), claim="data")
    by_path = {p["path"]: p["value"] for p in patch[1:]}
    assert by_path["/spec/template/spec/volumes"] == [{"name": "cache", "emptyDir": {}}]
    assert by_path["/spec/template/spec/containers/0/volumeMounts"] == [
        {"name": "cache", "mountPath": "/cache"}
    ]
    assert "/spec/template/spec/containers/1/volumeMounts" not in by_path
    assert detach_patch(deployment(), claim="data") is None


def test_mounts_by_claim_counts_mounts_made_elsewhere():
    volumes = [{"name": "v1", "persistentVolumeClaim": {"claimName": "data"}}]
    found = mounts_by_claim([deployment(volumes, [{"name": "v1", "mountPath": "/x"}])])
    assert [(m.deployment, m.paths, m.revision) for m in found["data"]] == [("web", ("/x",), "3")]


@pytest.mark.parametrize("deployment", ["../../other/deployments/web", "web/x", "..", "Web"])
def test_detach_takes_only_a_deployment_name(deployment):
    assert not DetachForm({"deployment": deployment}).is_valid()
    assert DetachForm({"deployment": "web.v2"}).is_valid()
