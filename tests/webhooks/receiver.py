"""A local webhook receiver: real HTTP on 127.0.0.1 in a thread, checking every request's
signature with `verify_signature` (as a user's receiver would) and recording it.

Replies are scripted: a queue of (status, headers) answered in order, then `default`.
"""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accounts.webhooks.signing import SIGNATURE_HEADER, SignatureError, verify_signature


@dataclass
class Received:
    body: bytes
    headers: dict
    at: float
    verified: bool
    error: str = ""
    status: int = 200  # what the receiver answered

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    secret: str = ""  # the endpoint's signing secret, set once the endpoint exists
    default: tuple[int, dict] = (200, {})
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self.replies: deque[tuple[int, dict]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/myba"

    def reply(self, *replies: tuple[int, dict]) -> None:
        with self._lock:
            self.replies.extend(replies)

    def events(self) -> list[dict]:
        return [request.event for request in self.received]

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    verify_signature(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""),
                                     body)
                    verified, error = True, ""
                except SignatureError as exc:
                    verified, error = False, str(exc)
                with receiver._lock:
                    status, headers = (receiver.replies.popleft() if receiver.replies
                                       else receiver.default)
                    if not verified:
                        status, headers = 400, {}
                    receiver.received.append(Received(body=body, headers=dict(self.headers),
                                                      at=time.monotonic(), verified=verified,
                                                      error=error, status=status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
