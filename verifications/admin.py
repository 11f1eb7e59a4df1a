from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    BOTH_PLACES,
    AuditHistoryMixin,
    CaseSearchMixin,
    ClientLegalEntityFilter,
    DateRangeFilter,
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    actor_name,
    apply_service,
    confirm_bulk,
)
from core.audit.events import actor_of
from core.observability.masking import mask_phone
from verifications.models import FailedGuess, SmsMessage, Verification
from verifications.services import phone_guess_lock_lift, sms_resend


@admin.register(Verification)
class VerificationAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # The code digest is never shown; phones only masked. Search by id or a whole phone number.
    list_display = ("id", "phone", "kind", "status", "attempts", "code_expired_at", "created_at")
    sortable_by = ("id", "created_at")  # what an index orders
    list_filter = ("status", "kind", ("created_at", DateRangeFilter), ClientLegalEntityFilter)
    phone_search_lookup = "phone_number"
    search_help_text = _(
        "A code's id (whole or its first 8 characters), or a phone in any spelling or its last 4-8 digits"
    )
    fieldsets = (
        (None, {"fields": ("id", "phone", "kind", "client", "status", "attempts", "code_expired_at")}),
        (_("History"), {"fields": ("created_at", "updated_at", "history")}),
    )

    actions = ["lift_guess_lock"]

    @admin.display(description=_("phone number"))
    def phone(self, obj):
        return mask_phone(obj.phone_number)

    def has_lift_guess_lock_permission(self, request):
        return request.user.has_perm("verifications.lift_guess_lock")

    @admin.action(
        description=_("Lift the guess lock of these codes' phones"),
        permissions=["lift_guess_lock"],
        location=BOTH_PLACES,
    )
    def lift_guess_lock(self, request, queryset):
        """For a patient who proved who they are another way: their phone may get codes again at once."""
        phones = sorted(set(queryset.values_list("phone_number", flat=True)))
        actor = actor_of(request)
        lifted = {phone: phone_guess_lock_lift(phone_number=phone, actor=actor) for phone in phones}
        for code in queryset:
            self.log_change(request, code, gettext("Guess lock lifted"))
        summary = ", ".join(f"{mask_phone(phone)} ({count})" for phone, count in lifted.items())
        self.message_user(request, gettext("Guess lock lifted (failed attempts): %s") % summary, messages.SUCCESS)


@admin.register(FailedGuess)
class FailedGuessAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Wrong codes tried per phone: the guess budget's ledger. Lifting is done from the codes' list."""

    list_display = ("created_at", "phone", "verification", "lifted_at", "lifted_by_name")
    sortable_by = ("created_at",)
    list_filter = (("created_at", DateRangeFilter),)
    phone_search_lookup = "phone_number"
    search_help_text = _("A phone in any spelling or its last 4-8 digits")
    fields = ("phone", "verification", "created_at", "lifted_at", "lifted_by_name", "history")

    @admin.display(description=_("phone number"))
    def phone(self, obj):
        return mask_phone(obj.phone_number)

    @admin.display(description=_("lifted by"))
    def lifted_by_name(self, obj):
        return actor_name(obj.lifted_by)  # a query for each lifted row: few are, and a page holds 100 at most


@admin.register(SmsMessage)
class SmsMessageAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "phone_number_masked", "kind", "status", "attempts", "provider_id", "sent_at")
    sortable_by = ("created_at",)
    list_filter = ("status", "kind", ("created_at", DateRangeFilter))
    id_search_lookups = ("pk", "verification_id")
    search_fields = ("=provider_id",)
    phone_search_lookup = "verification__phone_number"
    search_help_text = _(
        "An SMS id or a code id (whole or the first 8 characters), a provider id, or a phone in any spelling "
        "or its last 4-8 digits"
    )
    fieldsets = (
        (None, {"fields": ("id", "verification", "phone_number_masked", "kind", "body")}),
        (_("Delivery"), {"fields": ("status", "attempts", "provider_id", "error", "next_attempt_at", "sent_at")}),
        (_("History"), {"fields": ("created_at", "updated_at", "history")}),
    )
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.has_perm("verifications.resend_smsmessage")

    @admin.action(description=_("Resend the selected failed SMS"), permissions=["resend"], location=BOTH_PLACES)
    def resend(self, request, queryset):
        page = confirm_bulk(
            self,
            request,
            queryset,
            title=gettext("Resend the SMS"),
            question=gettext("Send each of these SMS again?"),
        )
        if page is not None:
            return page
        apply_service(
            self,
            request,
            queryset,
            call=lambda sms, actor: sms_resend(sms_id=sms.pk, actor=actor),
            done=gettext("Resent"),
        )
        return None
