"""Live tables rendered once per change for all the viewers of a process."""

from __future__ import annotations

from workloads import consumers


def test_viewers_of_one_table_share_a_render_until_the_caches_move(monkeypatch, settings):
    settings.BERTH_LIVE_SHARED_RENDERS = 256
    monkeypatch.setattr(consumers, "_renders", type(consumers._renders)())
    calls = []

    def render(text):
        def run():
            calls.append(text)
            return text

        return run

    key = ("shop", "pods", (("sort", "name"),), False)
    assert consumers.shared_render(key, (1,), render("a")) == "a"
    assert consumers.shared_render(key, (1,), render("b")) == "a"  # another viewer, same stamp
    assert consumers.shared_render(key, (2,), render("c")) == "c"  # the cache moved
    other = ("shop", "pods", (("sort", "age"),), False)
    assert consumers.shared_render(other, (2,), render("d")) == "d"  # another table
    assert calls == ["a", "c", "d"]


def test_only_so_many_tables_are_kept(monkeypatch, settings):
    monkeypatch.setattr(consumers, "_renders", type(consumers._renders)())
    settings.BERTH_LIVE_SHARED_RENDERS = 2
    for name in ("a", "b", "c"):
        consumers.shared_render((name,), (1,), lambda n=name: n)
    assert list(consumers._renders) == [("b",), ("c",)]
