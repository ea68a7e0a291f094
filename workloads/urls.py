from django.urls import path

from workloads import views

app_name = "workloads"

urlpatterns = [
    path("pods/", views.pod_list, name="pods"),
    path("pods/<str:pod>/", views.pod_detail, name="pod"),
    path("pods/<str:pod>/events/", views.pod_events, name="pod-events"),
    path("pods/<str:pod>/logs/download/", views.pod_log_download, name="pod-log-download"),
    path("deployments/", views.deployment_list, name="deployments"),
    path("deployments/new/", views.deployment_create, name="deployment-create"),
    path("deployments/<str:deployment>/", views.deployment_detail, name="deployment"),
    path("deployments/<str:deployment>/scale/", views.deployment_scale, name="deployment-scale"),
    path("deployments/<str:deployment>/rollback/", views.deployment_rollback, name="deployment-rollback"),
    path("deployments/<str:deployment>/pause/", views.deployment_pause, name="deployment-pause"),
    path("deployments/<str:deployment>/resume/", views.deployment_resume, name="deployment-resume"),
    path("deployments/<str:deployment>/restart/", views.deployment_restart, name="deployment-restart"),
]
