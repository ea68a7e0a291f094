from django.urls import path

from storage import views

app_name = "storage"

urlpatterns = [
    path("volumes/", views.volume_list, name="volumes"),
    path("volumes/new/", views.volume_create, name="volume-create"),
    path("volumes/<subdomain:volume>/", views.volume_detail, name="volume"),
    path("volumes/<subdomain:volume>/attach/", views.volume_attach, name="volume-attach"),
    path("volumes/<subdomain:volume>/detach/", views.volume_detach, name="volume-detach"),
    path("volumes/<subdomain:volume>/expand/", views.volume_expand, name="volume-expand"),
    path("volumes/<subdomain:volume>/delete/", views.volume_delete, name="volume-delete"),
]
