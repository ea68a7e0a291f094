from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import kube
from console.forms import LoginForm
from console.middleware import current_request_id

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return redirect("projects:list")


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _check_redis() -> dict:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _check_cluster() -> dict:
    return {"ok": True, **kube.cluster_health()}


def _is_staff(request: HttpRequest) -> bool:
    try:
        return request.user.is_authenticated and request.user.is_staff
    except Exception:  # the session is in the database, which may be what is down
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each check's state for anyone (load balancers, probes); what failed and the
    cluster's version only for staff: an error text says too much about the inside."""
    checks = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("cluster", _check_cluster)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever it is
            logger.warning("health check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "error": str(exc) or exc.__class__.__name__}
    ok = all(check["ok"] for check in checks.values())
    if not _is_staff(request):
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """Berth's error page; inside a project's pages it keeps the project's header and tabs."""
    context = {
        "status": status,
        "title": title,
        "message": message,
        "request_id": current_request_id(),
        "project": getattr(request, "berth_project", None),
    }
    response = render(request, "errors/error.html", context, status=status)
    response.berth_page = True  # not Django's debug page (console.exceptions)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "Bad request", "Berth could not understand that request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You are not allowed to do that."
    return error_page(request, 403, "Not allowed", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "Not found", "There is nothing here, or you do not have access to it.")


def server_error(request: HttpRequest) -> HttpResponse:
    # Django has already logged the traceback with this request id.
    return error_page(
        request,
        500,
        "Something went wrong",
        "Berth hit an unexpected error. It has been logged; quote the request id when you report it.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return error_page(
        request,
        403,
        "This form has expired",
        "Your session or the page was out of date, so Berth did not act on it. "
        "Go back, reload the page and try again.",
    )


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The login page, saying this user name is locked from this address, and for how long
    (the registry's token service gets the same words as a JSON error)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request, initial={"username": (credentials or {}).get("username", "")})
    locked = (
        f"Too many wrong passwords for this user name from your address: logging in is refused for "
        f"{minutes} minutes. An administrator can lift it (manage.py axes_reset_username)."
    )
    if request.resolver_match and request.resolver_match.view_name != "login":
        # The registry's token service (docker login): its clients read JSON errors.
        return JsonResponse({"errors": [{"code": "DENIED", "message": locked}]}, status=429)
    return render(request, "registration/login.html", {"form": form, "locked": locked}, status=429)
