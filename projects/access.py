"""Access to a project: the decorator every project view uses, and the role check
every service makes before it queues anything."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed

from actions.refusal import Refused
from kube import NotFound
from projects import selectors
from projects.roles import role_at_least


def require_role(project, needed: str, what: str = "This") -> None:
    """Refuse, with a message fit to show, a person below ``needed`` in the project."""
    if not role_at_least(project.my_role, needed):
        raise Refused(f"{what} needs the {needed} role in {project.name}.")


# The methods a project view answers: a page reads, a form's address takes a submission,
# a form's page does both. Anything else is a 405 (after the access check, so that a
# wrong method never tells a stranger that a project exists).
READ = ("GET", "HEAD")
SUBMIT = ("POST",)
FORM = (*READ, *SUBMIT)


def project_view(min_role: str = "view", methods: tuple[str, ...] = READ):
    """Load the project for the person: 404 without a role, 403 below ``min_role``,
    405 for a method the view does not answer."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, name: str, *args, **kwargs):
            try:
                project = selectors.project_get(user=request.user, name=name)
            except NotFound:
                raise Http404 from None
            request.berth_project = project  # error pages keep the project's layout
            if not role_at_least(project.my_role, min_role):
                raise PermissionDenied(
                    f"This needs the {min_role} role in {project.name}; you have {project.my_role}."
                )
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, project, *args, **kwargs)

        # Read by the permission matrix (tests/cluster/test_permission_matrix.py).
        wrapper.min_role, wrapper.methods = min_role, methods
        return wrapper

    return decorate
