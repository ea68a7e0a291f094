from django.urls import path

from images import views

app_name = "images"

urlpatterns = [
    path("registry/token", views.registry_token, name="registry-token"),
]
