"""Reads: a project's image streams, from the registry and Berth's build history."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from builds.cluster import DEPENDENCIES_TAG_PREFIX
from builds.models import ImageTag
from images import distribution, registry
from kube import identity_for_user


@dataclass
class TagRow:
    tag: str
    digest: str
    image: str  # repository@digest, what a Deployment gets
    build: object | None = None  # the build that made it (ImageTag), if Berth built it


@dataclass
class Stream:
    repository: str  # <project>/<name>
    name: str
    tags: list[TagRow] = field(default_factory=list)


def image_streams(*, user, project) -> list[Stream]:
    """Each repository of the project with its tags, digests and where they came from.
    Raises ``distribution.RegistryError`` when the registry refuses or is away."""
    if not registry.person_may(identity_for_user(user), project.name, "pull"):
        return []
    history = {
        t.digest: t for t in ImageTag.objects.filter(config__project=project.name).select_related("build")
    }
    streams = []
    for repository in distribution.repositories(project=project.name):
        stream = Stream(repository=repository, name=repository.split("/", 1)[1])
        for name in distribution.tags(repository):
            if name.startswith(DEPENDENCIES_TAG_PREFIX):
                continue  # an incremental build's dependencies: Berth's, not an image to run
            found = distribution.manifest(repository, name)
            if found is None:
                continue
            stream.tags.append(
                TagRow(
                    tag=name,
                    digest=found.digest,
                    image=f"{settings.BERTH_BUILD_REGISTRY}/{repository}@{found.digest}",
                    build=history.get(found.digest),
                )
            )
        streams.append(stream)
    return streams
