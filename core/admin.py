from django.contrib import admin

from core.models import Event


class ReadOnlyAdminMixin:
    """Back-office views of records that only services may change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "entity_type", "entity_id", "property", "old_value", "new_value", "actor")
    list_filter = ("entity_type", "property")
    search_fields = ("=entity_id", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False
