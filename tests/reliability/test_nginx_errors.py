"""Against `make cluster`: what nginx or gunicorn answer themselves is the API's JSON envelope, never an
HTML page; /metrics answers on each gunicorn instance (all its workers' counts) and not through nginx.

Runs only with RUN_CLUSTER_TESTS=1 (the `.ci/run` cluster step). A few raw requests on loopback, and one
nginx of the same template (deploy/nginx.conf.template) in front of a port where nothing listens.
"""

import json
import os
import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings

from .processes import free_port, http, wait_until

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(os.environ.get("RUN_CLUSTER_TESTS") != "1", reason="needs `make cluster`: RUN_CLUSTER_TESTS=1"),
]

PORT = int(os.environ.get("CLUSTER_PORT", "8100"))
WEB_PORTS = [int(port) for port in os.environ.get("CLUSTER_WEB_PORTS", "8101 8102").split()]


def raw(request: bytes, port: int = PORT) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client library would send these), read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)  # no half-close: nginx would take it for a client gone and drop the request
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def assert_envelope(status: int, headers: dict, body: bytes, code: int, error_type: str):
    assert status == code, body[:300]
    assert headers["content-type"].startswith("application/json"), (headers, body[:300])
    envelope = json.loads(body)
    assert envelope["meta"]["code"] == code
    assert envelope["error"]["type"] == error_type
    assert envelope["error"]["message"]


@pytest.mark.parametrize(
    "request_line",
    [b"GARBAGE\r\n", b"GET /api/health HTTP/1.1 trailing\r\n", b"GET /api/health HTTP/9.9\r\n", b"get / HTTP/1.1\r\n"],
    ids=["no-method", "four-parts", "bad-version", "lowercase-method"],
)
def test_a_malformed_request_line_is_the_400_envelope(request_line):
    assert_envelope(*raw(request_line + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"), 400, "request_malformed")


@pytest.mark.parametrize("length", [5_000, 10_000], ids=["over-gunicorns-4094", "over-nginxs-8k"])
def test_a_long_uri_is_the_414_envelope(length):
    """5 KB passes nginx and gunicorn refuses it (intercepted); 10 KB nginx refuses itself."""
    path = b"/api/verifications/" + b"a" * length
    assert_envelope(
        *raw(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), 414, "request_malformed"
    )


def test_too_large_headers_are_the_431_envelope():
    big = b"X-Big: " + b"a" * 10_000 + b"\r\n"  # one header over nginx's buffer
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + big + b"\r\n"
    assert_envelope(*raw(request), 431, "request_malformed")
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))  # more than gunicorn's 100 fields
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + many + b"\r\n"
    assert_envelope(*raw(request), 431, "request_malformed")


def test_a_body_over_nginxs_limit_is_the_413_envelope():
    request = b"POST /api/verifications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    request += b"Content-Length: 20000000\r\nConnection: close\r\n\r\n{}"
    assert_envelope(*raw(request), 413, "request_too_large")


def test_the_services_own_answers_pass_as_they_are():
    status, _, body = http("PUT", f"http://127.0.0.1:{PORT}/api/uploads/forged:token", body={})
    assert status == 404 and body["error"]["message"] == "Upload URL not found"
    assert body["meta"]["request_id"]  # Django's envelope, not nginx's
    status, _, body = http("POST", f"http://127.0.0.1:{PORT}/api/verifications", body={})
    assert status == 401 and body["error"]["type"] == "access_denied"


def test_metrics_are_not_served_through_nginx():
    assert_envelope(*raw(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), 404, "not_found")


def scrape(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 10.0.0.5\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return body.decode()


def live_count(text: str) -> float:
    prefix = 'ehealth_http_requests_total{method="GET",route="/api/health/live",status="200"} '
    return next((float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def test_each_instance_reports_the_requests_of_all_its_workers():
    port = WEB_PORTS[0]
    before = live_count(scrape(port))
    for _ in range(40):
        assert http("GET", f"http://127.0.0.1:{port}/api/health/live")[0] == 200
    # each scrape is answered by one of the instance's workers, whichever: every one tells the same sum
    counts = {live_count(scrape(port)) - before for _ in range(6)}
    assert counts == {40}, counts
    text = scrape(port)
    assert "ehealth_task_queue_oldest_age_seconds" in text and "ehealth_database_up 1.0" in text


def test_the_probes_answer_through_nginx():
    assert http("GET", f"http://127.0.0.1:{PORT}/api/health/live")[0] == 200
    status, _, body = http("GET", f"http://127.0.0.1:{PORT}/api/health/ready")
    assert status == 200 and body["data"]["status"] == "ok"


@pytest.fixture
def nginx_without_upstream(tmp_path):
    """The template's nginx in front of a port where nothing listens (every web instance down)."""
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (make cluster installs it)")
    port = free_port()
    template = (settings.BASE_DIR / "deploy" / "nginx.conf.template").read_text()
    conf = tmp_path / "nginx.conf"
    upstream = f"server 127.0.0.1:{free_port()} max_fails=1 fail_timeout=2s;"
    conf.write_text(
        template.replace("@DIR@", str(tmp_path)).replace("@PORT@", str(port)).replace("@UPSTREAMS@", upstream)
    )
    command = ["nginx", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log")]
    subprocess.run(command, check=True, capture_output=True)
    try:
        wait_until(lambda: (tmp_path / "nginx.pid").exists(), timeout=10, what="nginx")
        time.sleep(0.2)
        yield port
    finally:
        subprocess.run([*command, "-s", "stop"], capture_output=True)


def test_no_web_instance_up_is_the_502_envelope(nginx_without_upstream):
    status, headers, body = raw(
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", nginx_without_upstream
    )
    assert_envelope(status, headers, body, 502, "internal_error")
    assert headers["retry-after"] == "5"
    assert json.loads(body)["meta"]["request_id"]  # nginx's $request_id, also sent upstream as X-Request-ID
