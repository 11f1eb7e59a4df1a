from django.urls import register_converter
from rest_framework.routers import SimpleRouter

from core.api.serializers import PhoneNumberConverter
from verifications.api import VerificationViewSet

register_converter(PhoneNumberConverter, "phone")

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("verifications", VerificationViewSet, basename="verification")

urlpatterns = router.urls
