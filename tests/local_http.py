"""A real HTTP server on 127.0.0.1 for the tests of the services we call (the SMS gateway, the signature
service): it records every POST's headers and JSON body and answers what a subclass's `respond` says."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalJsonService:
    """Started and stopped as a context manager; `url` ends with `path`."""

    def __init__(self, path: str):
        self.requests: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                service.requests.append({"headers": dict(self.headers), "json": json.loads(self.rfile.read(length))})
                status, body = service.respond()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if isinstance(body, bytes) else json.dumps(body).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self) -> tuple[int, dict | bytes]:
        """The status and body (a dict, sent as JSON, or bytes as they are) of the answer to the last request."""
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
