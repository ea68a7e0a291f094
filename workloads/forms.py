from __future__ import annotations

import shlex

from django import forms
from django.conf import settings

from console.validators import IMAGE, parse_env_lines, validate_dns_label


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
