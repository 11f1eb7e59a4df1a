from rest_framework.renderers import JSONRenderer

from core.api.envelope import envelope


class EnvelopeRenderer(JSONRenderer):
    """Wraps whatever a view returns in `meta` + `data` (or `error`), with `paging`/`urgent`."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is None:
            return self._json(data, accepted_media_type, renderer_context)
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
        return self._json(wrapped, accepted_media_type, renderer_context)

    def _json(self, data, accepted_media_type, renderer_context) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A str that is not valid Unicode (half a surrogate pair) cannot be UTF-8: escape it, as
            # `\ud800`, rather than fail the whole answer. The parser refuses such input already.
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)
