from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
]
