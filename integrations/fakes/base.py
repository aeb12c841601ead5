"""The HTTP server every fake is built on: routes, recorded requests and injected faults.

A fake subclasses `FakeServer`, registers handlers with `route(method, pattern)` and keeps its
own state (issues, projects) under `self.lock`. Tests queue faults with `fail(...)`; each
matching request consumes one. Faults model what makes duplicates in real life: the service
did the work, and the client never heard (a read timeout, a dropped connection).
"""

import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit

# 429 / 500: answered instead of doing the work. "500_after": the work is done, then 500.
# "timeout_after": the work is done, then no answer until the client gave up.
# "drop_after": the work is done, then the connection is closed without an answer.
FaultMode = Literal["429", "500", "500_after", "timeout_after", "drop_after"]


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # the route's named groups

    def json(self):
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token if scheme.lower() in ("bearer", "token") else ""


@dataclass
class Response:
    status: int = 200
    body: object = None  # JSON-encoded unless bytes/str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern
    mode: FaultMode
    retry_after: int = 1


Handler = Callable[[FakeRequest], Response]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up (its read timed out) closed the socket we answer on: that is
        a fault under test, not an error of the fake."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port.

    `requests` records every request (method, path, FakeRequest). `hold_seconds` is how long
    a "timeout_after" fault keeps the client waiting (set it above the client's read timeout).
    """

    name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, hold_seconds: float = 3.0):
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults: list[Fault] = []
        self.requests: list[FakeRequest] = []
        self.hold_seconds = hold_seconds
        self._release = threading.Event()
        self._server = _QuietServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.register()

    # -- for subclasses -------------------------------------------------------------------
    def register(self) -> None:
        """Register the routes (called once from __init__)."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    # -- for tests ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeServer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"{self.name}-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let held "timeout_after" answers go
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def fail(self, method: str, pattern: str, mode: FaultMode, *, times: int = 1,
             retry_after: int = 1) -> None:
        """Make the next `times` requests matching `method` and `pattern` (a regex searched in
        the path) fail in `mode`."""
        with self.lock:
            self.faults.extend(Fault(method, re.compile(pattern), mode, retry_after)
                               for _ in range(times))

    def calls(self, method: str, pattern: str) -> list[FakeRequest]:
        """The recorded requests matching `method` and `pattern` (a regex searched in the
        path)."""
        regex = re.compile(pattern)
        with self.lock:
            return [r for r in self.requests if r.method == method and regex.search(r.path)]

    # -- internals ------------------------------------------------------------------------
    def _take_fault(self, request: FakeRequest) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.method == request.method and fault.pattern.search(request.path):
                    return self.faults.pop(index)
        return None

    def _dispatch(self, request: FakeRequest) -> Response:
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                request.params = match.groupdict()
                return handler(request)
        return Response(404, {"message": "Not Found"})

    def _handler_class(self):
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests read `fake.requests`
                pass

            def _handle(self):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    method=self.command, path=split.path, query=parse_qs(split.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"")
                with fake.lock:
                    fake.requests.append(request)
                fault = fake._take_fault(request)
                if fault and fault.mode in ("429", "500"):
                    headers = {"Retry-After": str(fault.retry_after)} if fault.mode == "429" else {}
                    return self._send(Response(int(fault.mode), {"message": "injected fault"},
                                               headers))
                response = fake._dispatch(request)
                if fault and fault.mode == "500_after":
                    return self._send(Response(500, {"message": "injected fault"}))
                if fault and fault.mode == "timeout_after":
                    fake._release.wait(fake.hold_seconds)
                    self.close_connection = True
                    return None
                if fault and fault.mode == "drop_after":
                    self.close_connection = True
                    return None
                return self._send(response)

            def _send(self, response: Response):
                body = response.body
                content_type = response.headers.pop("Content-Type", "application/json")
                if isinstance(body, str):
                    data = body.encode()
                elif isinstance(body, bytes):
                    data = body
                elif body is None and response.status == 204:
                    data = b""
                else:
                    data = json.dumps(body).encode()
                self.send_response(response.status)
                if data or response.status != 204:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return RequestHandler
