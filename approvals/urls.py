from rest_framework.routers import SimpleRouter

from approvals.api import ApprovalViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("patients/<uuid:patient_id>/approvals", ApprovalViewSet, basename="approval")

urlpatterns = router.urls
