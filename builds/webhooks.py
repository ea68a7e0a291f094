"""Webhooks that start builds: GitHub's (HMAC-signed body) and a generic one
(secret in the URL), as OpenShift's BuildConfig triggers do.

No login and no CSRF token: the secret is the only authority. A wrong secret or
signature gets a bare 403 that says nothing about whether the config exists. A
delivery id seen before is acknowledged and not built again. Every delivery —
refused ones included — is recorded for the config's audit trail. Nothing here
waits for the cluster: the build is queued and the sender gets 202 at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from redis import RedisError

from actions.refusal import Refused
from builds import services
from builds.models import Build, BuildConfig
from projects import cluster as cluster_projects
from projects import data

SECRET_HEADER = "X-Berth-Webhook-Secret"  # noqa: S105 - a header's name


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_signature_valid(secret: str, body: bytes, header: str) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(github_signature(secret, body).encode(), header.strip().encode())


def _remote(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _refuse(config: BuildConfig | None, request: HttpRequest, kind: str, why: str) -> HttpResponse:
    if config is not None:
        claimed = request.headers.get("X-GitHub-Delivery", "")[:40]
        services.webhook_delivery_record(
            config=config,
            # Refused deliveries never take the replay slot of a real one.
            delivery_id=f"refused-{uuid.uuid4()}",
            kind=kind,
            event=request.headers.get("X-GitHub-Event", ""),
            status_code=403,
            outcome=f"refused: {why}" + (f" (claimed delivery {claimed})" if claimed else ""),
            remote_addr=_remote(request),
        )
        services.webhook_refusals_prune(config=config)
    return HttpResponse(status=403)


def _payload(request: HttpRequest) -> dict:
    body = request.body
    if request.content_type == "application/x-www-form-urlencoded":
        body = (parse_qs(body.decode("utf-8", "replace")).get("payload") or ["{}"])[0].encode()
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _config(project: str, name: str) -> BuildConfig | None:
    """The build config, if its project's namespace is the one it was made in: a project
    deleted and made again under the name has lost the old configs (:mod:`projects.data`)."""
    namespace = cluster_projects.project_namespace(project)
    if namespace is None:
        return None
    data.bind(namespace)
    return BuildConfig.objects.filter(project=project, name=name).first()


def _queue(
    request: HttpRequest, delivery, config: BuildConfig, trigger: str, git_ref: str = ""
) -> HttpResponse:
    limit = settings.BERTH_WEBHOOK_BUILDS_PER_HOUR
    try:
        limited = is_ratelimited(
            request, group="webhook-builds", key=lambda *_: config.project, rate=f"{limit}/h", increment=True
        )
    except RedisError:  # the counter (and the queue) live in Redis: the sender may deliver again
        why = "Berth's queue (Redis) is not answering; deliver this again later"
        services.webhook_delivery_finish(delivery=delivery, status_code=503, outcome=f"not built: {why}")
        return JsonResponse({"message": f"Not built: {why}."}, status=503)
    if limited:
        why = (
            f"webhooks have started {limit} builds in {config.project} this hour, the most they may "
            f"(BERTH_WEBHOOK_BUILDS_PER_HOUR = {limit})"
        )
        services.webhook_delivery_finish(delivery=delivery, status_code=429, outcome=f"not built: {why}")
        return JsonResponse({"message": f"Not built: {why}."}, status=429)
    try:
        build = services.build_start(user=config.updated_by, config=config, trigger=trigger, git_ref=git_ref)
    except Refused as exc:
        services.webhook_delivery_finish(delivery=delivery, status_code=422, outcome=f"not built: {exc}")
        return JsonResponse({"message": str(exc)}, status=422)
    services.webhook_delivery_finish(
        delivery=delivery, status_code=202, outcome=f"queued {build.name}", build=build
    )
    return JsonResponse({"message": f"Build {build.name} queued."}, status=202)


@csrf_exempt
@require_POST
def github(request: HttpRequest, project: str, name: str) -> HttpResponse:
    config = _config(project, name)
    if config is None:
        return HttpResponse(status=403)
    if not github_signature_valid(
        config.github_secret, request.body, request.headers.get("X-Hub-Signature-256", "")
    ):
        return _refuse(config, request, "github", "bad or missing signature")
    if not config.trigger_github:
        return _refuse(config, request, "github", "the GitHub trigger is off")
    event = request.headers.get("X-GitHub-Event", "")
    delivery = services.webhook_delivery_record(
        config=config,
        # A replay is the same signed body: GitHub's delivery header is not signed, so a
        # captured delivery sent again under another id must not build again.
        delivery_id=f"sha256:{hashlib.sha256(request.body).hexdigest()}",
        kind="github",
        event=event,
        status_code=202,
        outcome="received",
        remote_addr=_remote(request),
    )
    if delivery is None:
        return JsonResponse({"message": "This delivery was received before; not built again."}, status=200)
    if event == "ping":
        services.webhook_delivery_finish(delivery=delivery, status_code=200, outcome="ping")
        return JsonResponse({"message": "pong"}, status=200)
    if event != "push":
        services.webhook_delivery_finish(
            delivery=delivery, status_code=200, outcome=f"ignored: {event} event"
        )
        return JsonResponse({"message": f"Ignored: Berth builds on push events, not {event}."}, status=200)
    payload = _payload(request)
    branch = config.git_ref or str((payload.get("repository") or {}).get("default_branch") or "")
    ref = str(payload.get("ref", ""))
    if payload.get("deleted") or not branch or ref not in (f"refs/heads/{branch}", f"refs/tags/{branch}"):
        outcome = f"ignored: push to {ref or 'no ref'}, the config builds {branch or 'its default branch'}"
        services.webhook_delivery_finish(delivery=delivery, status_code=200, outcome=outcome)
        return JsonResponse({"message": outcome.capitalize()}, status=200)
    return _queue(request, delivery, config, Build.Trigger.GITHUB, git_ref=config.git_ref)


@csrf_exempt
@require_POST
def generic(request: HttpRequest, project: str, name: str, secret: str = "") -> HttpResponse:
    secret = secret or request.headers.get(SECRET_HEADER, "")
    config = _config(project, name)
    if config is None or not hmac.compare_digest(config.generic_secret.encode(), secret.encode()):
        return _refuse(config, request, "generic", "wrong secret")
    if not config.trigger_generic:
        return _refuse(config, request, "generic", "the generic trigger is off")
    delivery = services.webhook_delivery_record(
        config=config,
        delivery_id=request.headers.get("X-Delivery-Id") or f"generic-{uuid.uuid4()}",
        kind="generic",
        event="generic",
        status_code=202,
        outcome="received",
        remote_addr=_remote(request),
    )
    if delivery is None:
        return JsonResponse({"message": "This delivery was received before; not built again."}, status=200)
    return _queue(request, delivery, config, Build.Trigger.GENERIC)
