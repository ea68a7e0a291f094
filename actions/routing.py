from django.urls import path

from actions.consumers import ActionConsumer

websocket_urlpatterns = [
    path("ws/actions/<int:action_id>/", ActionConsumer.as_asgi()),
]
