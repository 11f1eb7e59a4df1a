from rest_framework.renderers import JSONRenderer

from core.envelope import envelope


class EnvelopeRenderer(JSONRenderer):
    """Wraps whatever a view returns in `meta` + `data` (or `error`), with `paging`/`urgent`."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code == 204:
            return b""
        wrapped = envelope(
            renderer_context.get("request"),
            response.status_code,
            data,
            is_error=getattr(response, "is_error", False),
            paging=getattr(response, "paging", None),
            urgent=getattr(response, "urgent", None),
        )
        return super().render(wrapped, accepted_media_type, renderer_context)
