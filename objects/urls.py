from django.urls import path

from objects import views

app_name = "objects"

urlpatterns = [
    path("yaml/<slug:kind>/<subdomain:item>/", views.object_yaml, name="yaml"),
    path("yaml/<slug:kind>/<subdomain:item>/check/", views.object_yaml_check, name="yaml-check"),
]
