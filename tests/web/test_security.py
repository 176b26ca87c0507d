"""The server under attack: foreign hosts and origins, missing tokens, oversized and slow
bodies (chunked or not), and one client's huge upload beside another client's requests."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import LiveServer

from backchannel.web.settings import Settings

STATE_CHANGING = [
    ("POST", "/api/analyze"),
    ("POST", "/api/save"),
    ("POST", "/api/export"),
    ("POST", "/api/jobs"),
    ("POST", "/api/upload"),
    ("POST", "/api/jobs/x/cancel"),
]


# -- host, origin and token ----------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", ""])
def test_foreign_host_names_are_refused_on_every_request(client: TestClient, host: str) -> None:
    """DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 sends its own Host."""
    for method, path in [("GET", "/"), ("GET", "/api/scenarios"), *STATE_CHANGING]:
        r = client.request(method, path, headers={"host": host}, json={})
        assert r.status_code == 403, (method, path)
        assert "DNS rebinding" in r.json()["errors"][0]["text"]
    for ok in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
        assert client.get("/api/scenarios", headers={"host": ok}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:9999"},  # another port is another origin
        {"origin": "https://127.0.0.1"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_cross_origin_writes_are_refused(client: TestClient, data: dict, headers: dict) -> None:
    for method, path in STATE_CHANGING:
        r = client.request(method, path, headers=headers, json={"data": data, "name": "x"})
        assert r.status_code == 403 and r.json()["errors"][0]["code"] == "origin", (path, r.text)
    assert client.get("/api/scenarios").json()["saved"] == []


def test_the_served_origin_may_write(client: TestClient, data: dict) -> None:
    same = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    r = client.post("/api/save", headers=same, json={"data": data, "name": "x"})
    assert r.status_code == 200


def test_writes_need_the_csrf_token(client: TestClient, data: dict) -> None:
    for token in ("", "wrong", client.headers["X-Backchannel-Token"][:-1]):
        for method, path in STATE_CHANGING:
            r = client.request(
                method, path, headers={"X-Backchannel-Token": token}, json={"data": data}
            )
            assert r.status_code == 403 and r.json()["errors"][0]["code"] == "csrf"


def test_hosts_and_origins_are_configurable(make_client: Any, data: dict) -> None:
    proxied = make_client(
        Settings(
            allowed_hosts=("team.example.org",), allowed_origins=("https://team.example.org",)
        ),
        base_url="http://team.example.org",
    )
    head = {"origin": "https://team.example.org"}
    assert (
        proxied.post("/api/save", headers=head, json={"data": data, "name": "t"}).status_code == 200
    )
    assert proxied.get("/api/scenarios", headers={"host": "127.0.0.1"}).status_code == 403


# -- bodies: limits on the stream, chunked or not, and slow senders --------------------------
def _connect(live: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=30)


def _token(live: LiveServer) -> str:
    with urllib.request.urlopen(live.url + "api/session", timeout=10) as r:
        token: str = json.load(r)["token"]
    return token


def _status(sock: socket.socket) -> int:
    sock.settimeout(30)
    head = sock.recv(65536).split(b"\r\n", 1)[0]
    return int(head.split()[1])


@pytest.fixture()
def small_body_server(tmp_path: Path) -> Any:
    server = LiveServer(tmp_path / "s.sqlite", Settings(max_body=1024 * 1024, body_timeout=1.5))
    server.start()
    yield server
    server.stop()


def test_a_chunked_body_over_the_limit_is_cut_off(small_body_server: LiveServer) -> None:
    """No Content-Length: the server counts the chunks and answers 413 once the limit is
    passed, without reading the rest (the client is still sending when the answer comes)."""
    live = small_body_server
    sock = _connect(live)
    sock.sendall(
        b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-Backchannel-Token: " + _token(live).encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"40000\r\n" + b" " * 0x40000 + b"\r\n"  # 256 KiB
    sent = 0
    try:
        while sent < 40 * 1024 * 1024:
            sock.sendall(chunk)
            sent += 0x40000
    except OSError:  # the server closed the connection after answering
        pass
    assert _status(sock) == 413
    assert sent < 16 * 1024 * 1024, f"the server read {sent:,} bytes of a 1 MiB-limited body"
    sock.close()


def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    small_body_server: LiveServer,
) -> None:
    sock = _connect(small_body_server)
    sock.sendall(
        b"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n"
        b"X-Backchannel-Token: " + _token(small_body_server).encode() + b"\r\n\r\n"
    )
    assert _status(sock) == 413
    sock.close()


def test_a_slow_body_is_cut_off(small_body_server: LiveServer) -> None:
    sock = _connect(small_body_server)
    sock.sendall(
        b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
        b"X-Backchannel-Token: " + _token(small_body_server).encode() + b"\r\n\r\n{"
    )
    start = time.monotonic()
    assert _status(sock) == 408
    assert time.monotonic() - start < 10
    sock.close()


# -- one client's huge upload beside another client's requests ---------------------------------
def _median_latency(url: str, n: int = 15) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
        times.append(time.perf_counter() - t)
        time.sleep(0.03)
    return statistics.median(times)


def test_a_large_upload_does_not_delay_another_client(live: LiveServer) -> None:
    """An upload of 60,000 unknown keys (the issue: 16,000 stalled every request for 37 s)
    is parsed in a child process; meanwhile another client's requests take at most 100 ms
    longer than without it (medians of 20 requests without it, and of every request made
    while it is being parsed: at least 5)."""
    body = "name: x\nissues: []\nactors: []\n" + "".join(f"k{i}: {i}\n" for i in range(60_000))
    token = _token(live)
    url = live.url + "api/scenarios"
    baseline = _median_latency(url, 20)
    answer: dict[str, Any] = {}

    def upload() -> None:
        boundary = "bcboundary"
        payload = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"'
            f"\r\nContent-Type: text/yaml\r\n\r\n{body}\r\n--{boundary}--\r\n"
        ).encode()
        conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=120)
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Backchannel-Token": token,
        }
        conn.request("POST", "/api/upload", payload, headers)
        res = conn.getresponse()
        answer["status"], answer["body"] = res.status, json.loads(res.read())

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.3)  # the upload is received and being parsed
    probes: list[float] = []
    while thread.is_alive():
        probes.append(_median_latency(url, 1))
    thread.join(timeout=120)
    assert len(probes) >= 5, f"only {len(probes)} probes during the upload: make it larger"
    during = statistics.median(probes[:-1])  # the last one may have ended after the upload
    assert answer["status"] == 422 and "more problems" in answer["body"]["errors"][-1]["text"]
    assert during - baseline < 0.1, (
        f"median {during:.3f} s during the upload, {baseline:.3f} s without"
    )


# -- in the browser: a foreign page and a rebound name --------------------------------------
EVIL_PAGE = """<!DOCTYPE html><html><body><h1>a page on another site</h1>
<form id="f" method="POST" action="{target}api/save" enctype="text/plain">
<input name='{{"name": "form-attack", "data": {data}, "x": "' value='"}}'></form>
<script>
window.results = {{}};
(async () => {{
  const body = JSON.stringify({{name: "fetch-attack", data: {data}}});
  try {{ await fetch("{target}api/save", {{method: "POST", mode: "no-cors", body,
      headers: {{"Content-Type": "text/plain"}}}}); window.results.nocors = "sent"; }}
  catch (e) {{ window.results.nocors = "blocked"; }}
  try {{ const r = await fetch("{target}api/session"); window.results.token = await r.text(); }}
  catch (e) {{ window.results.token = "blocked"; }}
  try {{ const r = await fetch("{target}api/save", {{method: "POST", body,
      headers: {{"Content-Type": "application/json", "X-Backchannel-Token": "guess"}}}});
      window.results.cors = r.status; }}
  catch (e) {{ window.results.cors = "blocked"; }}
  window.results.done = true;
}})();
</script></body></html>"""


@pytest.mark.browser
def test_a_foreign_page_cannot_write_or_read_the_token(
    live: LiveServer, data: dict, tmp_path: Path
) -> None:
    from backchannel.web.headless import chromium_context

    site = tmp_path / "evil"
    site.mkdir()
    (site / "index.html").write_text(
        EVIL_PAGE.format(target=live.url, data=json.dumps(data)), encoding="utf-8"
    )
    evil = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site))
    )
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with chromium_context(viewport={"width": 800, "height": 600}) as ctx:
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{evil.server_address[1]}/index.html")
            page.wait_for_function("window.results && window.results.done", timeout=20_000)
            results = page.evaluate("window.results")
            with page.expect_navigation():
                page.evaluate("document.getElementById('f').submit()")
            assert "another site" in page.inner_text("body")  # the form post was refused
    finally:
        evil.shutdown()
    assert results["token"] == "blocked" and results["cors"] == "blocked"
    with urllib.request.urlopen(live.url + "api/scenarios", timeout=10) as r:
        assert json.load(r)["saved"] == []


@pytest.mark.browser
def test_a_rebound_host_name_gets_nothing(live: LiveServer) -> None:
    """The browser resolves evil.test to 127.0.0.1 (as after DNS rebinding): the page,
    the API and the token are all refused."""
    from backchannel.web.headless import chromium_context

    rules = "--host-resolver-rules=MAP evil.test 127.0.0.1"
    with chromium_context(extra_args=(rules,), viewport={"width": 800, "height": 600}) as ctx:
        page = ctx.new_page()
        resp = page.goto(f"http://evil.test:{live.port}/")
        assert resp is not None and resp.status == 403
        assert "DNS rebinding" in page.inner_text("body")
        status = page.evaluate("fetch('/api/session').then((r) => r.status)")
        assert status == 403
