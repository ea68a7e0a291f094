from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from actions.views import redirect_to_action
from objects import selectors, services
from objects.yamltext import dump, shown
from projects.access import FORM, project_view
from projects.roles import role_at_least

TEXT_LIMIT = 512 * 1024  # the editor's text, at most


@project_view(methods=FORM)
def object_yaml(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    """Any object Berth lists, as YAML: read as the person; editors check it (a dry run:
    errors at their lines, the diff) and apply it (an action)."""
    known = selectors.kinds().get(kind)
    if known is None:
        raise Http404
    can_edit = role_at_least(project.my_role, "edit")
    current = selectors.object_get(user=request.user, project=project, kind=known, name=item)
    context = {"project": project, "kind": known, "name": item, "can_edit": can_edit, "checked": None}
    text = dump(shown(current))
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(
                f"Changing YAML needs the edit role in {project.name}; you have {project.my_role}."
            )
        text = request.POST.get("text", "")
        if len(text) > TEXT_LIMIT:  # never cut: a shortened object would lose what was cut
            checked = services.Check(errors=[(None, f"The YAML is longer than {TEXT_LIMIT // 1024} KiB.")])
        else:
            checked = services.check(user=request.user, project=project, kind=known, name=item, text=text)
        context["checked"] = checked
        if checked.errors:
            status = 422
        elif "apply" in request.POST and checked.changes:
            action = services.apply(
                user=request.user, project=project, kind=known, name=item, body=checked.body
            )
            return redirect_to_action(action, follow=True)
    context["text"] = text
    return render(request, "objects/yaml.html", context, status=status)
