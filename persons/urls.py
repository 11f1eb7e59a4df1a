from rest_framework.routers import SimpleRouter

from persons.merge_api import MergeRequestViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("merge_requests", MergeRequestViewSet, basename="merge-request")

urlpatterns = router.urls
