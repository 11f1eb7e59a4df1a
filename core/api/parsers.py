"""The JSON parser of every endpoint: a body either parses into plain, renderable data or is a 400."""

from django.utils.translation import gettext_noop as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deep enough for every request body of the API (the deepest, an approval, nests 7 levels).
MAX_DEPTH = 32
TOO_DEEP = _("JSON body is nested too deeply")
LONE_SURROGATE = _("JSON body has an unpaired surrogate escape")


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, plus what it lets through that would crash later: nesting past the
    interpreter's recursion limit (a RecursionError in the decoder, or in any code that walks the
    data) and `\\ud800`-style escapes of half a surrogate pair (a str that cannot be encoded as UTF-8,
    so every answer that echoes it fails in the renderer)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        check_plain(data)
        return data


def check_plain(data) -> None:
    """Walks the parsed body without recursion: at most MAX_DEPTH levels, every string encodable."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(TOO_DEEP)
            if isinstance(value, dict):
                for key in value:
                    _check_string(key)
                items = value.values()
            else:
                items = value
            pending.extend((item, depth + 1) for item in items if isinstance(item, str | dict | list))


def _check_string(text: str) -> None:
    # json decodes a valid pair into one code point, so any surrogate left is a lone one
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError(LONE_SURROGATE) from error
