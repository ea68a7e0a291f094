from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from projects import selectors


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/list.html", {"projects": []})


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.action_get(user=request.user, pk=pk)
    if action is None:
        raise Http404
    template = "projects/actions/_status.html" if request.htmx else "projects/actions/detail.html"
    return render(request, template, {"action": action})
