"""Every websocket route, each domain's from its own routing module."""

from actions.routing import websocket_urlpatterns as actions_ws
from builds.routing import websocket_urlpatterns as builds_ws
from workloads.routing import websocket_urlpatterns as workloads_ws

websocket_urlpatterns = [*actions_ws, *builds_ws, *workloads_ws]
