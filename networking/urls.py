from django.urls import path

from networking import views

app_name = "networking"

urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/<label1035:service>/", views.service_detail, name="service"),
    path("services/<label1035:service>/delete/", views.service_delete, name="service-delete"),
    path("routes/", views.route_list, name="routes"),
    path("routes/new/", views.route_create, name="route-create"),
    path("routes/expose/", views.deployment_expose, name="expose"),
    path("routes/<subdomain:route>/edit/", views.route_edit, name="route-edit"),
    path("routes/<subdomain:route>/delete/", views.route_delete, name="route-delete"),
]
