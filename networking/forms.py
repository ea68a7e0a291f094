"""Forms for services and routes. Pure: whatever they check against the
cluster (the service's ports, the project's deployments) is
handed to them by the view, so every rule here is unit-tested without a cluster."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings

from console.validators import DNS_LABEL, validate_dns_label

# The characters of an URL path (RFC 3986), percent escapes included.
PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


def validate_host(host: str) -> None:
    """A DNS name an ingress controller can route: no scheme, port, path, wildcard or IP."""
    if "://" in host or "/" in host:
        raise forms.ValidationError(
            "Give the host name only, without http:// or a path (e.g. shop.example.com)."
        )
    if ":" in host:
        raise forms.ValidationError("Give the host name without a port.")
    if "*" in host:
        raise forms.ValidationError("Wildcard hosts are not supported: give one host name.")
    if len(host) > 253:
        raise forms.ValidationError("A host name has at most 253 characters.")
    labels = host.split(".")
    if len(labels) < 2:
        raise forms.ValidationError("Give a full host name with a domain, such as web.example.com.")
    if all(label.isdigit() for label in labels):
        raise forms.ValidationError("Give a host name, not an IP address.")
    for label in labels:
        if not label:
            raise forms.ValidationError(
                "A host name cannot have empty parts (two dots in a row, or a dot at an end)."
            )
        if len(label) > 63:
            raise forms.ValidationError(f"The part {label[:20]}… is longer than 63 characters.")
        if not DNS_LABEL.match(label):
            raise forms.ValidationError(
                f"The part {label!r} is not allowed: use lower-case letters, digits and dashes, "
                "starting and ending with a letter or digit."
            )


def validate_path(path: str) -> None:
    """A Prefix path as Kubernetes accepts it for an Ingress."""
    if not path.startswith("/"):
        raise forms.ValidationError("A path starts with / (e.g. / or /api).")
    if len(path) > 1024:
        raise forms.ValidationError("At most 1024 characters.")
    if not PATH.match(path):
        raise forms.ValidationError(
            "Use only the characters of a URL path: letters, digits and - . _ ~ / (no spaces, ? or #)."
        )
    lowered = path.lower()
    if "//" in path or "/./" in path or "/../" in path or "%2f" in lowered or path.endswith(("/.", "/..")):
        raise forms.ValidationError("The path cannot contain //, /./, /../ or %2F, or end in /. or /..")


def validate_port_reference(port: str) -> None:
    if port.isdigit():
        if not 1 <= int(port) <= 65535:
            raise forms.ValidationError("A port number is between 1 and 65535.")
        return
    if len(port) > 15 or not DNS_LABEL.match(port):
        raise forms.ValidationError(
            "Give a port number (e.g. 8080) or the name of one of the service's ports."
        )


class RouteForm(forms.Form):
    name = forms.CharField(max_length=63, help_text="Lower-case letters, digits and dashes.")
    host = forms.CharField(
        max_length=253,
        required=False,
        help_text="Leave empty for <name>-<project>.<apps domain>.",
    )
    path = forms.CharField(
        max_length=1024, initial="/", required=False, help_text="Requests under this path."
    )
    service = forms.ChoiceField(choices=())
    port = forms.CharField(max_length=15, help_text="One of the service's ports, by number or name.")
    tls_secret = forms.ChoiceField(
        choices=(),
        required=False,
        label="TLS certificate",
        help_text="Edge TLS from a TLS Secret, or none (HTTP).",
    )

    def __init__(
        self,
        *args,
        project: str,
        services: dict[str, list] | None = None,
        tls_secrets: list[str] | None = None,
        editing: str = "",
        **kwargs,
    ):
        """``services`` maps a service's name to its ports (objects with ``matches(str)``
        and ``port``); ``editing`` is the route's name when it exists already."""
        super().__init__(*args, **kwargs)
        self.project = project
        self.services = services or {}
        self.editing = editing
        self.fields["service"].choices = [("", "Choose a service")] + [(s, s) for s in sorted(self.services)]
        self.fields["tls_secret"].choices = [("", "None (HTTP only)")] + [(s, s) for s in tls_secrets or []]
        if editing:
            self.fields["name"].disabled = True
            self.fields["name"].initial = editing
            # What the form was opened on (a conflict when it changed) and what was previewed.
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.fields["previewed"] = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_name(self) -> str:
        name = self.editing or self.cleaned_data["name"].strip()
        validate_dns_label(name)
        return name

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower().rstrip(".")
        if host:
            validate_host(host)
        return host

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip() or "/"
        validate_path(path)
        return path

    def clean_port(self) -> str:
        port = self.cleaned_data["port"].strip()
        validate_port_reference(port)
        return port

    def clean(self) -> dict:
        data = super().clean()
        service, port = data.get("service"), data.get("port")
        if service and port:
            ports = self.services.get(service, [])
            if not any(p.matches(port) for p in ports):
                offered = ", ".join(str(p.port) + (f" ({p.name})" if p.name else "") for p in ports) or "none"
                self.add_error("port", f"The service {service} has no port {port}. Its ports: {offered}.")
        if data.get("name") and "host" in data and not data["host"]:
            host = f"{data['name']}-{self.project}.{settings.BERTH_APPS_DOMAIN}"
            try:
                validate_host(host)
            except forms.ValidationError:
                self.add_error("host", f"The generated host {host[:80]}… is too long: give a host name.")
            else:
                data["host"] = host
        return data


class ExposeForm(forms.Form):
    deployment = forms.ChoiceField(choices=())
    port = forms.IntegerField(
        min_value=1, max_value=65535, help_text="The container port the deployment listens on."
    )
    host = forms.CharField(max_length=253, required=False, help_text="Leave empty for a generated host.")
    path = forms.CharField(max_length=1024, initial="/", required=False)

    def __init__(self, *args, project: str, deployments: dict[str, list[int]] | None = None, **kwargs):
        """``deployments`` maps each deployment's name to the container ports it declares."""
        super().__init__(*args, **kwargs)
        self.project = project
        self.deployments = deployments or {}
        self.fields["deployment"].choices = [("", "Choose a deployment")] + [
            (d, d) for d in sorted(self.deployments)
        ]

    clean_host = RouteForm.clean_host
    clean_path = RouteForm.clean_path

    def clean(self) -> dict:
        data = super().clean()
        deployment, port = data.get("deployment"), data.get("port")
        declared = self.deployments.get(deployment or "", [])
        if deployment and port and declared and port not in declared:
            self.add_error(
                "port",
                f"{deployment} does not declare port {port}. Its ports: {', '.join(map(str, declared))}.",
            )
        if deployment and "host" in data and not data["host"]:
            host = f"{deployment}-{self.project}.{settings.BERTH_APPS_DOMAIN}"
            try:
                validate_host(host)
            except forms.ValidationError:
                self.add_error("host", "The generated host name is too long: give a host name.")
            else:
                data["host"] = host
        return data
