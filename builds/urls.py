from django.urls import path

from builds import views, webhooks

app_name = "builds"

urlpatterns = [
    path("projects/<label:name>/builds/", views.config_list, name="list"),
    path("projects/<label:name>/builds/new/", views.config_create, name="create"),
    path("projects/<label:name>/import/", views.import_from_git, name="import"),
    path("projects/<label:name>/builds/<label:config>/", views.config_detail, name="config"),
    path("projects/<label:name>/builds/<label:config>/edit/", views.config_edit, name="edit"),
    path("projects/<label:name>/builds/<label:config>/delete/", views.config_delete, name="config-delete"),
    path("projects/<label:name>/builds/<label:config>/export/", views.config_export, name="export"),
    path("projects/<label:name>/builds/<label:config>/start/", views.build_start, name="start"),
    path("projects/<label:name>/builds/<label:config>/detect/", views.config_detect, name="detect"),
    path("projects/<label:name>/builds/<label:config>/rotate-secrets/", views.config_rotate, name="rotate"),
    path("projects/<label:name>/builds/<label:config>/<int:number>/", views.build_detail, name="build"),
    path(
        "projects/<label:name>/builds/<label:config>/<int:number>/cancel/", views.build_cancel, name="cancel"
    ),
    path(
        "projects/<label:name>/builds/<label:config>/<int:number>/rollout/",
        views.build_rollout,
        name="rollout",
    ),
    path(
        "projects/<label:name>/builds/<label:config>/<int:number>/log.txt",
        views.build_log_raw,
        name="log-raw",
    ),
    path(
        "projects/<label:name>/builds/<label:config>/<int:number>/log/",
        views.build_log_chunk,
        name="log-chunk",
    ),
    path("webhooks/<label:project>/<label:name>/github/", webhooks.github, name="webhook-github"),
    # The secret in a header (X-Berth-Webhook-Secret), kept out of URLs and access logs;
    # or in the path, as OpenShift's generic webhook has it.
    path(
        "webhooks/<label:project>/<label:name>/generic/",
        webhooks.generic,
        name="webhook-generic-header",
    ),
    path(
        "webhooks/<label:project>/<label:name>/generic/<str:secret>/",
        webhooks.generic,
        name="webhook-generic",
    ),
]
