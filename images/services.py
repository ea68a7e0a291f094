"""Tagging and untagging a project's images: actions as the person."""

from __future__ import annotations

import re

from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from builds.cluster import DEPENDENCIES_TAG_PREFIX
from images import registry
from projects.access import require_role

TAG = re.compile(r"^[\w][\w.-]{0,127}$")


def _check(project, image: str, tag: str, field: str) -> None:
    if not registry.enabled():
        raise Refused("This cluster's registry does not use Berth as its token service.")
    if not re.fullmatch(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", image):
        raise Refused("That is not an image name of this project.", field="image")
    if not TAG.match(tag):
        raise Refused(
            "A tag is letters, digits, '_', '.' and '-' (up to 128), e.g. prod or v1.2.", field=field
        )
    if tag.startswith(DEPENDENCIES_TAG_PREFIX):
        raise Refused(
            f"Tags starting with {DEPENDENCIES_TAG_PREFIX} hold the dependencies incremental builds "
            "reuse; Berth keeps them.",
            field=field,
        )


def image_tag(*, user, project, image: str, source: str, tag: str) -> Action:
    """Point ``image:tag`` at what ``image:source`` is; deployments following it roll out."""
    require_role(project, "edit", "Tagging an image")
    _check(project, image, source, "source")
    _check(project, image, tag, "tag")
    if source == tag:
        raise Refused("The new tag is the tag it comes from.", field="tag")
    return action_start(
        kind="image.tag",
        user=user,
        project=project.name,
        target=f"imagestreamtag/{image}:{tag}",
        parameters={
            "image": image,
            "source": source,
            "tag": tag,
            "next": reverse("images:list", kwargs={"name": project.name}),
        },
    )


def image_untag(*, user, project, image: str, tag: str) -> Action:
    require_role(project, "edit", "Deleting a tag")
    _check(project, image, tag, "tag")
    return action_start(
        kind="image.untag",
        user=user,
        project=project.name,
        target=f"imagestreamtag/{image}:{tag}",
        parameters={
            "image": image,
            "tag": tag,
            "next": reverse("images:list", kwargs={"name": project.name}),
        },
    )
