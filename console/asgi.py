"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets are only accepted from an allowed Origin and for a session user;
each consumer then checks access to what it is asked for.
"""

import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

from django.core.asgi import get_asgi_application

from console.redact import RedactSecrets

# uvicorn writes its access log before Django sees the request: the generic webhook's
# secret (in its path, as OpenShift's) stays out of it.
logging.getLogger("uvicorn.access").addFilter(RedactSecrets())

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from console.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
