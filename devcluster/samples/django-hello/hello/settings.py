# A sample for `make dev`'s Import from Git: the devcluster's Git server serves it as
# git://<gateway>:<port>/django-hello.git. Not for production (a fixed secret key).
SECRET_KEY = "sample-only"  # noqa: S105 - a sample's, said above
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "hello.urls"
INSTALLED_APPS: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/db.sqlite3"}}
