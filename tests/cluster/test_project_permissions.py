"""The permission matrix of every project page and form, against the real RBAC.

anonymous → login; no role → 404 (the project's existence is not revealed);
view → read-only (mutations 403, buttons hidden); edit → the same for project
administration; admin → allowed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from actions.models import Action
from tests.helpers import bind, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/projects/{p}/", "/projects/{p}/members/", "/projects/{p}/activity/"]
ADMIN_PAGES = ["/projects/{p}/delete/"]
MUTATIONS = [
    ("/projects/{p}/members/set/", {"kind": "User", "name": "dave", "role": "view"}),
    ("/projects/{p}/members/remove/", {"kind": "User", "name": "alice"}),
    ("/projects/{p}/delete/", {"confirm": "{p}"}),
]


def as_user(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin; bob view; carol edit (bound outside Berth, as kubectl would)."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    bind(admin_client, name, "edit", user="carol")
    return name


def test_anonymous_goes_to_login(project):
    for url in PAGES + ADMIN_PAGES + [m[0] for m in MUTATIONS]:
        response = as_user(None).get(url.format(p=project))
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_no_role_gets_404_everywhere(people, project):
    from django.contrib.auth import get_user_model

    dave = get_user_model().objects.create_user("dave", password="x")
    c = as_user(dave)
    for url in PAGES + ADMIN_PAGES:
        assert c.get(url.format(p=project)).status_code == 404, url
    for url, data in MUTATIONS:
        assert (
            c.post(url.format(p=project), {k: v.format(p=project) for k, v in data.items()}).status_code
            == 404
        )
    assert project not in c.get("/projects/").content.decode()
    assert not Action.objects.exists()


@pytest.mark.parametrize(("who", "role"), [("bob", "view"), ("carol", "edit")])
def test_view_and_edit_read_but_cannot_administer(people, project, who, role):
    c = as_user(people[who])
    for url in PAGES:
        response = c.get(url.format(p=project))
        assert response.status_code == 200, url
        body = response.content.decode()
        assert f'data-testid="project-role">{role}<' in body
        assert 'data-testid="add-member"' not in body and 'data-testid="delete-project"' not in body
        assert "Change role" not in body
    for url in ADMIN_PAGES:
        assert c.get(url.format(p=project)).status_code == 403
    for url, data in MUTATIONS:
        response = c.post(url.format(p=project), {k: v.format(p=project) for k, v in data.items()})
        assert response.status_code == 403, url
    assert not Action.objects.exists()


def test_admin_sees_the_controls(people, project):
    body = as_user(people["alice"]).get(f"/projects/{project}/members/").content.decode()
    assert 'data-testid="add-member"' in body and "Change role" in body
    members = {(row.split('data-member="')[1].split('"')[0]) for row in body.split("member-row")[1:]}
    assert members == {"User:alice", "User:bob", "User:carol"}
    assert as_user(people["alice"]).get(f"/projects/{project}/delete/").status_code == 200


def test_two_people_two_projects_nothing_leaks(people, make_project, celery_worker):
    from actions import services

    mine = make_project(people["alice"])
    theirs = make_project(people["bob"])
    theirs_action = services.action_start(kind="project.delete", user=people["bob"], project=theirs)
    alice = as_user(people["alice"])
    listing = wait_for(
        lambda: page if mine in (page := alice.get("/projects/").content.decode()) else None,
        message="alice's project in her list",
    )
    assert theirs not in listing
    for url in PAGES + ADMIN_PAGES:
        assert alice.get(url.format(p=theirs)).status_code == 404, url
    for url, data in MUTATIONS:
        assert (
            alice.post(url.format(p=theirs), {k: v.format(p=theirs) for k, v in data.items()}).status_code
            == 404
        )
    assert alice.get(f"/actions/{theirs_action.pk}/").status_code == 404
    assert Action.objects.filter(project=theirs).count() == 1


def test_the_strongest_role_wins_across_user_and_group(people, project, admin_client):
    bind(admin_client, project, "admin", group="qa")  # bob is in qa too
    body = as_user(people["bob"]).get(f"/projects/{project}/members/").content.decode()
    assert 'data-testid="project-role">admin<' in body and 'data-testid="add-member"' in body
