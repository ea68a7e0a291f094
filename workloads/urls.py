from django.urls import path

from workloads import views

app_name = "workloads"

urlpatterns = [
    path("pods/", views.pod_list, name="pods"),
    path("pods/<subdomain:pod>/", views.pod_detail, name="pod"),
    path("pods/<subdomain:pod>/events/", views.pod_events, name="pod-events"),
    path("pods/<subdomain:pod>/terminal/", views.pod_terminal, name="pod-terminal"),
    path("pods/<subdomain:pod>/logs/download/", views.pod_log_download, name="pod-log-download"),
    path("events/", views.project_events, name="events"),
    path("deployments/", views.deployment_list, name="deployments"),
    path("deployments/new/", views.deployment_create, name="deployment-create"),
    path("deployments/<subdomain:deployment>/", views.deployment_detail, name="deployment"),
    path("deployments/<subdomain:deployment>/scale/", views.deployment_scale, name="deployment-scale"),
    path(
        "deployments/<subdomain:deployment>/terminal/",
        views.deployment_terminal,
        name="deployment-terminal",
    ),
    path(
        "deployments/<subdomain:deployment>/rollback/", views.deployment_rollback, name="deployment-rollback"
    ),
    path("deployments/<subdomain:deployment>/pause/", views.deployment_pause, name="deployment-pause"),
    path("deployments/<subdomain:deployment>/resume/", views.deployment_resume, name="deployment-resume"),
    path("deployments/<subdomain:deployment>/restart/", views.deployment_restart, name="deployment-restart"),
    path("deployments/<subdomain:deployment>/edit/", views.deployment_edit, name="deployment-edit"),
    path("deployments/<subdomain:deployment>/delete/", views.deployment_delete, name="deployment-delete"),
    path("deployments/<subdomain:deployment>/run/", views.deployment_run, name="deployment-run"),
    path("deployments/<subdomain:deployment>/hooks/", views.deployment_hooks, name="deployment-hooks"),
    path("deployments/<subdomain:deployment>/runs/<int:run>/", views.run_detail, name="run"),
    path("deployments/<subdomain:deployment>/runs/<int:run>/log/", views.run_log, name="run-log"),
    path(
        "deployments/<subdomain:deployment>/runs/<int:run>/terminal/", views.run_terminal, name="run-terminal"
    ),
    path("statefulsets/", views.statefulset_list, name="statefulsets"),
    path("statefulsets/<subdomain:statefulset>/", views.statefulset_detail, name="statefulset"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<subdomain:job>/", views.job_detail, name="job"),
    path("cronjobs/", views.cronjob_list, name="cronjobs"),
    path("cronjobs/<subdomain:cronjob>/", views.cronjob_detail, name="cronjob"),
    path("cronjobs/<subdomain:cronjob>/run/", views.cronjob_run, name="cronjob-run"),
]
