from __future__ import annotations

import re

from django import forms
from django.conf import settings

from console.validators import validate_dns_subdomain

KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
SECRET_TYPES = [
    ("Opaque", "Opaque (any values)"),
    ("kubernetes.io/basic-auth", "Basic auth (username, password: a Git token for builds)"),
    ("kubernetes.io/ssh-auth", "SSH key (ssh-privatekey: a Git deploy key for builds)"),
]


def _clean_key(value: str) -> str:
    value = value.strip()
    if not KEY.match(value):
        raise forms.ValidationError(
            "A key is letters, digits, '-', '_' and '.', e.g. DATABASE_URL or tls.crt."
        )
    return value


class ValueForm(forms.Form):
    """One key, its value typed or from a file."""

    key = forms.CharField(max_length=253)
    value = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(
        required=False, help_text="Instead of typing the value: a certificate, a key, a file."
    )

    def clean_key(self) -> str:
        return _clean_key(self.cleaned_data["key"])

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None and data.get("value"):
            raise forms.ValidationError("Type a value or choose a file, not both.")
        if upload is not None:
            if upload.size > settings.BERTH_CONFIG_VALUE_BYTES:
                self.add_error("file", f"At most {settings.BERTH_CONFIG_VALUE_BYTES // 1024} KiB.")
            else:
                data["bytes"] = upload.read()
        else:
            text = data.get("value") or ""
            if len(text.encode()) > settings.BERTH_CONFIG_VALUE_BYTES:
                self.add_error("value", f"At most {settings.BERTH_CONFIG_VALUE_BYTES // 1024} KiB.")
            data["bytes"] = text.encode()
        return data


class CreateForm(ValueForm):
    """A new Secret or ConfigMap with its first key."""

    name = forms.CharField(max_length=253, help_text="Lower-case letters, digits, '-' and '.'.")
    type = forms.ChoiceField(choices=SECRET_TYPES, initial="Opaque", required=False)
    field_order = ["name", "type", "key", "value", "file"]

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != "secret":
            del self.fields["type"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_dns_subdomain(name)
        return name


class KeyForm(forms.Form):
    key = forms.CharField(max_length=253)

    def clean_key(self) -> str:
        return _clean_key(self.cleaned_data["key"])
