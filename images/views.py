from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from images import registry
from kube import identity_for_user


def _basic(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() != "basic" or not value:
        return None
    try:
        username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


@require_GET
def registry_token(request: HttpRequest) -> JsonResponse:
    """The registry's token realm: what may this caller pull or push? (``?scope=``)"""
    if not registry.enabled():
        return JsonResponse(
            {"errors": [{"code": "UNSUPPORTED", "message": "No token service here."}]}, status=404
        )
    scopes = registry.parse_scopes(request.GET.getlist("scope"))
    credentials = _basic(request)
    subject, access = "anonymous", []
    if credentials is not None:
        username, password = credentials
        if username in (registry.BUILD_USER, registry.PULL_USER):
            subject = username
            grants = [(scope, registry.robot_grants(username, password, scope)) for scope in scopes]
        else:
            user = authenticate(request, username=username, password=password)
            if user is None:
                return JsonResponse(
                    {"errors": [{"code": "UNAUTHORIZED", "message": "Wrong user name or password."}]},
                    status=401,
                )
            subject = user.get_username()
            identity = identity_for_user(user)
            grants = [(scope, registry.person_grants(identity, scope)) for scope in scopes]
        access = [scope.as_claim(actions) for scope, actions in grants if actions]
    return JsonResponse(registry.issue_token(subject=subject, access=access))
