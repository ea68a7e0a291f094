import os

from django.http import HttpResponse
from django.urls import path


def hello(request):
    return HttpResponse(f"Hello from Berth's sample app, served by {os.uname().nodename}\n")


urlpatterns = [path("", hello)]
