app_name = "builds"

urlpatterns: list = []
