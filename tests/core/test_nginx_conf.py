"""deploy/nginx.conf.template: what nginx answers itself is the API's envelope, with core/api/errors.py's types.
(tests/reliability/test_nginx_errors.py sends it the malformed requests, through a real nginx.)"""

import json
import re

import pytest
from django.conf import settings

from core.api.errors import error_type_for

TEMPLATE = (settings.BASE_DIR / "deploy" / "nginx.conf.template").read_text()
ERROR_PAGE = re.compile(r"error_page (\d+) (?:=(\d+) )?(/_error/\d+);")
BODY = re.compile(r"location = (/_error/(\d+)) \{[^}]*?return (\d+) '([^']*)';", re.S)

bodies = {path: (int(code), int(returned), text) for path, code, returned, text in BODY.findall(TEMPLATE)}


def test_every_error_page_has_its_body():
    targets = {target for _code, _as, target in ERROR_PAGE.findall(TEMPLATE)}
    assert targets and targets <= set(bodies)
    for code, answered_as, target in ERROR_PAGE.findall(TEMPLATE):
        assert bodies[target][0] == int(answered_as or code) or code == "494", (code, target)


@pytest.mark.parametrize("path", sorted(bodies))
def test_each_body_is_the_envelope_of_its_code(path):
    code, returned, text = bodies[path]
    assert code == returned
    body = json.loads(text.replace("$request_id", "0123abcd"))
    assert body == {
        "meta": {"code": code, "url": "", "type": "object", "request_id": "0123abcd"},
        "error": {"type": error_type_for(code), "message": body["error"]["message"]},
    }
    assert body["error"]["message"]


def test_the_error_pages_are_internal_and_read_no_body():
    block = TEMPLATE[TEMPLATE.index("location /_error/ {") :]
    assert block.index("internal;") < block.index("location = /_error/")
    assert "client_max_body_size 0;" in block[: block.index("location = /_error/")]


def test_the_codes_nginx_answers():
    assert {code for code, _r, _t in bodies.values()} == {400, 404, 413, 414, 431, 502, 504}
