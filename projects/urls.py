from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/switch/", views.project_switch, name="switch"),
    path("projects/<label:name>/", views.project_detail, name="detail"),
    path("projects/<label:name>/members/", views.project_members, name="members"),
    path("projects/<label:name>/members/set/", views.member_set, name="member-set"),
    path("projects/<label:name>/members/remove/", views.member_remove, name="member-remove"),
    path("projects/<label:name>/delete/", views.project_delete, name="delete"),
    path("projects/<label:name>/activity/", views.project_activity, name="activity"),
]
