from django.urls import path

from projects.networking import views

urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/<str:service>/", views.service_detail, name="service"),
    path("routes/", views.route_list, name="routes"),
    path("routes/new/", views.route_create, name="route-create"),
    path("routes/expose/", views.deployment_expose, name="expose"),
    path("routes/<str:route>/edit/", views.route_edit, name="route-edit"),
    path("routes/<str:route>/delete/", views.route_delete, name="route-delete"),
    path("volumes/", views.volume_list, name="volumes"),
    path("volumes/new/", views.volume_create, name="volume-create"),
    path("volumes/<str:volume>/", views.volume_detail, name="volume"),
    path("volumes/<str:volume>/attach/", views.volume_attach, name="volume-attach"),
    path("volumes/<str:volume>/detach/", views.volume_detach, name="volume-detach"),
    path("volumes/<str:volume>/delete/", views.volume_delete, name="volume-delete"),
]
