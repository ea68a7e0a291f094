from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from actions.views import redirect_to_action
from objects import selectors, services
from objects.yamltext import dump, shown
from projects.access import SUBMIT, project_view
from projects.roles import role_at_least

TEXT_LIMIT = 512 * 1024  # the editor's text, at most


def _known(kind: str):
    known = selectors.kinds().get(kind)
    if known is None:
        raise Http404
    return known


def _page(request, project, known, item: str, text: str, checked=None, status: int = 200) -> HttpResponse:
    context = {
        "project": project,
        "kind": known,
        "name": item,
        "can_edit": role_at_least(project.my_role, "edit"),
        "checked": checked,
        "text": text,
    }
    return render(request, "objects/yaml.html", context, status=status)


@project_view()
def object_yaml(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    """Any object Berth lists, as YAML, read as the person."""
    known = _known(kind)
    current = selectors.object_get(user=request.user, project=project, kind=known, name=item)
    return _page(request, project, known, item, dump(shown(current)))


@project_view("edit", methods=SUBMIT)
def object_yaml_check(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    """An editor's YAML: checked (the API server's dry run: errors at their lines, the
    diff), and applied as an action once the check passed and "Apply" was pressed."""
    known = _known(kind)
    selectors.object_get(user=request.user, project=project, kind=known, name=item)  # NotFound: a 404
    text = request.POST.get("text", "")
    if len(text) > TEXT_LIMIT:  # never cut: a shortened object would lose what was cut
        checked = services.Check(errors=[(None, f"The YAML is longer than {TEXT_LIMIT // 1024} KiB.")])
    else:
        checked = services.check(user=request.user, project=project, kind=known, name=item, text=text)
    if checked.errors:
        return _page(request, project, known, item, text, checked, status=422)
    if "apply" in request.POST and checked.changes:
        action = services.apply(user=request.user, project=project, kind=known, name=item, body=checked.body)
        return redirect_to_action(action, follow=True)
    return _page(request, project, known, item, text, checked)
