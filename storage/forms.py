"""Forms for volumes. Pure: what they check against the cluster (the storage
classes, the project's deployments) is handed to them by the view."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.conf import settings

from console.validators import validate_dns_label, validate_dns_subdomain
from kube.quantity import parse_quantity

MOUNT_PATH = re.compile(r"^/[^\x00-\x1f\x7f:]*$")
ACCESS_MODE_CHOICES = [
    ("ReadWriteOnce", "ReadWriteOnce (one node reads and writes)"),
    ("ReadOnlyMany", "ReadOnlyMany (many nodes read)"),
    ("ReadWriteMany", "ReadWriteMany (many nodes read and write)"),
    ("ReadWriteOncePod", "ReadWriteOncePod (one pod reads and writes)"),
]


def validate_mount_path(path: str) -> None:
    if not MOUNT_PATH.match(path):
        raise forms.ValidationError("Give an absolute path in the container, such as /data (no colons).")
    if any(part == ".." for part in path.split("/")):
        raise forms.ValidationError("The path cannot contain ..")
    if len(path) > 1024:
        raise forms.ValidationError("At most 1024 characters.")
    if path.rstrip("/") == "":
        raise forms.ValidationError("A volume cannot be mounted over the container's root (/).")


def validate_size(size: str) -> Decimal:
    """A storage size: a positive whole number of bytes, within Berth's largest quota."""
    try:
        value = parse_quantity(size)
    except ValueError:
        raise forms.ValidationError(f"{size!r} is not a size: write e.g. 1Gi, 500Mi or 10G.") from None
    if value <= 0:
        raise forms.ValidationError("A size must be more than zero.")
    if value != value.to_integral_value():
        raise forms.ValidationError("A size is a whole number of bytes: use Mi, Gi or Ti, e.g. 1Gi.")
    largest = settings.BERTH_QUOTA_MAX["storage"]
    if value > parse_quantity(largest):
        raise forms.ValidationError(f"At most {largest} for one volume.")
    return value


class VolumeForm(forms.Form):
    name = forms.CharField(
        max_length=63, validators=[validate_dns_label], help_text="Lower-case letters, digits and dashes."
    )
    size = forms.CharField(max_length=20, initial="1Gi", help_text="e.g. 1Gi, 500Mi")
    access_mode = forms.ChoiceField(choices=ACCESS_MODE_CHOICES, initial="ReadWriteOnce")
    storage_class = forms.ChoiceField(choices=(), required=False, label="Storage class")

    def __init__(self, *args, storage_classes: list | None = None, **kwargs):
        """``storage_classes``: the cluster's (objects with ``name``, ``label`` and ``default``)."""
        super().__init__(*args, **kwargs)
        classes = storage_classes or []
        self.class_names = {c.name for c in classes}
        has_default = any(c.default for c in classes)
        blank = "The cluster's default" if has_default else "None (a pre-provisioned volume)"
        self.fields["storage_class"].choices = [("", blank)] + [(c.name, c.label) for c in classes]
        default = next((c.name for c in classes if c.default), "")
        self.fields["storage_class"].initial = default

    def clean_size(self) -> str:
        size = self.cleaned_data["size"].strip()
        validate_size(size)
        return size

    def clean_storage_class(self) -> str:
        # A ChoiceField already refuses unknown values; this message names the choices.
        return self.cleaned_data["storage_class"]

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or "storage_class" not in self.errors:
            return
        wanted = self.data.get("storage_class", "")
        names = ", ".join(sorted(self.class_names)) or "none"
        self.errors["storage_class"] = self.error_class(
            [f"The cluster has no storage class {wanted!r}. Its storage classes: {names}."]
        )


class AttachForm(forms.Form):
    deployment = forms.ChoiceField(choices=())
    mount_path = forms.CharField(
        max_length=1024, initial="/data", validators=[validate_mount_path], label="Mount path"
    )

    def __init__(self, *args, deployments: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deployment"].choices = [("", "Choose a deployment")] + [
            (d, d) for d in deployments or []
        ]

    def clean_mount_path(self) -> str:
        path = self.cleaned_data["mount_path"].strip()
        return path.rstrip("/") or path


class ExpandForm(forms.Form):
    size = forms.CharField(max_length=20, label="New size", help_text="Larger than now, e.g. 2Gi")

    def clean_size(self) -> str:
        size = self.cleaned_data["size"].strip()
        validate_size(size)
        return size


class DetachForm(forms.Form):
    deployment = forms.CharField(max_length=253, validators=[validate_dns_subdomain])


class VolumeDeleteForm(forms.Form):
    detach = forms.BooleanField(required=False, label="Detach it from the deployments that mount it first")

    def __init__(self, *args, mounted_by: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mounted_by = mounted_by or []

    def clean(self) -> dict:
        data = super().clean()
        if self.mounted_by and not data.get("detach"):
            self.add_error(
                "detach",
                f"It is mounted by {', '.join(self.mounted_by)}: "
                "confirm detaching it first, or detach it yourself.",
            )
        return data
