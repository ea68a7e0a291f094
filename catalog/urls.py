from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("templates/deploy/", views.template_deploy, name="deploy"),
    path("templates/saved/<subdomain:template>/delete/", views.template_delete, name="delete"),
    path("templates/shared/<subdomain:template>/delete/", views.shared_template_delete, name="shared-delete"),
    path("templates/made/<int:action>/", views.template_result, name="result"),
    path("templates/export/", views.template_export, name="export"),
]
