"""A local server speaking OpenAI's chat-completions protocol, scripted per model.

Real HTTP on 127.0.0.1 in a thread, so the provider code under test runs exactly as in
production (requests, timeouts, headers). Each model has a queue of replies; when a model's
queue is empty the server answers with `default` (a valid ticket unless changed). A test that
must not depend on the order calls arrive in (a client retrying after a read timeout on a
loaded machine takes one more reply) sets `responder` instead: it sees each request's body and
returns the reply, or None for the queue.
"""

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Models the `fake_openrouter` fixture (tests/conftest.py) wires in as OpenRouter's.
PRIMARY = "openai/gpt-oss-20b"
FALLBACK = "fallback/model-b"
ADVANCED = "test/advanced-model"


def ticket_json(ticket_type: str = "story", **overrides) -> dict:
    """A valid ticket as a model would return it, passing the hard quality rules
    (`tickets.quality.HARD_RULES`), so it gets no repair round."""
    data = {
        "title": "Let customers export invoices as PDF",
        "type": ticket_type,
        "summary": "Customers need PDF copies of invoices for their accountants.",
        "user_story": "As a customer, I want to download invoices as PDF so that I can file them",
        "acceptance_criteria": [
            {"given": "an invoice", "when": "I click Download PDF", "then": "a PDF downloads"},
            {"given": "a draft invoice", "when": "I open it",
             "then": "Download PDF is disabled with the note 'Drafts cannot be downloaded'"},
        ],
        "priority": "medium",
        "labels": ["billing", "export"],
        "story_points": 3,
        "technical_notes": "Use the existing PDF renderer.",
        "steps_to_reproduce": [],
        "expected_behaviour": "",
        "actual_behaviour": "",
    }
    if ticket_type == "bug":
        data.update(
            user_story="",
            steps_to_reproduce=["Open an invoice", "Click Download PDF"],
            expected_behaviour="A PDF downloads",
            actual_behaviour="An error page appears",
        )
    if ticket_type == "task":
        data["user_story"] = ""
    data.update(overrides)
    return data


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # the assistant message; None with a non-200 status
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    raw_body: str | None = None  # sent verbatim instead of a completion envelope
    gate: threading.Event | None = None  # answer only once this is set (a call in flight)
    usage: dict = field(
        default_factory=lambda: {"prompt_tokens": 420, "completion_tokens": 310, "cost": 0.00042}
    )


def success(ticket_type: str = "story", **overrides) -> Reply:
    return Reply(content=json.dumps(ticket_json(ticket_type, **overrides)))


def rate_limited(retry_after: str = "1") -> Reply:
    return Reply(status=429, headers={"Retry-After": retry_after},
                 raw_body=json.dumps({"error": {"message": "Rate limit exceeded", "code": 429}}))


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, raw_body=json.dumps({"error": {"message": "upstream error"}}))


def slow(seconds: float = 2.0) -> Reply:
    return Reply(delay=seconds, content=json.dumps(ticket_json()))


def held(gate: threading.Event, reply: Reply | None = None) -> Reply:
    """`reply` (a valid story by default), sent only once `gate` is set: the generation is
    in flight until then, and `FakeOpenRouter.in_flight` says the request has arrived."""
    reply = reply or success()
    reply.gate = gate
    return reply


def malformed() -> Reply:
    return Reply(content='Sure! Here is your ticket: {"title": "Export invoices", "type": ')


def invalid_ticket(ticket_type: str = "story") -> Reply:
    return Reply(content=json.dumps(ticket_json(ticket_type, priority="urgent!!", title="")))


class FakeOpenRouter:
    def __init__(self, *, keep_alive: bool = False):
        self.keep_alive = keep_alive  # HTTP/1.1: a client may send the next request on it
        self.connections = 0  # TCP connections accepted
        self.queues: dict[str, deque[Reply]] = defaultdict(deque)
        self.default = success()
        self.responder: Callable[[dict], Reply | None] | None = None
        self.requests: list[dict] = []
        self.in_flight = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v1"

    def queue(self, model: str, *replies: Reply) -> None:
        with self._lock:
            self.queues[model].extend(replies)

    def models_called(self) -> list[str]:
        return [request["body"].get("model") for request in self.requests]

    def start(self) -> "FakeOpenRouter":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict) -> Reply:
        reply = self.responder(body) if self.responder else None
        if reply is not None:
            return reply
        with self._lock:
            queue = self.queues[body.get("model", "")]
            return queue.popleft() if queue else self.default

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if fake.keep_alive else "HTTP/1.0"

            def setup(self):
                super().setup()
                with fake._lock:
                    fake.connections += 1

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body})
                if self.path != "/api/v1/chat/completions":
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})
                    return
                reply = fake._next(body)
                if reply.gate is not None:
                    fake.in_flight.set()
                    reply.gate.wait(timeout=30)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw_body is not None:
                    payload = reply.raw_body
                else:
                    payload = json.dumps({
                        "id": "gen-test",
                        "model": body.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply.content}}],
                        "usage": reply.usage,
                    })
                self._send(reply.status, payload, reply.headers)

            def _send(self, status, payload, headers):
                data = payload.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test): nothing to answer

        return Handler
