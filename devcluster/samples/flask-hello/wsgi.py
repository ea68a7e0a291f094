# A sample for `make dev`'s Flask template: the devcluster's Git server serves it as
# flask-hello.git. The builder runs `gunicorn wsgi`, which serves `application`.
import os

from flask import Flask

application = Flask(__name__)


@application.get("/")
def hello():
    return application.response_class(
        f"Hello from Flask, served by {os.uname().nodename}\n", mimetype="text/plain"
    )


@application.get("/health")
def health():
    return application.response_class("ok\n", mimetype="text/plain")
