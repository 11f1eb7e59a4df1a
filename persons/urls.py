from rest_framework.routers import SimpleRouter

from persons.api import AuthenticationMethodRequestViewSet, PersonViewSet
from persons.merges.api import MergeRequestViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("persons", PersonViewSet, basename="person")
router.register(
    "persons/<uuid:person_id>/authentication_method_requests",
    AuthenticationMethodRequestViewSet,
    basename="authentication-method-request",
)
router.register("merge_requests", MergeRequestViewSet, basename="merge-request")

urlpatterns = router.urls
