"""Back office for merge requests (built from the one request admin): list, case file, resend, expire."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import RequestAdminMixin
from persons.merges.models import MergeRequest
from persons.merges.services import merge_request_resend_otp


@admin.register(MergeRequest)
class MergeRequestAdmin(RequestAdminMixin, admin.ModelAdmin):
    person_fields = ("master_person", "merge_person")
    list_display = (
        "short_id",
        "status",
        "master_person",
        "merge_person",
        "confirmation",
        "legal_entity",
        "created_at",
        "expires_at",
    )
    case_fieldsets = (
        (None, {"fields": ("id", "status", "master_person", "merge_person")}),
        (_("Confirmation"), {"fields": ("confirmation", "authorize_with", "documents_list", "expires_at")}),
    )

    def resend(self, obj, actor):
        merge_request_resend_otp(merge_request=obj, actor=actor)
