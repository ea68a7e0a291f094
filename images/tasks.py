"""Celery work for image streams: tag (and roll out what follows the tag), untag."""

from __future__ import annotations

from django.conf import settings

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from builds import cluster as cluster_builds
from builds import services
from images import distribution, registry
from workloads import services as workload_services


def _repository(action: Action) -> str:
    return f"{action.project}/{action.parameters['image']}"


def _may_push(action: Action) -> None:
    if not registry.person_may(action_identity(action), action.project, "push"):
        raise ActionFailed(f"The cluster does not let you change the images of {action.project}.")


@action_task("image.tag")
def image_tag(action: Action) -> str:
    _may_push(action)
    repository, params = _repository(action), action.parameters
    try:
        source = distribution.manifest(repository, params["source"])
        if source is None:
            raise ActionFailed(f"{params['image']}:{params['source']} does not exist (any more).")
        distribution.tag(repository, source, params["tag"])
    except distribution.RegistryError as exc:
        raise ActionFailed(str(exc)) from exc
    stream_tag = f"{params['image']}:{params['tag']}"
    action_update(action=action, progress=60, message=f"{stream_tag} is {source.digest[:19]}; rolling out")
    image = f"{settings.BERTH_BUILD_REGISTRY}/{repository}@{source.digest}"
    changed, gated = cluster_builds.deployments_follow_image(
        action_identity(action), namespace=action.project, stream_tag=stream_tag, image=image
    )
    workload_services.deployment_release_start(action=action, names=gated, why=f"{stream_tag}'s new image")
    rebuilt = services.builder_image_changed(
        project=action.project, image=f"{settings.BERTH_BUILD_REGISTRY}/{repository}:{params['tag']}"
    )
    rolled = f"; rolling out {', '.join(changed)}" if changed else "; no deployment follows it"
    if rebuilt:
        rolled += f"; rebuilding {', '.join(build.name for build in rebuilt)} (they build on it)"
    return f"{stream_tag} now points at {params['image']}:{params['source']} ({source.digest[:19]}){rolled}."


@action_task("image.untag")
def image_untag(action: Action) -> str:
    _may_push(action)
    params = action.parameters
    try:
        kept = distribution.untag(_repository(action), params["tag"])
    except distribution.RegistryError as exc:
        raise ActionFailed(str(exc)) from exc
    also = f" ({', '.join(kept)} still name that image)" if kept else ""
    return f"{params['image']}:{params['tag']} is deleted{also}."
