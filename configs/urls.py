from django.urls import path

from configs import views

app_name = "configs"

urlpatterns = [
    path("config/", views.config_list, name="list"),
    path("config/<slug:kind>/new/", views.config_create, name="create"),
    path("config/<slug:kind>/<subdomain:item>/", views.config_detail, name="detail"),
    path("config/<slug:kind>/<subdomain:item>/set/", views.config_set, name="set"),
    path("config/<slug:kind>/<subdomain:item>/remove/", views.config_remove, name="remove"),
    path("config/<slug:kind>/<subdomain:item>/delete/", views.config_delete, name="delete"),
    path("config/secret/<subdomain:item>/reveal/", views.secret_reveal, name="reveal"),
]
