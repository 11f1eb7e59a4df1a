from rest_framework.routers import SimpleRouter

from verifications.api import VerificationViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("verifications", VerificationViewSet, basename="verification")

urlpatterns = router.urls
