from django.urls import path

from builds.consumers import BuildLogConsumer
from projects.consumers import ActionConsumer
from projects.workloads.consumers import LiveListConsumer, PodLogConsumer

websocket_urlpatterns = [
    path("ws/actions/<int:action_id>/", ActionConsumer.as_asgi()),
    path("ws/builds/<int:build_id>/", BuildLogConsumer.as_asgi()),
    path("ws/projects/<str:name>/pods/<str:pod>/log/", PodLogConsumer.as_asgi()),
    path("ws/projects/<str:name>/<str:resource>/", LiveListConsumer.as_asgi()),
]
