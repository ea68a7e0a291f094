"""What one build config can make Berth keep: its builds' logs stop at BERTH_BUILD_LOG_BYTES
with a line that says so, and refused webhook calls are pruned to the newest few."""

from __future__ import annotations

import pytest

from builds.models import Build, BuildConfig, BuildLogLine, WebhookDelivery
from builds.services import build_log_append

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def build(redis_url):
    config = BuildConfig.objects.create(project="p", name="web", git_uri="https://example.com/r.git")
    return Build.objects.create(config=config, number=1, requested_by_name="alice", status="Running")


def test_the_log_stops_at_the_limit_with_a_marker_and_keeps_its_place(build, settings):
    settings.BERTH_BUILD_LOG_BYTES = 25
    assert build_log_append(build=build, lines=["0123456789", "abcdefghij"]) == 2
    last = build_log_append(
        build=build, lines=["more than fits", "never stored"], position=("build", "t1", 2)
    )
    stored = list(BuildLogLine.objects.filter(build=build).values_list("seq", "text"))
    assert stored[:2] == [(1, "0123456789"), (2, "abcdefghij")]
    assert last == 3 and stored[2][0] == 3
    assert stored[2][1].startswith("[Berth: the log stops here: 25 bytes are kept of a build's log")
    # Later lines are dropped, but where the pod's log was read up to still moves on, so a
    # worker that takes the build over does not read them again.
    assert build_log_append(build=build, lines=["even more"], position=("build", "t2", 1)) == 3
    build.refresh_from_db()
    assert (build.last_seq, build.log_bytes, build.log_timestamp) == (3, 25, "t2")
    assert BuildLogLine.objects.filter(build=build).count() == 3


def test_a_line_longer_than_ten_thousand_characters_is_cut(build):
    build_log_append(build=build, lines=["x" * 12_000])
    assert len(BuildLogLine.objects.get(build=build).text) == 10_000


def test_refused_webhook_calls_keep_only_the_newest(build, settings, client, monkeypatch):
    from builds import webhooks
    from projects.cluster import Project

    # The namespace a webhook reads first (here without a cluster: a stand-in answer).
    namespace = Project(name="p", display_name="", description="", requester="", status="Active", uid="u")
    monkeypatch.setattr(webhooks.cluster_projects, "project_namespace", lambda name: namespace)
    settings.BERTH_WEBHOOK_REFUSALS_KEPT = 3
    config = build.config
    config.github_secret, config.generic_secret = "gh", "gen"
    config.save()
    for n in range(6):
        response = client.post(
            "/webhooks/p/web/github/",
            b"{}",
            "application/json",
            HTTP_X_GITHUB_EVENT="push",
            HTTP_X_GITHUB_DELIVERY=f"d{n}",
            HTTP_X_HUB_SIGNATURE_256="sha256=wrong",
        )
        assert response.status_code == 403
    kept = [d.outcome for d in WebhookDelivery.objects.filter(config=config)]
    assert len(kept) == 3 and "claimed delivery d5" in kept[0] and "claimed delivery d3" in kept[2]
