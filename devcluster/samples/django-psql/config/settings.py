# A sample for `make dev`'s Django + PostgreSQL template: the devcluster's Git server
# serves it as django-psql.git. Configured from the environment the way sclorg's
# django-ex is, so the template's variables mean the same here. Not for production
# (a fixed fallback secret key).
import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "sample-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
INSTALLED_APPS = ["welcome"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True


def database() -> dict[str, str]:
    """PostgreSQL when DATABASE_ENGINE says so, else SQLite (as `manage.py test` runs in
    the build, with no database server)."""
    if os.environ.get("DATABASE_ENGINE", "") != "postgresql":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/db.sqlite3"}
    service = os.environ.get("DATABASE_SERVICE_NAME", "")
    # Kubernetes gives each pod <SERVICE>_SERVICE_HOST/_PORT for the Services that existed
    # when it started; the Service's DNS name covers one made later.
    prefix = service.upper().replace("-", "_")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DATABASE_NAME", ""),
        "USER": os.environ.get("DATABASE_USER", ""),
        "PASSWORD": os.environ.get("DATABASE_PASSWORD", ""),
        "HOST": os.environ.get(f"{prefix}_SERVICE_HOST", service),
        "PORT": os.environ.get(f"{prefix}_SERVICE_PORT", ""),
    }


DATABASES = {"default": database()}
