"""Berth's settings, read from the environment.

BERTH_MODE is ``production`` (the default), ``development`` or ``test``. Outside
production a secret key is generated once and kept in the data directory; in
production SECRET_KEY must be given.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

MODE = os.environ.get("BERTH_MODE", "production")
if MODE not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"BERTH_MODE must be production, development or test, not {MODE!r}")
PRODUCTION = MODE == "production"

DATA_DIR = Path(os.environ.get("BERTH_DATA_DIR", BASE_DIR / ".data")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Berth refuses to run in production mode without one; "
            "set SECRET_KEY, or BERTH_MODE=development for a local console."
        )
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", MODE == "development")
# Django's debug 404 and 500 pages (URL patterns, tracebacks) instead of Berth's, in development.
BERTH_DEBUG_PAGES = _env_bool("BERTH_DEBUG_PAGES", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "axes",
    "django_ratelimit",
    "console",
    "actions",
    "projects",
    "workloads",
    "networking",
    "storage",
    "configs",
    "objects",
    "builds",
    "images",
    "catalog",
]

MIDDLEWARE = [
    "console.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "console.exceptions.ClusterErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out login with login_locked_out
]

# Logins are throttled per account and address (django-axes): after
# BERTH_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that pair
# is refused for BERTH_LOGIN_COOLOFF_MINUTES. The attempts are in the database:
# `manage.py axes_list_attempts` lists them, `manage.py axes_reset_username NAME` lifts one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("BERTH_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("BERTH_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "console.views.login_locked_out"
AXES_VERBOSE = False

ROOT_URLCONF = "console.urls"
ASGI_APPLICATION = "console.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.navigation",
            ],
        },
    },
]


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'berth.sqlite3'}"
    db = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids
        # "database is locked" on write upgrades between the two processes.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # Tests run a real web server in another process: they need a file, not an
        # in-memory database, and one per test run so two runs never share it.
        db["TEST"] = {"NAME": os.environ.get("BERTH_TEST_DB", str(DATA_DIR / f"test-{os.getpid()}.sqlite3"))}
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

CSRF_FAILURE_VIEW = "console.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = PRODUCTION and not _env_bool("BERTH_INSECURE_COOKIES", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that ends TLS: set BERTH_TLS_PROXY=true so that Django trusts its
# X-Forwarded-Proto (only then: a client could send the header itself). HSTS is sent on
# HTTPS responses for BERTH_HSTS_SECONDS (a year in production; 0 turns it off).
if _env_bool("BERTH_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("BERTH_HSTS_SECONDS", str(365 * 24 * 3600) if PRODUCTION else "0"))
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and connections (websockets too) only from
# Berth itself, no inline script or handler. Styles allow inline: PatternFly's progress
# bars and the YAML editor set style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Redis: Celery's broker and the Channels layer.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # channels-redis blocks up to 5 s on a read for the next message; redis-py 8's
            # default socket timeout is also 5 s, which broke every quiet websocket every
            # few seconds. Reads may take longer than the layer's blocking wait.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
            "prefix": os.environ.get("BERTH_CHANNEL_PREFIX", "berth"),
        },
    }
}
# Stored logs' viewers: the same Redis and groups, read once per process (console.fanout).
CHANNEL_LAYERS["fanout"] = {**CHANNEL_LAYERS["default"], "BACKEND": "console.fanout.FanoutLayer"}

# Counters shared by every process (django-ratelimit's): limits on what callers without a
# session may make Berth do, such as builds started by webhooks.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("BERTH_CHANNEL_PREFIX", "berth"),
    },
}
RATELIMIT_USE_CACHE = "shared"
# django-ratelimit names django-redis; Django's own Redis cache has the atomic add and
# incr it needs (tests/cluster/test_builds.py counts a webhook burst through it).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Celery: no lost work. A task is acknowledged only once it finished, is
# re-queued when its worker dies, and a worker takes one task at a time.
ACTION_TIME_LIMIT = int(os.environ.get("BERTH_ACTION_TIME_LIMIT", "3600"))
# An action whose worker's heartbeat (every 10 s) stopped this long ago is sent again.
BERTH_ACTION_ORPHAN_SECONDS = int(os.environ.get("BERTH_ACTION_ORPHAN_SECONDS", "60"))
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = ACTION_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = ACTION_TIME_LIMIT - 30
# Longer than the longest task, else Redis hands an unacknowledged task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": ACTION_TIME_LIMIT * 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BERTH_CELERY_QUEUE", "berth")
# Builds (and reading a build config's source) take minutes; scaling, rollbacks,
# members and routes take seconds. They have their own queue and worker pool
# (the Procfile's "builder"), so quick actions never wait behind builds.
BERTH_BUILD_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-builds"
CELERY_TASK_ROUTES = {
    "actions.build.start": {"queue": BERTH_BUILD_QUEUE},
    "actions.build.detect": {"queue": BERTH_BUILD_QUEUE},
    # A command or a deployment's hooks run as long as the person's command does.
    "actions.deployment.command": {"queue": BERTH_BUILD_QUEUE},
    "actions.deployment.release": {"queue": BERTH_BUILD_QUEUE},
}

# The cluster: a kubeconfig (and context), or the in-cluster service account.
KUBECONFIG = os.environ.get("KUBECONFIG", "")
KUBE_CONTEXT = os.environ.get("KUBE_CONTEXT", "")
KUBE_TIMEOUT = float(os.environ.get("BERTH_KUBE_TIMEOUT", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "console.middleware.RequestIdFilter"},
        "redact": {"()": "console.redact.RedactSecrets"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("BERTH_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "kubernetes": {"level": "WARNING"}},
}

# Projects: quota presets offered when creating one, and the largest values a
# person may ask for with "custom".
BERTH_QUOTA_PRESETS = {
    "small": {"label": "Small", "cpu": "2", "memory": "4Gi", "pods": 10, "pvcs": 2, "storage": "10Gi"},
    "medium": {"label": "Medium", "cpu": "4", "memory": "8Gi", "pods": 25, "pvcs": 5, "storage": "50Gi"},
    "large": {"label": "Large", "cpu": "8", "memory": "16Gi", "pods": 50, "pvcs": 10, "storage": "200Gi"},
}
BERTH_QUOTA_MAX = {"cpu": "64", "memory": "256Gi", "pods": 500, "pvcs": 100, "storage": "4Ti"}

# Workloads: the most replicas the scale buttons may ask for, and page sizes.
# A pod log download stops at this many bytes (the cluster keeps the rest).
BERTH_LOG_DOWNLOAD_BYTES = int(os.environ.get("BERTH_LOG_DOWNLOAD_BYTES", str(10 * 1024 * 1024)))
# The largest value Berth takes for one key of a Secret or ConfigMap (the cluster's
# limit is 1 MiB for the whole object).
BERTH_CONFIG_VALUE_BYTES = int(os.environ.get("BERTH_CONFIG_VALUE_BYTES", str(256 * 1024)))
BERTH_MAX_REPLICAS = int(os.environ.get("BERTH_MAX_REPLICAS", "50"))
# How much of one build's log Berth keeps; a marker line says where it stopped.
BERTH_BUILD_LOG_BYTES = int(os.environ.get("BERTH_BUILD_LOG_BYTES", str(10 * 1024 * 1024)))
# How many refused webhook calls of one build config are kept (the newest), for its page.
BERTH_WEBHOOK_REFUSALS_KEPT = int(os.environ.get("BERTH_WEBHOOK_REFUSALS_KEPT", "50"))
# Builds one project may have waiting or running at once (the builder pool is shared), and
# builds webhooks may start in one project per hour.
BERTH_PROJECT_BUILDS_AT_ONCE = int(os.environ.get("BERTH_PROJECT_BUILDS_AT_ONCE", "2"))
BERTH_WEBHOOK_BUILDS_PER_HOUR = int(os.environ.get("BERTH_WEBHOOK_BUILDS_PER_HOUR", "30"))
# How often an open websocket (live list, pod or build log) asks again whether the person
# may still see it; it closes once they may not.
BERTH_SOCKET_RECHECK_SECONDS = float(os.environ.get("BERTH_SOCKET_RECHECK_SECONDS", "20"))
# Live pages (websockets) one person may have open at once, over every Berth process.
BERTH_SOCKETS_PER_PERSON = int(os.environ.get("BERTH_SOCKETS_PER_PERSON", "50"))
# Live tables rendered once per change for all their viewers in a web process: how many
# distinct tables (project, filter, sort, page) are kept; 0 renders for each viewer.
BERTH_LIVE_SHARED_RENDERS = int(os.environ.get("BERTH_LIVE_SHARED_RENDERS", "256"))
# A pod log page follows the log this long, then stops (and the cluster's stream with it).
BERTH_LOG_FOLLOW_SECONDS = int(os.environ.get("BERTH_LOG_FOLLOW_SECONDS", "3600"))
# A pod terminal with no keystroke for this long closes (and its shell with it).
BERTH_TERMINAL_IDLE_SECONDS = int(os.environ.get("BERTH_TERMINAL_IDLE_SECONDS", "900"))
# How many projects one person may ask for (those they created and that still exist).
BERTH_MAX_PROJECTS_PER_PERSON = int(os.environ.get("BERTH_MAX_PROJECTS_PER_PERSON", "20"))
# Templates a project may keep in its catalog (each at most 1 MiB).
BERTH_TEMPLATES_PER_PROJECT = int(os.environ.get("BERTH_TEMPLATES_PER_PROJECT", "50"))
# A scale, rollback, restart or deploy succeeds when its pods are ready; it fails at
# the cluster's first lasting reason (a quota, an image pull), or after this long.
BERTH_ROLLOUT_TIMEOUT = int(os.environ.get("BERTH_ROLLOUT_TIMEOUT", "600"))
# How long a volume's expansion waits for the storage provider to grow it before the
# action says the new size is asked for but not there yet.
BERTH_VOLUME_EXPAND_WAIT = int(os.environ.get("BERTH_VOLUME_EXPAND_WAIT", "30"))
# How long "run a CronJob now" waits for the Job's pod to run before it fails with what it saw.
BERTH_JOB_START_WAIT = int(os.environ.get("BERTH_JOB_START_WAIT", "120"))
# Commands run once in a deployment's environment (and its hooks): how many one project may
# have running at once, how long one may run (the cluster ends it then), how long an
# interactive one's pod waits for its terminal, how much of a log is kept, and how long the
# finished pod stays on the cluster.
BERTH_PROJECT_RUNS_AT_ONCE = int(os.environ.get("BERTH_PROJECT_RUNS_AT_ONCE", "3"))
BERTH_RUN_TIME_LIMIT = int(os.environ.get("BERTH_RUN_TIME_LIMIT", "1800"))
BERTH_RUN_INTERACTIVE_SECONDS = int(os.environ.get("BERTH_RUN_INTERACTIVE_SECONDS", "3600"))
BERTH_RUN_LOG_BYTES = int(os.environ.get("BERTH_RUN_LOG_BYTES", str(2 * 1024 * 1024)))
BERTH_RUN_POD_KEPT_SECONDS = int(os.environ.get("BERTH_RUN_POD_KEPT_SECONDS", "600"))
BERTH_PODS_PAGE_SIZE = 50
# Routes get `<name>-<project>.<this>` as their host unless one is given.
BERTH_APPS_DOMAIN = os.environ.get("BERTH_APPS_DOMAIN", "apps.berth.local")
# The ports the cluster's router serves routes on, when not 80 and 443 (the
# development router listens on a free port of 127.0.0.1): route URLs carry them.
BERTH_ROUTER_HTTP_PORT = os.environ.get("BERTH_ROUTER_HTTP_PORT", "")
BERTH_ROUTER_HTTPS_PORT = os.environ.get("BERTH_ROUTER_HTTPS_PORT", "")

# Builds. Where output images go by default (<registry>/<project>/<config>:latest);
# whether build pods get simulated logs (auto: where the cluster is kwok, i.e.
# the devcluster — see README "Builds"); how fast simulated logs are written;
# whether file:// repositories may be built (never in production: they read the
# worker's own disk).
BERTH_BUILD_REGISTRY = os.environ.get("BERTH_BUILD_REGISTRY", "image-registry.berth.local:5000")
# The cluster's image catalog (catalog.images): {"python": {"3.11": "<image>"}, …}.
BERTH_IMAGE_CATALOG = json.loads(os.environ.get("BERTH_IMAGE_CATALOG") or "{}")
# Where the sample apps of the bundled templates are (git://host:port/, each <name>.git):
# a template annotated berth.io/sample-repository offers its sample as the Git URL.
BERTH_SAMPLES_GIT_URL = os.environ.get("BERTH_SAMPLES_GIT_URL", "")
BERTH_BUILD_SIMULATION = os.environ.get("BERTH_BUILD_SIMULATION", "auto")
BERTH_BUILD_SIMULATION_RATE = float(os.environ.get("BERTH_BUILD_SIMULATION_RATE", "25"))
BERTH_BUILD_SIMULATION_EXTRA_LINES = int(os.environ.get("BERTH_BUILD_SIMULATION_EXTRA_LINES", "0"))
BERTH_BUILD_ALLOW_FILE_REPOS = _env_bool("BERTH_BUILD_ALLOW_FILE_REPOS", not PRODUCTION)
# What build pods and source pods run: git and buildah (the devcluster's berth/builder).
BERTH_BUILDER_IMAGE = os.environ.get("BERTH_BUILDER_IMAGE", "quay.io/buildah/stable:v1.37")
# The base image new build configs start from (the source strategy's builder image).
BERTH_BUILD_DEFAULT_BUILDER_IMAGE = os.environ.get(
    "BERTH_BUILD_DEFAULT_BUILDER_IMAGE", "registry.access.redhat.com/ubi9/python-311:latest"
)
# A registry over plain HTTP (the devcluster's): buildah pulls and pushes without TLS.
BERTH_BUILD_REGISTRY_INSECURE = _env_bool("BERTH_BUILD_REGISTRY_INSECURE", False)
# Where builds install Python packages from, cluster-wide (an air-gapped mirror).
BERTH_BUILD_PIP_INDEX_URL = os.environ.get("BERTH_BUILD_PIP_INDEX_URL", "")
BERTH_BUILD_PIP_TRUSTED_HOST = os.environ.get("BERTH_BUILD_PIP_TRUSTED_HOST", "")
# A PEM file of CA certificates pip trusts during builds (PIP_CERT), e.g. a TLS-intercepting proxy's.
BERTH_BUILD_CA_BUNDLE = os.environ.get("BERTH_BUILD_CA_BUNDLE", "")
# A build whose worker has not written for this long lost that worker: another takes over.
BERTH_BUILD_ORPHAN_SECONDS = int(os.environ.get("BERTH_BUILD_ORPHAN_SECONDS", "300"))
BERTH_BUILD_CPU_LIMIT = os.environ.get("BERTH_BUILD_CPU_LIMIT", "1")
BERTH_BUILD_MEMORY_LIMIT = os.environ.get("BERTH_BUILD_MEMORY_LIMIT", "1536Mi")
# Source pods: how long a clone may take, and how much of the repository's small files
# (base64, in the pod's log) Berth reads to plan a build.
BERTH_SOURCE_READ_TIMEOUT = int(os.environ.get("BERTH_SOURCE_READ_TIMEOUT", "180"))
BERTH_SOURCE_READ_BYTES = int(os.environ.get("BERTH_SOURCE_READ_BYTES", str(16 * 1024 * 1024)))
# Repositories on private, loopback or link-local addresses: refused in production
# unless the host is listed.
BERTH_BUILD_PRIVATE_SOURCES = _env_bool("BERTH_BUILD_PRIVATE_SOURCES", not PRODUCTION)
BERTH_BUILD_SOURCE_HOSTS_ALLOWED = [h.lower() for h in _env_list("BERTH_BUILD_SOURCE_HOSTS_ALLOWED", "")]
# The integrated registry's token service (Berth): the key that signs tokens (its
# certificate is in the registry's rootcertbundle), and the names both sides agree on.
BERTH_REGISTRY_TOKEN_KEY = os.environ.get("BERTH_REGISTRY_TOKEN_KEY", "")
BERTH_REGISTRY_TOKEN_ISSUER = os.environ.get("BERTH_REGISTRY_TOKEN_ISSUER", "berth")
BERTH_REGISTRY_SERVICE = os.environ.get("BERTH_REGISTRY_SERVICE", "berth-registry")
# How long a build pod's push credential lasts (a build longer than this cannot push).
BERTH_REGISTRY_BUILD_CREDENTIAL_SECONDS = int(
    os.environ.get("BERTH_REGISTRY_BUILD_CREDENTIAL_SECONDS", "7200")
)
