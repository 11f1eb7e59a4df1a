from django.urls import include, path

urlpatterns = [path("api/", include("phone_verify.urls"))]
