from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from actions import selectors
from actions.models import Action
from actions.refusal import Refused


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.action_get(user=request.user, pk=pk)
    if action is None:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(("GET", "HEAD"))
    follow = request.GET.get("follow") == "1"
    if follow and action.state == action.State.SUCCEEDED and action.next_url:
        return redirect(action.next_url)  # it finished before the page was even shown
    template = "actions/_status.html" if request.htmx else "actions/detail.html"
    return render(request, template, {"action": action})


def redirect_to_action(action: Action, *, follow: bool = False) -> HttpResponse:
    """To the action's page; with ``follow`` the page moves on to its result once it succeeds."""
    url = reverse("actions:detail", kwargs={"pk": action.pk})
    return redirect(f"{url}?follow=1" if follow else url)


def refusal_to_form(form: forms.Form, exc: Refused) -> None:
    """Show a refusal on the form: at its field when the form has that field."""
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def start_from_form(
    form: forms.Form, start: Callable[[], Action], *, follow: bool = True
) -> HttpResponse | None:
    """The form → action → redirect step every view that starts an action shares.

    Calls ``start()`` (a service that queues an action) and returns the redirect
    to that action; when the service refuses, the refusal goes on the form and
    None comes back, so the view renders the form again with what was typed.
    """
    try:
        action = start()
    except Refused as exc:
        refusal_to_form(form, exc)
        return None
    return redirect_to_action(action, follow=follow)


def inline_action(request: HttpRequest, action: Action) -> HttpResponse:
    """The action's live status, in place of the button that started it (htmx)."""
    return render(request, "actions/_inline.html", {"action": action})
