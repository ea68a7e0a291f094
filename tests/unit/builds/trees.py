"""Small but realistic application trees for the source detection tests."""

import textwrap
from pathlib import Path


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> content, dedented) under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


MANAGE_PY = """
    #!/usr/bin/env python
    import os
    import sys

    if __name__ == "__main__":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
"""

DJANGO_SETTINGS = """
    from pathlib import Path

    BASE_DIR = Path(__file__).resolve().parent.parent
    SECRET_KEY = "not-secret"
    INSTALLED_APPS = ["django.contrib.staticfiles"]
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    STATIC_URL = "static/"
    STATIC_ROOT = BASE_DIR / "staticfiles"
"""

DJANGO_WSGI = """
    import os

    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    application = get_wsgi_application()
"""


def django_project(prefix: str = "") -> dict[str, str]:
    """manage.py and the mysite package, as `django-admin startproject mysite .` lays them out."""
    return {
        f"{prefix}manage.py": MANAGE_PY,
        f"{prefix}mysite/__init__.py": "",
        f"{prefix}mysite/settings.py": DJANGO_SETTINGS,
        f"{prefix}mysite/urls.py": "urlpatterns = []\n",
        f"{prefix}mysite/wsgi.py": DJANGO_WSGI,
    }


FLASK_PACKAGE = {
    "hello/__init__.py": """
        from flask import Flask

        def create_app():
            app = Flask(__name__)

            @app.get("/")
            def index():
                return "Hello"

            return app
    """,
}

FLASK_WSGI = """
    from hello import create_app

    application = create_app()
"""

FLASK_APP_PY = """
    import os

    from flask import Flask

    application = Flask(__name__)


    @application.get("/")
    def index():
        return "Hello from app.py"


    if __name__ == "__main__":
        application.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
"""

APP_SH = """
    #!/bin/bash
    exec waitress-serve --port="${PORT:-8080}" hello:application
"""

PIPFILE_LOCK_DJANGO = """
    {
        "_meta": {
            "hash": {"sha256": "0d5c1a4a7c5e0f1c3b2b7a3b8f1e4a0c0f6f8e0d2d6b9a1c3e5f7a9b1d3f5e7a"},
            "pipfile-spec": 6,
            "requires": {"python_version": "3.11"},
            "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
        },
        "default": {
            "asgiref": {"hashes": [], "version": "==3.8.1"},
            "django": {"hashes": [], "index": "pypi", "version": "==5.0.6"},
            "gunicorn": {"hashes": [], "index": "pypi", "version": "==22.0.0"},
            "packaging": {"hashes": [], "version": "==24.0"},
            "sqlparse": {"hashes": [], "version": "==0.5.0"}
        },
        "develop": {
            "pytest": {"hashes": [], "version": "==8.2.0"}
        }
    }
"""
