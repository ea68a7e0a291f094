from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/<str:name>/", views.project_detail, name="detail"),
    path("projects/<str:name>/members/", views.project_members, name="members"),
    path("projects/<str:name>/members/set/", views.member_set, name="member-set"),
    path("projects/<str:name>/members/remove/", views.member_remove, name="member-remove"),
    path("projects/<str:name>/delete/", views.project_delete, name="delete"),
    path("projects/<str:name>/activity/", views.project_activity, name="activity"),
]
