"""`backchannel serve` starts the dashboard on 127.0.0.1 with the given store."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_binds_localhost_and_uses_the_store(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "store.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "backchannel.cli.app", "serve", "--port", str(port),
         "--store", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/scenarios", timeout=2
                ) as r:
                    body = json.load(r)
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, proc.stderr.read() if proc.poll() is not None else "timeout"
        assert "iran_us_2019" in body["embedded"] and "store" not in body  # no path leaks
        assert store.exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_a_folder_as_store(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", "serve", "--store", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2 and "is a folder" in " ".join(res.stderr.split())


def test_allowed_hosts_and_origins_from_the_command_line() -> None:
    from backchannel.cli.web_cmds import _settings

    s = _settings(["Team.Example.org", "10.0.0.5"], ["https://team.example.org/"])
    assert s.host_allowed("team.example.org") and s.host_allowed("10.0.0.5")
    assert s.host_allowed("127.0.0.1") and not s.host_allowed("evil.example")
    assert "https://team.example.org" in s.allowed_origins


def test_malformed_hosts_and_origins_are_usage_errors(tmp_path: Path) -> None:
    for args in (["--allow-host", "http://x.org"], ["--allow-origin", "team.example.org"],
                 ["--allow-origin", "https://x.org/path"]):  # fmt: skip
        res = subprocess.run(
            [sys.executable, "-m", "backchannel.cli.app", "serve",
             "--store", str(tmp_path / "s.sqlite"), *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        text = " ".join(res.stderr.split())
        assert res.returncode == 2 and "fix:" in text and args[0] in text, text
