from rest_framework.routers import SimpleRouter

from declarations.api import DeclarationRequestViewSet, DeclarationViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("v3/declaration_requests", DeclarationRequestViewSet, basename="declaration-request")
router.register("declarations", DeclarationViewSet, basename="declaration")

urlpatterns = router.urls
