"""The template deploy page's two forms: the template itself, then its parameters."""

from __future__ import annotations

from django import forms

from catalog.processing import MAX_TEMPLATE_BYTES, Template, TemplateError, template_read
from catalog.selectors import sample_values
from console.validators import validate_dns_subdomain


class TemplateForm(forms.Form):
    """A template pasted or uploaded (an upload replaces what is pasted)."""

    text = forms.CharField(
        label="Template (JSON or YAML)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "berth-mono"}),
    )
    file = forms.FileField(label="Or upload it", required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_TEMPLATE_BYTES:
                self.add_error("file", f"{upload.size:,} bytes: at most {MAX_TEMPLATE_BYTES:,} are read.")
                return data
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "This file is not text (UTF-8).")
                return data
        if not (data.get("text") or "").strip():
            self.add_error("text", "Paste a template or upload one.")
            return data
        try:
            data["template"] = template_read(data["text"])
        except TemplateError as exc:
            self.add_error("file" if upload is not None else "text", str(exc))
        return data


class ParametersForm(forms.Form):
    """A field a parameter, as the template describes it."""

    def __init__(self, *args, template: Template, **kwargs):
        super().__init__(*args, **kwargs)
        offered = sample_values(template)
        for p in template.parameters:
            hints = [p.description] if p.description else []
            if p.generated:
                hints.append(f"Generated if empty ({p.from_}).")
            self.fields[p.name] = forms.CharField(
                label=p.display_name or p.name,
                required=p.required and not p.value and not p.generated,
                initial=offered.get(p.name, p.value),
                strip=False,
                max_length=65536,
                help_text=" ".join(hints),
            )

    def values(self) -> dict[str, str]:
        """The values given (an empty field leaves the template's own value or generator)."""
        return {name: value for name, value in self.cleaned_data.items() if value != ""}


class ExportForm(forms.Form):
    selector = forms.CharField(
        label="Objects labelled",
        max_length=500,
        help_text="A label selector, such as app=shop or template=postgresql-persistent.",
    )
    name = forms.CharField(label="Template name", max_length=253, initial="exported")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_dns_subdomain(name)
        return name
