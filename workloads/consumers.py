"""Websockets of the workloads pages: live lists and pod logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string

from console.ansi import ansi_to_html
from console.consumers import ACCESS_LOST, NO_CHANNEL_LAYER, AccessRechecked, Counted, StoredLogConsumer
from kube import ClusterError
from projects import selectors as project_selectors
from projects.roles import role_at_least
from workloads import selectors, services
from workloads.models import CommandRun

RENDER_DELAY = 0.25  # coalesce bursts of watch events into one render per viewer
LOG_BATCH_DELAY = 0.1
LOG_QUEUE_LINES = 5000  # lines a slow browser may be behind; later ones are skipped, and counted
FOLLOW_ENDED = 4408  # the close code after BERTH_LOG_FOLLOW_SECONDS


# Renders shared by the viewers of one process: viewers of the same table (project, page
# filter and sort, and whether they may edit) get the same markup, so a change is rendered
# once, not once per viewer. An entry holds while the caches behind it have not moved.
_renders: OrderedDict[tuple, tuple[tuple, str]] = OrderedDict()
_renders_lock = threading.Lock()


def shared_render(key: tuple, stamp: tuple, render) -> str:
    """``render()``'s markup for ``key`` as of ``stamp`` (the caches' generations, read
    before rendering), made at most once per stamp."""
    with _renders_lock:
        found = _renders.get(key)
        if found is not None and found[0] == stamp:
            _renders.move_to_end(key)
            return found[1]
    html = render()
    with _renders_lock:
        _renders[key] = (stamp, html)
        _renders.move_to_end(key)
        while len(_renders) > settings.BERTH_LIVE_SHARED_RENDERS:
            _renders.popitem(last=False)
    return html


def _params(scope) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode())
    return {k: v[-1] for k, v in parsed.items()}


async def _project_pod(user, name: str, pod: str):
    """The project and its pod, as the person sees them (ClusterError when they don't)."""
    project = await database_sync_to_async(project_selectors.project_get)(user=user, name=name)
    return project, await database_sync_to_async(selectors.pod_detail)(user=user, project=project, name=pod)


class LiveListConsumer(AccessRechecked, Counted, AsyncWebsocketConsumer):
    """Re-renders a viewer's table whenever the shared cache behind it changes.

    The viewer is authorised once, on connect; the informer is the process's
    shared one, so a thousand viewers of a namespace cost one watch. It needs no channel
    layer: with Redis away the page goes on following the cluster.
    """

    channel_layer_alias = NO_CHANNEL_LAYER
    informer = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        self.project, self.resource = kwargs["name"], kwargs["resource"]
        self.params = _params(self.scope)
        if self.resource not in ("pods", "deployments"):
            await self.close(code=4404)
            return
        try:
            role = await database_sync_to_async(selectors.live_list_role)(
                user=user, project=self.project, resource=self.resource
            )
        except ClusterError:
            role = None
        if role is None:
            await self.close(code=4403)
            return
        if not await self.admit(user):
            return
        self.can_edit = role_at_least(role, "edit")  # which controls the re-rendered parts offer
        self.history: tuple[str, list] = ("", [])  # a deployment's revisions, read again when it changes
        self.informers = selectors.live_informers(project=self.project, resource=self.resource)
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        self.disconnected_message: str | None = None
        await self.accept()
        for informer in self.informers:
            informer.add_listener(self._on_event)
        self.renderer = asyncio.create_task(self._render_loop())
        self.changed.set()
        self.recheck_access(
            lambda: (
                selectors.live_list_role(user=user, project=self.project, resource=self.resource) is not None
            )
        )

    def _on_event(self, kind: str, payload) -> None:  # called from the watch thread
        def mark() -> None:
            if kind == "DISCONNECTED":
                self.disconnected_message = str(payload)
            elif kind in ("CONNECTED", "RESYNC"):
                self.disconnected_message = None
            self.changed.set()

        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody to tell
            self.loop.call_soon_threadsafe(mark)

    async def _render_loop(self) -> None:
        while True:
            await self.changed.wait()
            await asyncio.sleep(RENDER_DELAY)
            self.changed.clear()
            try:
                html = await database_sync_to_async(self._render)()
            except ClusterError as exc:
                html = render_to_string("workloads/_live_status.html", {"problem": str(exc)})
            await self.send(text_data=html)

    def _render(self) -> str:
        """The table as of now: rendered once for every viewer of the same table in this
        process (access is the viewer's own: checked on connect and again every
        BERTH_SOCKET_RECHECK_SECONDS)."""
        key = (self.project, self.resource, tuple(sorted(self.params.items())), self.can_edit)
        stamp = (tuple(i.generation for i in self.informers), self.disconnected_message)
        return shared_render(key, stamp, self._render_now)

    def _render_now(self) -> str:
        user = self.scope["user"]
        status = render_to_string("workloads/_live_status.html", {"problem": self.disconnected_message})
        query = selectors.PodQuery.from_params(self.params)
        project = {"name": self.project}
        if self.resource == "pods":
            page, statuses = selectors.pod_page(user=user, namespace=self.project, query=query)
            body = render_to_string(
                "workloads/_pod_table.html",
                {"page": page, "query": query, "statuses": statuses, "project": project},
            )
        elif self.params.get("deployment"):
            deployment = selectors.deployment_summary(
                user=user, namespace=self.project, name=self.params["deployment"]
            )
            page, _ = selectors.pod_page(
                user=user, namespace=self.project, query=query, deployment_selector=deployment.selector
            )
            if self.history[0] != deployment.revision:  # a rollout or rollback made a revision
                history = selectors.deployment_history(
                    user=user, namespace=self.project, name=deployment.name
                )
                self.history = (deployment.revision, history)
            body = render_to_string(
                "workloads/_deployment_live.html",
                {
                    "deployment": deployment,
                    "page": page,
                    "project": project,
                    "query": query,
                    "history": self.history[1],
                    "can_edit": self.can_edit,
                },
            )
        else:
            deployments = selectors.deployment_list(user=user, namespace=self.project)
            body = render_to_string(
                "workloads/_deployment_table.html", {"deployments": deployments, "project": project}
            )
        return status + body

    async def disconnect(self, code: int) -> None:
        self.stop_recheck()
        await self.leave()
        for informer in getattr(self, "informers", []):
            informer.remove_listener(self._on_event)
        if getattr(self, "renderer", None):
            self.renderer.cancel()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        return  # read-only


class PodLogConsumer(AccessRechecked, Counted, AsyncWebsocketConsumer):
    """Follows one pod's log as the person and sends the lines, escaped and coloured."""

    channel_layer_alias = NO_CHANNEL_LAYER  # the lines come from the cluster, not Redis
    closer = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        self.project, self.pod = kwargs["name"], kwargs["pod"]
        try:
            # A pod the project does not have: refused here, not an error line later.
            await _project_pod(user, self.project, self.pod)
        except ClusterError:
            await self.close(code=4404)
            return
        if not await self.admit(user):
            return
        params = _params(self.scope)
        self.container = params.get("container") or None
        self.timestamps = params.get("timestamps") == "1"
        try:
            self.tail = max(0, min(int(params.get("tail", 500)), 10_000))
        except ValueError:
            self.tail = 500
        self.lines = await database_sync_to_async(selectors.pod_log_follow)(
            user=user,
            project=self.project,
            pod=self.pod,
            container=self.container,
            tail_lines=self.tail,
            timestamps=self.timestamps,
            on_open=self._remember,
        )
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.skipped = 0
        await self.accept()
        self.follow_limit = asyncio.create_task(self._follow_limit())
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"log-{self.project}-{self.pod}")
        self.reader.start()
        self.sender = asyncio.create_task(self._send_loop())
        self.recheck_access(lambda: project_selectors.has_role(user=user, name=self.project))

    def _put(self, item) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._enqueue, item)

    def _enqueue(self, item) -> None:
        if item is not None and self.queue.qsize() >= LOG_QUEUE_LINES:
            self.skipped += 1  # the browser is that far behind: hold no more for it
            return
        self.queue.put_nowait(item)

    async def _follow_limit(self) -> None:
        """Stop following (and release the cluster's log stream) after BERTH_LOG_FOLLOW_SECONDS."""
        seconds = settings.BERTH_LOG_FOLLOW_SECONDS
        await asyncio.sleep(seconds)
        after = f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"
        await self.close(
            code=FOLLOW_ENDED, reason=f"Stopped following after {after}: reload to follow again."
        )

    def _remember(self, closer) -> None:
        self.closer = closer

    def _read(self) -> None:
        try:
            for line in self.lines:
                self._put(line)
        except ClusterError as exc:
            self._put(ClusterErrorLine(str(exc)))
        self._put(None)

    async def _send_loop(self) -> None:
        ended = False
        while not ended:
            lines = [await self.queue.get()]
            await asyncio.sleep(LOG_BATCH_DELAY)
            while not self.queue.empty():
                lines.append(self.queue.get_nowait())
            if None in lines:
                ended = True
                lines = [line for line in lines if line is not None]
            if self.skipped:
                lines.append(
                    ClusterErrorLine(f"… {self.skipped} lines skipped: this page could not keep up.")
                )
                self.skipped = 0
            rendered = "".join(
                f'<div class="berth-log-line berth-log-error">{ansi_to_html(str(line))}</div>'
                if isinstance(line, ClusterErrorLine)
                else f'<div class="berth-log-line">{ansi_to_html(line)}</div>'
                for line in lines
            )
            if rendered:
                await self.send(text_data=f'<div id="log-lines" hx-swap-oob="beforeend">{rendered}</div>')
        await self.send(text_data='<div id="log-state" hx-swap-oob="true">The log stream ended.</div>')

    async def disconnect(self, code: int) -> None:
        self.stop_recheck()
        await self.leave()
        if self.closer is not None:
            with contextlib.suppress(Exception):
                self.closer()
        for task in (getattr(self, "sender", None), getattr(self, "follow_limit", None)):
            if task is not None:
                task.cancel()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        return


class ClusterErrorLine(str):
    """A line that reports why the stream stopped (shown differently)."""


TERMINAL_ENDED = 4000  # the close code once the shell ended, the pod went, or it sat idle
TERMINAL_INPUT_BYTES = 64 * 1024  # what one message from the browser may carry (a paste)


class PodTerminalConsumer(AccessRechecked, Counted, AsyncWebsocketConsumer):
    """A shell in a pod's container for an editor of its project, as the person: the
    browser's xterm.js sends ``{"in": text}`` and ``{"size": [columns, rows]}``, and gets
    the shell's output as binary frames, then ``{"ended": why}``.

    Berth lets only editors open one, and the cluster decides too (``create pods/exec``,
    asked as the person). Each session joins the project's activity when it opens and
    when it closes (who, pod, container, how long), never what was typed.
    """

    channel_layer_alias = NO_CHANNEL_LAYER
    session = None
    started = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        project = await self.target(user)
        if project is None:
            return
        if not await self.admit(user):
            return
        await self.accept()
        try:
            self.session = await self.open_session(user, project)
        except ClusterError as exc:
            await self._end(f"The cluster refused the terminal: {exc}")
            return
        self.started = time.monotonic()
        self.last_input = self.started
        await database_sync_to_async(services.terminal_record)(
            user=user, project=self.project, pod=self.pod, container=self.container, seconds=None
        )
        self.reader = asyncio.create_task(self._read())
        self.idle = asyncio.create_task(self._close_when_idle())
        self.recheck_access(lambda: project_selectors.has_role(user=user, name=self.project, at_least="edit"))

    async def target(self, user):
        """Set the project, pod and container for an editor, and give the project; else
        close (with why) and give None."""
        kwargs = self.scope["url_route"]["kwargs"]
        self.project, self.pod = kwargs["name"], kwargs["pod"]
        try:
            project, detail = await _project_pod(user, self.project, self.pod)
        except ClusterError:
            await self.close(code=4404)
            return None
        if not role_at_least(project.my_role, "edit"):
            await self.close(code=ACCESS_LOST)
            return None
        names = detail.container_names
        self.container = _params(self.scope).get("container") or names[0]
        if self.container not in names:
            await self.close(code=4404)
            return None
        return project

    async def open_session(self, user, project):
        return await services.pod_shell_open(
            user=user, project=project, pod=self.pod, container=self.container
        )

    async def _read(self) -> None:
        async for data in self.session.output():
            await self.send(bytes_data=data)
        ended = self.session.ended
        if ended is None:
            why = "The terminal's connection to the pod ended (the pod may be gone)."
        elif ended.exit_code is None:
            why = f"The shell ended: {ended.message}."
        else:
            why = f"The shell exited with code {ended.exit_code}."
        await self._end(why)

    async def _close_when_idle(self) -> None:
        limit = settings.BERTH_TERMINAL_IDLE_SECONDS
        while True:
            await asyncio.sleep(max(1.0, limit - (time.monotonic() - self.last_input)))
            if time.monotonic() - self.last_input >= limit:
                minutes = f"{limit // 60} minutes" if limit >= 120 else f"{limit} seconds"
                await self._end(f"Closed after {minutes} without a keystroke.")
                return

    async def _end(self, why: str) -> None:
        with contextlib.suppress(Exception):  # the browser may be gone already
            await self.send(text_data=json.dumps({"ended": why}))
        await self.close(code=TERMINAL_ENDED)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.session is None or not text_data or len(text_data) > TERMINAL_INPUT_BYTES:
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        with contextlib.suppress(Exception):  # the shell's connection broke: _read ends it
            if isinstance(message.get("in"), str):
                self.last_input = time.monotonic()
                await self.session.write(message["in"].encode())
            size = message.get("size")
            if isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size):
                columns, rows = (max(1, min(n, 1000)) for n in size)
                await self.session.resize(columns, rows)

    async def disconnect(self, code: int) -> None:
        self.stop_recheck()
        await self.leave()
        for task in (getattr(self, "reader", None), getattr(self, "idle", None)):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if self.session is not None:
            session, self.session = self.session, None
            with contextlib.suppress(Exception):
                await session.close()
            await database_sync_to_async(services.terminal_record)(
                user=self.user,
                project=self.project,
                pod=self.pod,
                container=self.container,
                seconds=round(time.monotonic() - self.started),
            )
            await self.closed(session)

    async def closed(self, session) -> None:
        """After the session closed (a subclass cleans up)."""


class RunTerminalConsumer(PodTerminalConsumer):
    """An interactive run's terminal: the run's command (or a shell) in the pod made for
    it, as the person. When the session ends, the run is finished with its exit code and
    its pod deleted; it opens once."""

    run = None

    async def target(self, user):
        kwargs = self.scope["url_route"]["kwargs"]
        self.project = kwargs["name"]
        run = await database_sync_to_async(selectors.command_run_for_user)(user=user, pk=kwargs["run"])
        if run is None or run.project != self.project or run.kind != run.Kind.INTERACTIVE:
            await self.close(code=4404)
            return None
        try:
            project = await database_sync_to_async(project_selectors.project_get)(
                user=user, name=self.project
            )
        except ClusterError:
            await self.close(code=4404)
            return None
        if not role_at_least(project.my_role, "edit"):
            await self.close(code=ACCESS_LOST)
            return None
        if run.is_finished or not run.pod_name:
            await self.accept()
            why = run.message if run.is_finished else "Its pod is not running yet; reload in a moment."
            await self._end(why or "This run has ended.")
            return None
        self.run, self.pod, self.container = run, run.pod_name, run.container
        return project

    async def open_session(self, user, project):
        return await services.run_shell_open(user=user, run=self.run)

    async def closed(self, session) -> None:
        ended = session.ended
        await database_sync_to_async(services.interactive_run_end)(
            user=self.user, run=self.run, exit_code=ended.exit_code if ended else None
        )


class RunLogConsumer(StoredLogConsumer):
    """A command run's stored log, live: ``ws/runs/<id>/?after=<seq>``."""

    url_kwarg = "run_id"

    def owner_for(self, user, pk: int) -> tuple[str, str] | None:
        run = selectors.command_run_for_user(user=user, pk=pk)
        return (run.group_name, run.project) if run is not None else None

    def last_seq(self, pk: int) -> int:
        return selectors.command_last_seq(run_id=pk)

    def lines(self, pk: int, *, after: int, limit: int, until: int | None) -> list[list[int | str]]:
        return selectors.command_log_rendered(run_id=pk, after=after, limit=limit, until=until)

    def status(self, pk: int) -> dict:
        return services.command_status_event(CommandRun.objects.get(pk=pk))
