from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import views
from console.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("projects.urls")),
    path("", include("actions.urls")),
    path("projects/<label:name>/", include("workloads.urls")),
    path("projects/<label:name>/", include("networking.urls")),
    path("projects/<label:name>/", include("storage.urls")),
    path("projects/<label:name>/", include("configs.urls")),
    path("projects/<label:name>/", include("objects.urls")),
    path("projects/<label:name>/", include("catalog.urls")),
    path("", include("builds.urls")),
    path("", include("images.urls")),
]

handler400 = "console.views.bad_request"
handler403 = "console.views.permission_denied"
handler404 = "console.views.page_not_found"
handler500 = "console.views.server_error"
