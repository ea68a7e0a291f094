# A sample for `make dev`'s "Python web app + Celery worker + Redis" template: the
# devcluster's Git server serves it as celery-redis.git. The web pods run `gunicorn wsgi`;
# the worker pods run the same image with `celery -A tasks worker`.
from celery.exceptions import TimeoutError as ResultTimeout
from flask import Flask
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError
from tasks import REDIS_URL, add

WAIT_SECONDS = 10

application = Flask(__name__)


def text(body: str, status: int = 200):
    return application.response_class(body, status=status, mimetype="text/plain")


@application.get("/")
def index():
    try:
        result = add.delay(2, 3).get(timeout=WAIT_SECONDS)
    except ResultTimeout:
        return text(
            f"No worker answered within {WAIT_SECONDS} s: the task is queued; "
            "is the worker deployment running?\n",
            503,
        )
    except (OperationalError, RedisError, RuntimeError) as exc:
        # RuntimeError: the result backend gave up reconnecting (it tries again next time).
        application.logger.warning("Redis at %s does not answer: %s", REDIS_URL, exc)
        return text(f"Redis at {REDIS_URL} does not answer: is its deployment running?\n", 503)
    return text(f"2 + 3 = {result['sum']}, computed by worker {result['worker']}\n")


@application.get("/health")
def health():
    # Not Redis: a Redis restart should not take the web pods out of their Service.
    return text("ok\n")
