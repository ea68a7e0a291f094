from __future__ import annotations

import re
import shlex

from django import forms
from django.conf import settings

from console.validators import IMAGE, parse_env_lines, validate_dns_label
from kube.quantity import parse_quantity
from workloads.edit import RESOURCES, Edit


class ScaleForm(forms.Form):
    replicas = forms.IntegerField(min_value=0)

    def clean_replicas(self) -> int:
        value = self.cleaned_data["replicas"]
        if value > settings.BERTH_MAX_REPLICAS:
            raise forms.ValidationError(f"At most {settings.BERTH_MAX_REPLICAS} replicas on this console.")
        return value


class RollbackForm(forms.Form):
    revision = forms.IntegerField(min_value=1)


class DeployImageForm(forms.Form):
    name = forms.CharField(max_length=63, help_text="Lower-case letters, digits and dashes.")
    image = forms.CharField(max_length=500, help_text="For example registry.example.com/team/web:1.2")
    replicas = forms.IntegerField(min_value=0, initial=1)
    port = forms.IntegerField(min_value=1, max_value=65535, required=False)
    command = forms.CharField(
        max_length=1000,
        required=False,
        help_text="What to run instead of the image's default command, e.g. python3 -m http.server 8080. "
        "Quote words with spaces as a shell would.",
    )
    env = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Environment",
        help_text="One KEY=value a line.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        validate_dns_label(name)
        return name

    def clean_image(self) -> str:
        image = self.cleaned_data["image"].strip()
        if not IMAGE.match(image):
            raise forms.ValidationError(
                "That is not an image reference (example: nginx:1.27 or quay.io/org/app:v1)."
            )
        return image

    def clean_replicas(self) -> int:
        return ScaleForm.clean_replicas(self)  # same bounds as scaling

    def clean_command(self) -> list[str]:
        text = self.cleaned_data["command"].strip()
        try:
            return shlex.split(text)
        except ValueError as exc:
            raise forms.ValidationError(f"The command cannot be read: {exc}.") from None

    def clean_env(self) -> dict[str, str]:
        return parse_env_lines(self.cleaned_data["env"])


def _source_label(ref: str) -> str:
    kind, name = ref.split(":", 1)
    return f"{'Secret' if kind == 'secret' else 'ConfigMap'} {name}"


def _quantity_field(label: str, example: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=20, required=False, help_text=f"e.g. {example}; empty for none"
    )


class EditDeploymentForm(forms.Form):
    """One container's image, command, environment and resources, and the replicas."""

    container = forms.ChoiceField()
    image = forms.CharField(max_length=500)
    command = forms.CharField(
        max_length=1000,
        required=False,
        help_text="What runs instead of the image's default command; empty for the image's own.",
    )
    env = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Environment",
        help_text="One KEY=value a line. Values from Secrets or ConfigMaps are kept as they are.",
    )
    cpu_request = _quantity_field("CPU request", "100m")
    cpu_limit = _quantity_field("CPU limit", "500m")
    memory_request = _quantity_field("Memory request", "128Mi")
    memory_limit = _quantity_field("Memory limit", "512Mi")
    env_from = forms.MultipleChoiceField(
        required=False,
        label="Environment from Secrets and ConfigMaps",
        help_text="Every key of each one chosen becomes a variable (Ctrl-click for several).",
    )
    readiness_path = forms.CharField(
        max_length=500,
        required=False,
        label="Readiness probe (HTTP path)",
        help_text="e.g. /healthz: pods get traffic once it answers 2xx or 3xx; empty for none.",
    )
    liveness_path = forms.CharField(
        max_length=500,
        required=False,
        label="Liveness probe (HTTP path)",
        help_text="The container is restarted when it stops answering; empty for none.",
    )
    probe_port = forms.CharField(
        max_length=15,
        required=False,
        label="Probe port",
        help_text="A port number, or the container port's name.",
    )
    replicas = forms.IntegerField(min_value=0)
    strategy = forms.ChoiceField(
        choices=[
            ("RollingUpdate", "Rolling update (new pods before old ones go)"),
            ("Recreate", "Recreate (all old pods go first: for apps that can't run twice)"),
        ],
    )
    # The deployment's spec as the person saw it: a change by someone else meanwhile is a conflict.
    generation = forms.IntegerField(widget=forms.HiddenInput)
    # What the preview showed, so "Apply" applies what was seen.
    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, container_names: list[str], sources: list[str] | None = None, **kwargs):
        """``sources``: the project's Secrets and ConfigMaps as ``secret:NAME`` and
        ``configmap:NAME`` (with the ones the container uses now, even if gone)."""
        super().__init__(*args, **kwargs)
        self.fields["container"].choices = [(n, n) for n in container_names]
        if len(container_names) == 1:
            self.fields["container"].widget = forms.HiddenInput()
        refs = sorted(set(sources or []))
        self.fields["env_from"].choices = [(ref, _source_label(ref)) for ref in refs]
        self.fields["env_from"].widget.attrs["size"] = min(max(len(refs), 2), 8)

    clean_image = DeployImageForm.clean_image
    clean_command = DeployImageForm.clean_command
    clean_env = DeployImageForm.clean_env

    def clean_replicas(self) -> int:
        return ScaleForm.clean_replicas(self)

    def _quantity(self, key: str) -> str:
        value = self.cleaned_data[key].strip()
        if value:
            try:
                amount = parse_quantity(value)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
            if amount <= 0:
                raise forms.ValidationError("More than zero, or empty for none.")
        return value

    def clean_cpu_request(self) -> str:
        return self._quantity("cpu_request")

    def clean_cpu_limit(self) -> str:
        return self._quantity("cpu_limit")

    def clean_memory_request(self) -> str:
        return self._quantity("memory_request")

    def clean_memory_limit(self) -> str:
        return self._quantity("memory_limit")

    def _path(self, key: str) -> str:
        path = self.cleaned_data[key].strip()
        if path and (not path.startswith("/") or any(c.isspace() for c in path)):
            raise forms.ValidationError("An HTTP path, starting with / (e.g. /healthz).")
        return path

    def clean_readiness_path(self) -> str:
        return self._path("readiness_path")

    def clean_liveness_path(self) -> str:
        return self._path("liveness_path")

    def clean_probe_port(self) -> str:
        port = self.cleaned_data["probe_port"].strip()
        if port.isdigit():
            if not 1 <= int(port) <= 65535:
                raise forms.ValidationError("A port is between 1 and 65535.")
        elif port and not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?", port):
            raise forms.ValidationError(
                "A port number, or a container port's name (up to 15 letters, digits, -)."
            )
        return port

    def clean(self) -> dict:
        data = super().clean()
        if (
            (data.get("readiness_path") or data.get("liveness_path"))
            and not data.get("probe_port")
            and "probe_port" not in self.errors
        ):
            self.add_error("probe_port", "Give the port the probes ask on.")
        for kind in ("cpu", "memory"):
            request, limit = data.get(f"{kind}_request"), data.get(f"{kind}_limit")
            if request and limit and parse_quantity(request) > parse_quantity(limit):
                self.add_error(f"{kind}_request", f"The request can't be above the limit ({limit}).")
        return data

    def edit(self) -> Edit:
        data = self.cleaned_data
        return Edit(
            container=data["container"],
            image=data["image"],
            args=tuple(data["command"]),
            env=data["env"],
            resources={key: data[key] for key in RESOURCES},
            replicas=data["replicas"],
            env_from=tuple(data["env_from"]),
            readiness_path=data["readiness_path"],
            liveness_path=data["liveness_path"],
            probe_port=data["probe_port"],
            strategy=data["strategy"],
        )

    @staticmethod
    def initial_from(values: dict) -> dict:
        return {
            "container": values["container"],
            "image": values["image"],
            "command": shlex.join(values["args"]),
            "env": "\n".join(f"{k}={v}" for k, v in values["env"].items()),
            **values["resources"],
            "replicas": values["replicas"],
            "generation": values["generation"],
            "env_from": values["env_from"],
            "readiness_path": values["readiness_path"],
            "liveness_path": values["liveness_path"],
            "probe_port": values["probe_port"],
            "strategy": values["strategy"],
        }


class RunCommandForm(forms.Form):
    command = forms.CharField(
        max_length=2000,
        required=False,
        strip=True,
        help_text="Run with sh -c in a new pod made from this deployment's pod template.",
    )
    container = forms.CharField(max_length=63, required=False)
    interactive = forms.BooleanField(
        required=False, help_text="A terminal attached to the new pod (empty command: a shell)."
    )


class HooksForm(forms.Form):
    pre_deploy = forms.CharField(
        label="Pre-deploy command",
        max_length=2000,
        required=False,
        strip=True,
        help_text="Runs from the new version's pod template before it takes traffic; if it fails, "
        "the old version keeps serving. For example: python manage.py migrate --noinput",
    )
    post_deploy = forms.CharField(label="Post-deploy command", max_length=2000, required=False, strip=True)
