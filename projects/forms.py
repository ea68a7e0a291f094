from __future__ import annotations

import re

from django import forms
from django.conf import settings

from console.validators import validate_dns_label
from kube.quantity import parse_quantity
from projects.roles import ROLES
from projects.services import CUSTOM_QUOTA_REFUSED

RESERVED_NAMES = {"default", "kube-system", "kube-public", "kube-node-lease", "openshift"}
RESERVED_PREFIXES = ("kube-", "openshift-", "system-")
ROLE_CHOICES = [(role, role.capitalize()) for role in ROLES]
QUOTA_FIELDS = ("cpu", "memory", "pods", "pvcs", "storage")


def validate_project_name(name: str) -> None:
    validate_dns_label(name)
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        raise forms.ValidationError(f"{name!r} is reserved for the cluster itself. Choose another name.")


class ProjectCreateForm(forms.Form):
    name = forms.CharField(
        max_length=63,
        help_text="Lower-case letters, digits and dashes; it becomes the namespace name and cannot change.",
        validators=[validate_project_name],
    )
    display_name = forms.CharField(max_length=100, required=False)
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    quota = forms.ChoiceField(label="Quota", choices=())
    cpu = forms.CharField(required=False, label="CPU", help_text="Cores, e.g. 2 or 500m")
    memory = forms.CharField(required=False, help_text="e.g. 4Gi")
    pods = forms.IntegerField(required=False, min_value=1)
    pvcs = forms.IntegerField(required=False, min_value=0, label="Volume claims")
    storage = forms.CharField(required=False, help_text="e.g. 10Gi")

    def __init__(self, *args, name_taken=None, custom_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._name_taken = name_taken
        self.custom_allowed = custom_allowed
        presets = settings.BERTH_QUOTA_PRESETS
        self.fields["quota"].choices = [
            *(
                (key, f"{p['label']} — {p['cpu']} CPU, {p['memory']} memory, {p['pods']} pods")
                for key, p in presets.items()
            ),
            ("custom", "Custom" if custom_allowed else "Custom (cluster administrators)"),
        ]
        self.fields["quota"].initial = next(iter(presets))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if self._name_taken and self._name_taken(name):
            raise forms.ValidationError(
                f"The name {name!r} is already taken on this cluster. Choose another."
            )
        return name

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quota") != "custom":
            return cleaned
        if not self.custom_allowed:
            self.add_error("quota", CUSTOM_QUOTA_REFUSED)
            return cleaned
        maximum = settings.BERTH_QUOTA_MAX
        for field in QUOTA_FIELDS:
            value = cleaned.get(field)
            if value in (None, ""):
                self.add_error(field, "Needed for a custom quota.")
                continue
            try:
                amount = parse_quantity(value)
            except ValueError as exc:
                self.add_error(field, str(exc))
                continue
            if amount <= 0 and field != "pvcs":
                self.add_error(field, "Must be more than zero.")
            elif amount > parse_quantity(maximum[field]):
                self.add_error(field, f"At most {maximum[field]} on this console.")
        return cleaned

    def quota_values(self) -> dict[str, str]:
        choice = self.cleaned_data["quota"]
        source = self.cleaned_data if choice == "custom" else settings.BERTH_QUOTA_PRESETS[choice]
        return {field: str(source[field]) for field in QUOTA_FIELDS}


def validate_subject_name(name: str) -> None:
    if name.startswith("system:"):
        raise forms.ValidationError("Names starting with system: are reserved by Kubernetes.")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,252}$", name):
        raise forms.ValidationError("Use letters, digits and . _ @ + - (no spaces).")


class MemberForm(forms.Form):
    kind = forms.ChoiceField(choices=[("User", "User"), ("Group", "Group")], initial="User")
    name = forms.CharField(max_length=253, validators=[validate_subject_name])
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="view")


class MemberRemoveForm(forms.Form):
    kind = forms.ChoiceField(choices=[("User", "User"), ("Group", "Group")])
    name = forms.CharField(max_length=253, validators=[validate_subject_name])


class ProjectDeleteForm(forms.Form):
    confirm = forms.CharField(label="Type the project name to confirm")

    def __init__(self, *args, project_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.project_name = project_name

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value != self.project_name:
            raise forms.ValidationError(f"Type {self.project_name} exactly to delete it.")
        return value
