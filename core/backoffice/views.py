"""Error pages of the back office: a clerk's refused link answers the admin's own page, in Ukrainian."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views import defaults


def permission_denied(request, exception=None):
    """403: on `/admin/` the admin's page saying what is refused and where to go; elsewhere Django's."""
    if not request.path.startswith("/admin/") or not getattr(request, "user", None) or not request.user.is_active:
        return defaults.permission_denied(request, exception)
    context = {**admin.site.each_context(request), "title": gettext("Not allowed for your role")}
    return TemplateResponse(request, "admin/403.html", context, status=403).render()
