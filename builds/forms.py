from __future__ import annotations

import re

from django import forms
from django.conf import settings

from builds.models import CONFIG_FIELDS, BuildConfig
from builds.source import git_ref_problem, git_url_problem
from console.validators import IMAGE, parse_env_lines, validate_dns_label, validate_dns_subdomain


class BuildConfigForm(forms.Form):
    name = forms.CharField(
        max_length=50, help_text="Lower-case letters, digits and dashes; builds are name-1, name-2…"
    )
    git_uri = forms.CharField(
        label="Git repository",
        max_length=500,
        help_text="https://github.com/org/app.git or git@host:org/app.git",
    )
    git_ref = forms.CharField(
        label="Git ref",
        max_length=255,
        required=False,
        help_text="Branch or tag; empty for the default branch.",
    )
    context_dir = forms.CharField(
        label="Context directory",
        max_length=255,
        required=False,
        help_text="The app's directory inside the repository.",
    )
    source_secret = forms.CharField(
        label="Source secret",
        max_length=253,
        required=False,
        help_text="For a private repository: a Secret of this project, of type kubernetes.io/basic-auth "
        "(user name and token, for https://) or kubernetes.io/ssh-auth (a key, for SSH).",
    )
    strategy = forms.ChoiceField(choices=BuildConfig.Strategy.choices, initial=BuildConfig.Strategy.SOURCE)
    builder_image = forms.CharField(
        label="Builder image (Python version)",
        max_length=500,
        initial=BuildConfig._meta.get_field("builder_image").default,
        help_text="The source strategy's base image, e.g. registry.access.redhat.com/ubi9/python-312",
    )
    dockerfile_path = forms.CharField(
        label="Dockerfile path", max_length=255, required=False, initial="Dockerfile"
    )
    output_image = forms.CharField(
        label="Output image",
        max_length=500,
        required=False,
        help_text="Empty for <registry>/<project>/<name>:latest: builds push to this project's repositories.",
    )
    env = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Environment",
        help_text="One KEY=value a line (s2i variables such as APP_MODULE).",
    )
    trigger_github = forms.BooleanField(label="GitHub webhook", required=False, initial=True)
    trigger_generic = forms.BooleanField(label="Generic webhook", required=False, initial=True)
    trigger_config_change = forms.BooleanField(label="Build when this config changes", required=False)
    trigger_image_change = forms.BooleanField(
        label="Rebuild when the builder image changes (an image of this project, built or tagged here)",
        required=False,
    )
    post_commit = forms.CharField(label="Post-commit script", max_length=1000, required=False)
    incremental = forms.BooleanField(
        label="Incremental builds",
        required=False,
        initial=True,
        help_text="Reuse the dependencies an earlier build installed while requirements.txt "
        "(and the files it includes) and the builder image stay the same. Turn off to install "
        "the newest releases of unpinned requirements on every build.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["builder_image"].initial = settings.BERTH_BUILD_DEFAULT_BUILDER_IMAGE
        if editing:
            del self.fields["name"]
            # What the form was opened on (a conflict when it changed) and what was previewed.
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.fields["previewed"] = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        validate_dns_label(name)
        return name

    def clean_git_uri(self) -> str:
        value = self.cleaned_data["git_uri"].strip()
        problem = git_url_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_source_secret(self) -> str:
        value = self.cleaned_data["source_secret"].strip()
        if value:
            validate_dns_subdomain(value)
        return value

    def clean_git_ref(self) -> str:
        value = self.cleaned_data["git_ref"].strip()
        problem = git_ref_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_context_dir(self) -> str:
        value = self.cleaned_data["context_dir"].strip().strip("/")
        if value and (".." in value.split("/") or not re.fullmatch(r"[\w./-]+", value)):
            raise forms.ValidationError("A path inside the repository, such as app or services/web.")
        return value

    def _image(self, key: str) -> str:
        value = self.cleaned_data[key].strip()
        if value and not IMAGE.match(value):
            raise forms.ValidationError("That is not an image reference (example: quay.io/org/app:latest).")
        return value

    def clean_builder_image(self) -> str:
        return self._image("builder_image")

    def clean_output_image(self) -> str:
        return self._image("output_image")

    def clean_env(self) -> dict[str, str]:
        env = parse_env_lines(self.cleaned_data["env"])
        if env.get("ENABLE_PIPENV") and env.get("ENABLE_MICROPIPENV"):
            raise forms.ValidationError(
                "ENABLE_PIPENV and ENABLE_MICROPIPENV are both set: the Python builder uses one or the other."
            )
        return env

    def clean_dockerfile_path(self) -> str:
        value = self.cleaned_data["dockerfile_path"].strip() or "Dockerfile"
        if ".." in value.split("/") or value.startswith("/"):
            raise forms.ValidationError("A path inside the context directory.")
        return value

    @staticmethod
    def initial_from(config: BuildConfig) -> dict:
        initial = {key: getattr(config, key) for key in CONFIG_FIELDS}
        initial["env"] = "\n".join(f"{k}={v}" for k, v in config.env.items())
        return initial


class ImportFromGitForm(BuildConfigForm):
    """OpenShift's "Import from Git": a build config, the Deployment that follows its
    image, a Service and (optionally) a Route, in one go."""

    port = forms.IntegerField(
        min_value=1,
        max_value=65535,
        required=False,
        help_text="Empty: the port Berth detects (8080 for s2i apps, or the app's PORT).",
    )
    expose = forms.BooleanField(label="Create a route to the app", required=False, initial=True)

    KEPT = ("name", "git_uri", "git_ref", "context_dir", "source_secret", "env", "port", "expose")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in list(self.fields):
            if key not in self.KEPT:
                del self.fields[key]
        self.order_fields(self.KEPT)
