from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api import JobViewSet
from core.documents.api import DocumentUploadView

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("uploads/<str:token>", DocumentUploadView.as_view(), name="document-upload"),
    *router.urls,
]
