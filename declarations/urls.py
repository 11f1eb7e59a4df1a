from rest_framework.routers import SimpleRouter

from declarations.api import DeclarationRequestViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("v3/declaration_requests", DeclarationRequestViewSet, basename="declaration-request")

urlpatterns = router.urls
