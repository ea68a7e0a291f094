from django.urls import path

from builds.consumers import BuildLogConsumer

websocket_urlpatterns = [
    path("ws/builds/<int:build_id>/", BuildLogConsumer.as_asgi()),
]


def build_log_ws_url(build_id: int) -> str:
    return f"/ws/builds/{build_id}/"
