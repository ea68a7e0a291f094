"""Access to a project's pages: the one decorator every project view uses."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from console.cluster import NotFound
from projects import selectors, services


def project_view(min_role: str = "view"):
    """Load the project for the person: 404 without a role, 403 below ``min_role``."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, name: str, *args, **kwargs):
            try:
                project = selectors.project_get(user=request.user, name=name)
            except NotFound:
                raise Http404 from None
            if not services.role_at_least(project.my_role, min_role):
                raise PermissionDenied(
                    f"This needs the {min_role} role in {project.name}; you have {project.my_role}."
                )
            return view(request, project, *args, **kwargs)

        return wrapper

    return decorate
