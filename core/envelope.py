"""The response envelope: one place decides how every JSON answer of the API looks."""

from core.masking import mask_phones_in


def meta(request, status: int, data) -> dict:
    return {
        "code": status,
        # paths such as /api/verifications/+380.../actions/complete carry a phone number
        "url": mask_phones_in(request.build_absolute_uri()) if request is not None else "",
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
