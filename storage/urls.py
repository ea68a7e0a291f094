from django.urls import path

from storage import views

app_name = "storage"

urlpatterns = [
    path("volumes/", views.volume_list, name="volumes"),
    path("volumes/new/", views.volume_create, name="volume-create"),
    path("volumes/<str:volume>/", views.volume_detail, name="volume"),
    path("volumes/<str:volume>/attach/", views.volume_attach, name="volume-attach"),
    path("volumes/<str:volume>/detach/", views.volume_detach, name="volume-detach"),
    path("volumes/<str:volume>/delete/", views.volume_delete, name="volume-delete"),
]
