from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from actions.refusal import Refused
from actions.views import redirect_to_action
from images import distribution, registry, selectors, services
from kube import identity_for_user
from projects.access import SUBMIT, project_view
from projects.roles import role_at_least


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


@csrf_exempt  # a registry client's call, with its own credentials: no session, no cookie
@require_http_methods(["GET", "POST"])
def registry_token(request: HttpRequest) -> JsonResponse:
    """The registry's token realm: what may this caller pull or push? Docker's ``GET``
    (Basic auth, ``?scope=``), and the OAuth2 password grant containerd ``POST``s."""
    if not registry.enabled():
        return JsonResponse(
            {"errors": [{"code": "UNSUPPORTED", "message": "No token service here."}]}, status=404
        )
    if request.method == "POST":
        if request.POST.get("grant_type") != "password":
            return JsonResponse({"error": "unsupported_grant_type"}, status=400)
        scopes = registry.parse_scopes([request.POST.get("scope", "")])
        credentials = (request.POST.get("username", ""), request.POST.get("password", ""))
    else:
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


@project_view()
def image_list(request: HttpRequest, project) -> HttpResponse:
    streams, problem = [], ""
    if not registry.enabled():
        problem = (
            "This cluster's registry does not use Berth as its token service: Berth cannot list its images."
        )
    else:
        try:
            streams = selectors.image_streams(user=request.user, project=project)
        except distribution.RegistryError as exc:
            problem = str(exc)
    context = {
        "project": project,
        "streams": streams,
        "problem": problem,
        "can_edit": role_at_least(project.my_role, "edit"),
    }
    return render(request, "images/list.html", context)


def _exists(request, project, image: str) -> None:
    """Tagging an image the project does not have is a 404, not a refused action."""
    if not registry.enabled():
        raise Http404("This cluster's registry does not use Berth as its token service.")
    try:
        if not distribution.tags(f"{project.name}/{image}"):
            raise Http404(f"{project.name} has no image named {image}.")
    except distribution.RegistryError:
        return  # the registry is away: the action says so, in its own words


@project_view("edit", methods=SUBMIT)
def image_tag(request: HttpRequest, project, image: str) -> HttpResponse:
    _exists(request, project, image)
    try:
        action = services.image_tag(
            user=request.user,
            project=project,
            image=image,
            source=request.POST.get("source", "").strip(),
            tag=request.POST.get("tag", "").strip(),
        )
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("images:list", name=project.name)
    return redirect_to_action(action, follow=True)


@project_view("edit", methods=SUBMIT)
def image_untag(request: HttpRequest, project, image: str) -> HttpResponse:
    _exists(request, project, image)
    try:
        action = services.image_untag(
            user=request.user, project=project, image=image, tag=request.POST.get("tag", "").strip()
        )
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("images:list", name=project.name)
    return redirect_to_action(action, follow=True)
