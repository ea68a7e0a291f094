from django.urls import path

from builds import views, webhooks

app_name = "builds"

urlpatterns = [
    path("projects/<str:name>/builds/", views.config_list, name="list"),
    path("projects/<str:name>/builds/new/", views.config_create, name="create"),
    path("projects/<str:name>/builds/<str:config>/", views.config_detail, name="config"),
    path("projects/<str:name>/builds/<str:config>/edit/", views.config_edit, name="edit"),
    path("projects/<str:name>/builds/<str:config>/export/", views.config_export, name="export"),
    path("projects/<str:name>/builds/<str:config>/start/", views.build_start, name="start"),
    path("projects/<str:name>/builds/<str:config>/detect/", views.config_detect, name="detect"),
    path("projects/<str:name>/builds/<str:config>/rotate-secrets/", views.config_rotate, name="rotate"),
    path("projects/<str:name>/builds/<str:config>/<int:number>/", views.build_detail, name="build"),
    path("projects/<str:name>/builds/<str:config>/<int:number>/cancel/", views.build_cancel, name="cancel"),
    path("projects/<str:name>/builds/<str:config>/<int:number>/log.txt", views.build_log_raw, name="log-raw"),
    path(
        "projects/<str:name>/builds/<str:config>/<int:number>/log/", views.build_log_chunk, name="log-chunk"
    ),
    path("webhooks/<str:project>/<str:name>/github/", webhooks.github, name="webhook-github"),
    path("webhooks/<str:project>/<str:name>/generic/<str:secret>/", webhooks.generic, name="webhook-generic"),
]
