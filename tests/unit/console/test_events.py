"""Events on the channel layer are signed with Berth's secret key."""

from __future__ import annotations

from actions import events


def test_a_signed_event_verifies_and_any_change_breaks_it(monkeypatch):
    sent = []

    class Layer:
        async def group_send(self, group, event):
            sent.append(event)

    monkeypatch.setattr(events, "get_channel_layer", Layer)
    events.publish("build-1", {"type": "build.lines", "first": 1, "last": 2, "payload": "<div>a</div>"})
    (event,) = sent
    assert events.verified(event)
    assert not events.verified({**event, "payload": "<div>b</div>"})
    assert not events.verified({**event, "last": 3})
    assert not events.verified({k: v for k, v in event.items() if k != "sig"})
