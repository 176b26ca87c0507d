"""The dashboard's front door: an ASGI middleware that every request passes.

* **Host** must be one of :attr:`Settings.allowed_hosts` (DNS rebinding: a page on
  ``evil.example`` that re-points its name at 127.0.0.1 sends ``Host: evil.example``).
* **State-changing requests** (any method but GET/HEAD/OPTIONS) must come from the served
  origin or a configured one (``Origin``, and ``Sec-Fetch-Site`` when the browser sends
  it) and carry the per-server CSRF token in ``X-Backchannel-Token`` (the page reads it
  from a ``<meta>`` tag; scripts from ``GET /api/session``).
* **Bodies** are read here, chunk by chunk whether or not the client sent a
  ``Content-Length`` (chunked transfer): the first chunk past the limit ends the request
  with 413 and nothing more is read; a body that takes longer than
  :attr:`Settings.body_timeout` ends it with 408. The app then sees the buffered body.
* **Responses** get security headers (a Content-Security-Policy that allows only this
  server's scripts, no framing, no sniffing, no referrer; ``no-store`` on the API).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from backchannel.web.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_HEADER = "x-backchannel-token"
MULTIPART_SLACK = 64 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def host_name(host: str) -> str:
    """``example.org`` from a Host header (``example.org:8000``, ``[::1]:8000``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def error_body(text: str, code: str) -> bytes:
    return json.dumps(
        {"ok": False, "errors": [{"text": text, "cell": None, "code": code}]}
    ).encode()


async def respond(send: Send, status: int, text: str, code: str) -> None:
    body = error_body(text, code)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Refused(Exception):
    def __init__(self, status: int, text: str, code: str) -> None:
        super().__init__(text)
        self.status, self.text, self.code = status, text, code


class Guard:
    """The middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings, token: str) -> None:
        self.app = app
        self.settings = settings
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            self.check_host(headers)
            if scope["method"] not in SAFE_METHODS:
                self.check_origin(scope, headers)
                body = await self.read_body(scope, receive, headers)
                receive = _replay(body, receive)
        except Refused as r:
            await respond(send, r.status, r.text, r.code)
            return
        await self.app(scope, receive, _with_headers(send, scope["path"]))

    def check_host(self, headers: dict[str, str]) -> None:
        name = host_name(headers.get("host", ""))
        if not self.settings.host_allowed(name):
            raise Refused(
                403,
                f"this server does not answer to the host name {name[:80]!r} (protection "
                "against DNS rebinding)\n  fix: open the dashboard at http://127.0.0.1:<port>/, "
                "or add the name to BACKCHANNEL_ALLOWED_HOSTS (or serve --allow-host)",
                "host",
            )

    def check_origin(self, scope: Scope, headers: dict[str, str]) -> None:
        origin = headers.get("origin")
        served = f"{scope.get('scheme', 'http')}://{headers.get('host', '').lower()}"
        if origin is not None and origin.lower().rstrip("/") not in (
            served,
            *self.settings.allowed_origins,
        ):
            raise Refused(
                403,
                f"refused a request sent by a page of another site ({origin[:80]!r})\n"
                "  fix: use the dashboard's own page, or add that origin to "
                "BACKCHANNEL_ALLOWED_ORIGINS (or serve --allow-origin)",
                "origin",
            )
        site = headers.get("sec-fetch-site")
        if origin is None and site not in (None, "same-origin", "none"):
            raise Refused(403, "refused a request sent by a page of another site", "origin")
        if not secrets.compare_digest(headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            raise Refused(
                403,
                "the request lacks this server's CSRF token (or the server was restarted)\n"
                "  fix: reload the page; scripts get the token from GET /api/session and send "
                "it as X-Backchannel-Token",
                "csrf",
            )

    async def read_body(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> bytes:
        s = self.settings
        limit = s.max_upload + MULTIPART_SLACK if scope["path"] == "/api/upload" else s.max_body
        too_big = Refused(
            413,
            f"the request body is over the {limit:,}-byte limit\n"
            "  fix: send a smaller scenario (uploads: at most "
            f"{s.max_upload:,} bytes)",
            "too_large",
        )
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise too_big
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(s.body_timeout):
                while True:
                    msg = await receive()
                    if msg["type"] == "http.disconnect":
                        raise Refused(400, "the client went away", "disconnect")
                    chunk = msg.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise too_big
                    chunks.append(chunk)
                    if not msg.get("more_body", False):
                        break
        except TimeoutError:
            raise Refused(
                408,
                f"the request body did not arrive within {s.body_timeout:g} s",
                "timeout",
            ) from None
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_headers(send: Send, path: str) -> Send:
    extra = list(HEADERS)
    if path.startswith("/api/"):
        extra.append((b"cache-control", b"no-store"))

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            have = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = [
                *message.get("headers", []),
                *((k, v) for k, v in extra if k not in have),
            ]
        await send(message)

    return wrapped
