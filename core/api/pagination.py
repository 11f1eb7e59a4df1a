import math
import re

from django.conf import settings
from django.utils.translation import gettext_noop as _
from rest_framework.pagination import BasePagination

from core.api.errors import ValidationFailed
from core.api.responses import EnvelopeResponse

MAX_PAGE_SIZE = 300
# ASCII digits only (str.isdigit() also takes "²" or "١", which int() refuses) and short enough for
# int() (4 300 digits at most): any page this long is past the end anyway.
_NUMBER = re.compile(r"[0-9]{1,100}")


def _positive_int(request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not _NUMBER.fullmatch(value) or int(value) < 1:
        raise ValidationFailed(field=f"$.{name}", description=_("Must be a positive integer"), rule="number")
    return int(value)


class PagePagination(BasePagination):
    """`?page=N&page_size=M`; the envelope's `paging` tells the totals. A page past the end is empty."""

    def paginate_queryset(self, queryset, request, view=None):
        self.page_number = _positive_int(request, "page", 1)
        self.page_size = min(_positive_int(request, "page_size", settings.REST_FRAMEWORK["PAGE_SIZE"]), MAX_PAGE_SIZE)
        self.total_entries = queryset.count()
        offset = (self.page_number - 1) * self.page_size
        if offset >= self.total_entries:  # also keeps a huge ?page from overflowing the database's integer
            return []
        return list(queryset[offset : offset + self.page_size])

    def get_paginated_response(self, data):
        return EnvelopeResponse(
            data,
            paging={
                "page_number": self.page_number,
                "page_size": self.page_size,
                "total_entries": self.total_entries,
                "total_pages": math.ceil(self.total_entries / self.page_size),
            },
        )

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1},
                "description": description,
            }
            for name, description in (
                ("page", "Page number, from 1"),
                ("page_size", f"Items per page, at most {MAX_PAGE_SIZE}"),
            )
        ]
