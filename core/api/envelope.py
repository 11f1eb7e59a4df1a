"""The response envelope: one place decides how every JSON answer of the API looks."""

from django.core.exceptions import DisallowedHost

from core.observability.masking import mask_phones_in


def request_url(request) -> str:
    """The absolute URL of the request, or only its path when the Host header is not one of ours
    (the error that answers a bad Host must not fail on the same Host). Phone numbers masked: paths
    such as /api/verifications/+380.../actions/complete carry one."""
    if request is None:
        return ""
    try:
        url = request.build_absolute_uri()
    except DisallowedHost:
        url = request.get_full_path()
    return mask_phones_in(url)


def meta(request, status: int, data) -> dict:
    return {
        "code": status,
        "url": request_url(request),
        "type": "list" if isinstance(data, list) else "object",
        "request_id": getattr(request, "request_id", None),
    }


def envelope(request, status: int, data, *, is_error=False, paging=None, urgent=None) -> dict:
    if is_error:
        return {"meta": meta(request, status, None), "error": data}
    body = {"meta": meta(request, status, data), "data": data}
    if paging is not None:
        body["paging"] = paging
    if urgent is not None:
        body["urgent"] = urgent
    return body
