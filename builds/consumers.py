"""The live build log: ``ws/builds/<id>/?after=<seq>`` (console.consumers.StoredLogConsumer)."""

from __future__ import annotations

from builds import selectors, services
from console.consumers import StoredLogConsumer


class BuildLogConsumer(StoredLogConsumer):
    url_kwarg = "build_id"

    def owner_for(self, user, pk: int) -> tuple[str, str] | None:
        build = selectors.build_get_for_user(user=user, pk=pk)
        return (build.group_name, build.config.project) if build is not None else None

    def last_seq(self, pk: int) -> int:
        return selectors.build_last_seq(build_id=pk)

    def lines(self, pk: int, *, after: int, limit: int, until: int | None) -> list[list[int | str]]:
        return selectors.build_log_rendered(build_id=pk, after=after, limit=limit, until=until)

    def status(self, pk: int) -> dict:
        return services.status_event(selectors.build_refresh(pk=pk))
