from urllib.parse import urlencode

from django.urls import path

from workloads.consumers import (
    LiveListConsumer,
    PodLogConsumer,
    PodTerminalConsumer,
    RunLogConsumer,
    RunTerminalConsumer,
)

websocket_urlpatterns = [
    path("ws/projects/<label:name>/pods/<subdomain:pod>/log/", PodLogConsumer.as_asgi()),
    path("ws/projects/<label:name>/pods/<subdomain:pod>/terminal/", PodTerminalConsumer.as_asgi()),
    path("ws/projects/<label:name>/runs/<int:run>/terminal/", RunTerminalConsumer.as_asgi()),
    path("ws/runs/<int:run_id>/", RunLogConsumer.as_asgi()),
    path("ws/projects/<label:name>/<str:resource>/", LiveListConsumer.as_asgi()),
]


def live_list_ws_url(project: str, resource: str, params: dict[str, str]) -> str:
    """The live table's socket for a list page, with the page's own filter and sort."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/ws/projects/{project}/{resource}/" + (f"?{query}" if query else "")


def pod_log_ws_url(project: str, pod: str, *, container: str, timestamps: str = "") -> str:
    return f"/ws/projects/{project}/pods/{pod}/log/?" + urlencode(
        {"container": container, "timestamps": timestamps}
    )


def pod_terminal_ws_url(project: str, pod: str, *, container: str) -> str:
    return f"/ws/projects/{project}/pods/{pod}/terminal/?" + urlencode({"container": container})


def run_log_ws_url(run_id: int) -> str:
    return f"/ws/runs/{run_id}/"


def run_terminal_ws_url(project: str, run_id: int) -> str:
    return f"/ws/projects/{project}/runs/{run_id}/terminal/"
