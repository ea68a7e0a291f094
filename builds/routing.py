from django.urls import path

from builds.consumers import BuildLogConsumer

websocket_urlpatterns = [
    path("ws/builds/<int:build_id>/", BuildLogConsumer.as_asgi()),
]
