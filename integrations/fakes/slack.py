"""A local fake of Slack: the `response_url`s of commands and interactions, and the Web API's
`chat.postMessage` (bot token checked), recording every message for assertions.

It also builds and signs the requests Slack sends to an app (slash command, message shortcut,
button clicks) so the tests and `make run` can play Slack: its page at `/` (clearly labelled
as a local fake) sends `/myba` to MyBA and shows what MyBA answered, with the buttons
clickable. Response URLs behave like Slack's: 30 minutes, 5 posts, then 404 `expired_url` /
`used_url`.
"""

import html
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import requests
from django.conf import settings

from integrations.fakes.base import FakeRequest, FakeServer, Response
from integrations.slack.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, slack_signature

RESPONSE_URL_TTL = 30 * 60
RESPONSE_URL_USES = 5
FAKE_BOT_TOKEN = "xoxb-fake-bot-token"  # noqa: S105 (the fake's, not a secret)


def signed_headers(body: bytes, secret: str, *, timestamp: int | None = None) -> dict:
    """The headers Slack sends with `body`, signed with the app's signing secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: slack_signature(secret, timestamp, body),
            "Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Received:
    """A message the fake received: through a response_url (`hook` its id) or posted by the
    bot in `channel`."""

    via: str  # "response_url" | "chat.postMessage"
    body: dict
    hook: str = ""
    channel: str = ""

    @property
    def text(self) -> str:
        return self.body.get("text", "")

    @property
    def ephemeral(self) -> bool:
        return self.body.get("response_type", "ephemeral") == "ephemeral"

    def blocks_of(self, block_type: str) -> list[dict]:
        return [b for b in self.body.get("blocks", []) if b.get("type") == block_type]

    @property
    def buttons(self) -> list[dict]:
        return [e for b in self.blocks_of("actions") for e in b.get("elements", [])]


class FakeSlack(FakeServer):
    name = "slack"

    def __init__(self, *, bot_token: str | None = None, signing_secret: str | None = None,
                 myba_url: str | None = None, **options):
        """Without arguments (`make run`), it takes the bot token and signing secret MyBA is
        configured with, and plays Slack against SITE_URL."""
        self.bot_token = bot_token or settings.SLACK_BOT_TOKEN or FAKE_BOT_TOKEN
        self.signing_secret = (settings.SLACK_SIGNING_SECRET if signing_secret is None
                               else signing_secret)
        self.myba_url = (settings.SITE_URL if myba_url is None else myba_url).rstrip("/")
        self.hooks: dict[str, dict] = {}  # id -> {"expires": t, "uses": n}
        self.received: list[Received] = []
        self.channels = {"C0GENERAL": "general"}
        self.team = ("T0FAKE", "Fake workspace")
        self.user = ("U0FAKE", "you")
        self._ids = itertools.count(1)
        super().__init__(**options)

    def register(self) -> None:
        self.route("POST", r"/hooks/(?P<hook>[A-Za-z0-9]+)", self._hook)
        self.route("POST", r"/api/chat\.postMessage", self._post_message)
        self.route("GET", r"/", self._page)
        self.route("POST", r"/send", self._send)

    # -- what tests and the demo use ------------------------------------------------------
    @property
    def api_url(self) -> str:
        """SLACK_API_URL for this fake."""
        return f"{self.url}/api"

    def response_url(self, *, ttl: float = RESPONSE_URL_TTL) -> str:
        """A new response URL, valid `ttl` seconds (Slack's: 30 minutes), 5 posts."""
        hook = uuid.uuid4().hex
        with self.lock:
            self.hooks[hook] = {"expires": time.time() + ttl, "uses": 0}
        return f"{self.url}/hooks/{hook}"

    def expire(self, response_url: str) -> None:
        with self.lock:
            self.hooks[response_url.rsplit("/", 1)[1]]["expires"] = 0

    def messages(self, response_url: str | None = None) -> list[Received]:
        """What was received (through one response_url, if given), oldest first."""
        hook = response_url.rsplit("/", 1)[1] if response_url else None
        with self.lock:
            return [m for m in self.received if hook is None or m.hook == hook]

    def command(self, text: str, *, user_id: str | None = None, team_id: str | None = None,
                channel_id: str = "C0GENERAL", response_url: str | None = None) -> dict:
        """The form of a `/myba` slash command, as Slack POSTs it."""
        return {"token": "deprecated-verification-token", "team_id": team_id or self.team[0],
                "team_domain": "fake", "channel_id": channel_id,
                "channel_name": self.channels.get(channel_id, "general"),
                "user_id": user_id or self.user[0], "user_name": self.user[1],
                "command": "/myba", "text": text, "api_app_id": "A0MYBA",
                "is_enterprise_install": "false",
                "response_url": response_url or self.response_url(),
                "trigger_id": f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:12]}"}

    def shortcut(self, message_text: str, *, user_id: str | None = None,
                 team_id: str | None = None, channel_id: str = "C0GENERAL",
                 callback_id: str = "turn_into_ticket",
                 response_url: str | None = None) -> dict:
        """The payload of the "Turn into ticket" message shortcut (`message_action`)."""
        return self._payload({
            "type": "message_action", "callback_id": callback_id,
            "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex[:12]}",
            "action_ts": f"{time.time():.6f}", "message_ts": "1700000000.000100",
            "channel": {"id": channel_id, "name": self.channels.get(channel_id, "general")},
            "message": {"type": "message", "user": "U0AUTHOR", "ts": "1700000000.000100",
                        "text": message_text},
            "response_url": response_url or self.response_url()}, user_id, team_id)

    def click(self, button: dict, *, user_id: str | None = None, team_id: str | None = None,
              channel_id: str = "C0GENERAL", response_url: str | None = None) -> dict:
        """The `block_actions` payload of clicking `button` (an element of a message MyBA
        posted)."""
        return self._payload({
            "type": "block_actions", "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex[:8]}",
            "container": {"type": "message", "message_ts": "1700000000.000200",
                          "channel_id": channel_id, "is_ephemeral": False},
            "channel": {"id": channel_id, "name": self.channels.get(channel_id, "general")},
            "actions": [{"type": "button", "action_id": button["action_id"],
                         "block_id": "b", "value": button.get("value", ""),
                         "text": button["text"], "action_ts": f"{time.time():.6f}"}],
            "response_url": response_url or self.response_url()}, user_id, team_id)

    def _payload(self, body: dict, user_id, team_id) -> dict:
        team = team_id or self.team[0]
        return {"payload": json.dumps({
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user_id or self.user[0], "username": self.user[1], "team_id": team},
            "api_app_id": "A0MYBA", "token": "deprecated-verification-token", **body})}

    def seed_demo(self) -> None:
        """A believable workspace for `make run`: Acme with #product, and you in it."""
        with self.lock:
            self.team = ("T0ACME", "Acme (local fake)")
            self.user = ("U0DEMO", "demo")
            self.channels = {"C0GENERAL": "general", "C0PRODUCT": "product"}

    # -- handlers ---------------------------------------------------------------------------
    def _hook(self, request: FakeRequest) -> Response:
        hook = request.params["hook"]
        with self.lock:
            state = self.hooks.get(hook)
            if state is None:
                return Response(404, "invalid_url", {"Content-Type": "text/plain"})
            if state["expires"] < time.time():
                return Response(404, "expired_url", {"Content-Type": "text/plain"})
            if state["uses"] >= RESPONSE_URL_USES:
                return Response(404, "used_url", {"Content-Type": "text/plain"})
            try:
                body = request.json()
            except ValueError:
                return Response(400, "invalid_payload", {"Content-Type": "text/plain"})
            state["uses"] += 1
            self.received.append(Received("response_url", body, hook=hook))
        return Response(200, "ok", {"Content-Type": "text/plain"})

    def _post_message(self, request: FakeRequest) -> Response:
        if request.bearer != self.bot_token:
            return Response(200, {"ok": False, "error": "invalid_auth"})
        try:
            body = request.json()
        except ValueError:
            return Response(200, {"ok": False, "error": "invalid_json"})
        channel = body.get("channel", "")
        if channel not in self.channels:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if not body.get("text") and not body.get("blocks"):
            return Response(200, {"ok": False, "error": "no_text"})
        ts = f"{time.time():.6f}"
        with self.lock:
            self.received.append(Received("chat.postMessage", body, channel=channel))
        return Response(200, {"ok": True, "channel": channel, "ts": ts,
                              "message": {"type": "message", "text": body.get("text", ""),
                                          "ts": ts, "bot_id": "B0MYBA"}})

    # -- the demo page (make run) -----------------------------------------------------------
    def _send(self, request: FakeRequest) -> Response:
        """Play Slack: sign a command or a click and send it to MyBA."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("button"):
            data = self.click(json.loads(form["button"]))
            path = "/integrations/slack/interactivity/"
        else:
            data = self.command(form.get("text", ""))
            path = "/integrations/slack/commands/"
        body = urlencode(data).encode()
        try:
            answer = requests.post(self.myba_url + path, data=body, timeout=10,
                                   headers=signed_headers(body, self.signing_secret))
            if answer.content and answer.headers.get("Content-Type", "").startswith(
                    "application/json"):
                with self.lock:
                    self.received.append(Received("http answer", answer.json()))
        except requests.RequestException as error:
            with self.lock:
                self.received.append(Received("http answer", {"text": f"MyBA: {error}"}))
        return Response(303, "", {"Location": "/", "Content-Type": "text/plain"})

    def _page(self, request: FakeRequest) -> Response:
        rows = []
        for message in reversed(self.messages()):
            buttons = "".join(
                f'<form method="post" action="/send"><input type="hidden" name="button" '
                f'value="{html.escape(json.dumps(b))}"><button>{html.escape(b["text"]["text"])}'
                f'</button></form>' if "url" not in b else
                f'<a href="{html.escape(b["url"])}">{html.escape(b["text"]["text"])}</a>'
                for b in message.buttons)
            body = "<br>".join(html.escape(b.get("text", {}).get("text", "")) for b in
                               message.body.get("blocks", []) if "text" in b)
            rows.append(f"<li><small>{message.via}{' · only you' if message.ephemeral else ''}"
                        f"</small><p>{body or html.escape(message.text)}</p>{buttons}</li>")
        page = f"""<!doctype html><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local fake of Slack</title>
<style>body{{font:16px system-ui;max-width:40rem;margin:1rem auto;padding:0 1rem}}
li{{margin:1rem 0;border-bottom:1px solid #ccc}}@media(prefers-color-scheme:dark){{
body{{background:#1a1d21;color:#eee}}a{{color:#8cf}}}}</style>
<h1>Local fake of Slack — {html.escape(self.team[1])}</h1>
<p>Not Slack: a local stand-in so you can try MyBA's Slack app. Commands and clicks go to
{html.escape(self.myba_url)} signed like Slack's. <a href="/">Refresh</a> to see answers
posted later.</p>
<form method="post" action="/send"><label for="text">/myba</label>
<input id="text" name="text" size="40" placeholder="Describe the work"> <button>Send</button>
</form><ul>{"".join(rows)}</ul>"""
        return Response(200, page, {"Content-Type": "text/html; charset=utf-8"})
