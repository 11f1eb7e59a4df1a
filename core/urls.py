from django.urls import path
from rest_framework.routers import SimpleRouter

from core.documents.api import DocumentUploadView
from core.jobs.api import JobViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("uploads/<str:token>", DocumentUploadView.as_view(), name="document-upload"),
    *router.urls,
]
