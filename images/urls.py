from django.urls import path

from images import views

app_name = "images"

urlpatterns = [
    path("registry/token", views.registry_token, name="registry-token"),
    path("projects/<label:name>/images/", views.image_list, name="list"),
    path("projects/<label:name>/images/<label:image>/tag/", views.image_tag, name="tag"),
    path("projects/<label:name>/images/<label:image>/untag/", views.image_untag, name="untag"),
]
