# The Celery app of the celery-redis sample; its worker runs
# `celery -A tasks worker` from the source directory.
import os
import socket

from celery import Celery

REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")

app = Celery("tasks", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    broker_connection_retry_on_startup=True,
    # A web request waits on Redis: one that can't be reached is an error in seconds, not
    # a request hanging until gunicorn kills its worker.
    broker_transport_options={"socket_connect_timeout": 3},
    redis_socket_connect_timeout=3,
    result_backend_transport_options={"retry_policy": {"max_retries": 2}},
    result_expires=3600,
)


@app.task
def add(x: int, y: int) -> dict:
    """The sum, and which worker's pod worked it out."""
    return {"sum": x + y, "worker": socket.gethostname()}
