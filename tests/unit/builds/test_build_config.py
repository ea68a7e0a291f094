"""Build config checks that need no cluster: repository addresses, refs, env conflicts,
OpenShift export, image stream tags, the simulated digest and trigger matching."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from actions.refusal import Refused
from builds.cluster import _followers
from builds.forms import BuildConfigForm
from builds.models import BuildConfig
from builds.source import git_ref_problem, git_url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/app.git",
        "http://git.example:8080/org/app",
        "ssh://git@github.com/org/app.git",
        "git@github.com:org/app.git",
        "git://example.org/app.git",
    ],
)
def test_repository_addresses(url):
    assert git_url_problem(url) is None


@pytest.mark.parametrize(
    "url", ["github.com/org/app", "not a url", "https://", "-uhttps://x/y", "ftp://example.org/app.git", ""]
)
def test_not_repository_addresses(url):
    assert "not a Git repository" in (git_url_problem(url) or "") or "dash" in (git_url_problem(url) or "")


def test_file_urls_only_outside_production(settings):
    settings.BERTH_BUILD_ALLOW_FILE_REPOS = False
    assert "not allowed" in git_url_problem("file:///srv/repo.git")
    settings.BERTH_BUILD_ALLOW_FILE_REPOS = True
    assert git_url_problem("file:///srv/repo.git") is None


def test_refs():
    assert git_ref_problem("main") is None
    assert git_ref_problem("release/1.2") is None
    assert git_ref_problem("-x") and git_ref_problem("a..b") and git_ref_problem("a b")


def _form(**overrides):
    data = {
        "name": "web",
        "git_uri": "https://github.com/org/app.git",
        "strategy": "source",
        "builder_image": "registry.access.redhat.com/ubi9/python-311",
        "env": "",
    }
    data.update(overrides)
    return BuildConfigForm(data)


def test_form_errors_are_at_the_field():
    form = _form(git_uri="github.com/org/app")
    assert not form.is_valid() and "not a Git repository" in form.errors["git_uri"][0]
    form = _form(env="ENABLE_PIPENV=1\nENABLE_MICROPIPENV=1")
    assert not form.is_valid() and "both set" in form.errors["env"][0]
    form = _form(env="not a pair")
    assert not form.is_valid() and "Line 1" in form.errors["env"][0]
    form = _form(name="Web_App")
    assert not form.is_valid() and "name" in form.errors
    assert _form().is_valid()
    # Incremental builds: ticked is on; an unticked box (no field at all) is off.
    on, off = _form(incremental="on"), _form()
    assert on.is_valid() and on.cleaned_data["incremental"] is True
    assert off.is_valid() and off.cleaned_data["incremental"] is False


def test_openshift_export_and_stream_tag():
    config = BuildConfig(
        project="shop",
        name="web",
        git_uri="https://x.example/a.git",
        git_ref="main",
        context_dir="app",
        strategy="source",
        builder_image="py:3.12",
        env={"APP_MODULE": "app:app"},
        output_image="registry.example:5000/shop/web:v2",
        github_secret="g",
        generic_secret="s",
        trigger_config_change=True,
        post_commit="pytest",
    )
    spec = config.to_openshift()["spec"]
    assert spec["source"] == {
        "type": "Git",
        "git": {"uri": "https://x.example/a.git", "ref": "main"},
        "contextDir": "app",
    }
    assert spec["strategy"]["sourceStrategy"]["env"] == [{"name": "APP_MODULE", "value": "app:app"}]
    assert {t["type"] for t in spec["triggers"]} == {"GitHub", "Generic", "ConfigChange"}
    assert spec["postCommit"] == {"script": "pytest"}
    assert spec["strategy"]["sourceStrategy"]["incremental"] is True
    config.incremental = False
    assert config.to_openshift()["spec"]["strategy"]["sourceStrategy"]["incremental"] is False
    assert config.stream_tag == "web:v2"
    assert config.output_repository == "registry.example:5000/shop/web"


def _deployment(annotation: str | None):
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(
            name="web", annotations={"image.openshift.io/triggers": annotation} if annotation else {}
        )
    )


def test_trigger_annotation_matching():
    source = '{"kind":"ImageStreamTag","name":"web:latest"}'
    by_index = f'[{{"from":{source},"fieldPath":"spec.template.spec.containers[0].image"}}]'
    by_name = f'[{{"from":{source},"fieldPath":"spec.template.spec.containers[?(@.name==\\"app\\")].image"}}]'
    [follower] = _followers(_deployment(by_index), "web:latest")
    assert (follower.index, follower.container) == (0, None)
    [follower] = _followers(_deployment(by_name), "web:latest")
    assert (follower.index, follower.container) == (None, "app")
    assert _followers(_deployment(by_index), "api:latest") == []
    assert _followers(_deployment("not json"), "web:latest") == []
    assert _followers(_deployment(None), "web:latest") == []


class _Project:
    def __init__(self, role: str):
        self.name, self.my_role = "shop", role


@pytest.mark.django_db
def test_config_change_builds_and_edit_history_is_kept():
    from django.contrib.auth import get_user_model

    from actions.models import Action
    from builds import services

    alice = get_user_model().objects.create_user("alice")
    data = {"git_uri": "https://github.com/org/app.git", "git_ref": "main", "strategy": "source", "env": {}}
    config = services.build_config_create(user=alice, project=_Project("edit"), name="web", data=data)
    assert config.output_image == "image-registry.berth.local:5000/shop/web:latest"
    assert config.builds.count() == 0 and config.revisions.count() == 1
    assert Action.objects.filter(kind="build.detect").count() == 1
    services.build_config_update(
        user=alice, project=_Project("edit"), config=config, data={**data, "trigger_config_change": True}
    )
    [build] = config.builds.all()
    assert (build.name, build.trigger) == ("web-1", "config-change")
    assert config.revisions.count() == 2
    # Saving without a change is not a change.
    services.build_config_update(
        user=alice, project=_Project("edit"), config=config, data={**data, "trigger_config_change": True}
    )
    assert config.builds.count() == 1 and config.revisions.count() == 2
    with pytest.raises(Refused, match="edit role"):
        services.build_config_update(user=alice, project=_Project("view"), config=config, data=data)
    with pytest.raises(Refused, match="admin role"):
        services.build_config_secret_rotate(user=alice, project=_Project("edit"), config=config)
    old = config.github_secret
    services.build_config_secret_rotate(user=alice, project=_Project("admin"), config=config)
    assert config.github_secret != old and len(config.github_secret) >= 32
