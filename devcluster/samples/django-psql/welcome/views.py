from django.db import connection
from django.http import HttpResponse
from django.utils.html import format_html

from welcome.models import PageView

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Django + PostgreSQL</title></head>
<body>
<h1>Welcome to your Django application</h1>
<p>Page views: {}</p>
<p>Database: {}</p>
</body>
</html>
"""


def index(request):
    PageView.objects.create()
    return HttpResponse(format_html(PAGE, PageView.objects.count(), connection.vendor))


def health(request):
    """For the readiness and liveness probes: answers only when the database does."""
    return HttpResponse(f"{PageView.objects.count()}\n", content_type="text/plain")
