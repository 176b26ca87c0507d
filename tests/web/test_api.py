"""The dashboard's HTTP API without a browser: validation, saving, uploads, jobs, limits."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backchannel.scenario.errors import InputError, ManyErrors
from backchannel.web import app as app_module
from backchannel.web import worker
from backchannel.web.problems import cell_of, problem_list, where_to_path
from backchannel.web.settings import Settings

EMBEDDED = Path(__file__).resolve().parents[2] / "src" / "backchannel" / "scenario" / "embedded"


def copy(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(d))
    return out


def test_index_and_assets_are_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/plotly.js" in page.text
    head = page.text.split("<body>")[0]
    assert "http" not in head.replace("http-equiv", "")
    token = client.headers["X-Backchannel-Token"]
    assert f'content="{token}"' in head  # the page carries the CSRF token
    assert client.get("/static/plotly.js").text.startswith("/**")
    assert client.get("/static/vendor/tabulator.min.js").text.startswith("/* Tabulator v6")
    for name in ("dashboard.js", "core.js", "grid.js", "editor.js", "charts.js"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    for bad in (
        "../app.py",
        "..%2Fapp.py",
        "store.py",
        "dashboard.html/../app.py",
        "vendor/../app.py",
    ):
        assert client.get(f"/static/{bad}").status_code == 404
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/api/scenarios").headers["cache-control"] == "no-store"


def test_analyze_reports_errors_at_their_places(client: TestClient, data: dict) -> None:
    bad = copy(data)
    bad["actors"][0]["positions"]["nuclear"]["limit"]["value"] = "abc"
    bad["actors"][0]["positions"]["missiles"]["salience"]["value"] = 150
    bad["actors"][0]["no_deal"]["trend"] = {"value": "x"}
    r = client.post("/api/analyze", json={"data": bad})
    assert r.status_code == 422
    errors = r.json()["errors"]
    cells = {e["cell"] for e in errors}
    assert {"usa|nuclear|limit", "usa|missiles|salience", "usa|no_deal|trend"} <= cells
    paths = [e["path"] for e in errors]
    assert ["actors", 0, "positions", "nuclear", "limit", "value"] in paths
    assert all(e["text"].startswith("<dashboard>") for e in errors)


def test_analyze_valid_returns_verdict(client: TestClient, data: dict) -> None:
    r = client.post("/api/analyze", json={"data": data}).json()
    assert r["ok"] is True and r["analysis"]["deal_possible"] is False
    assert r["analysis"]["verdict"] and r["analysis"]["zopa"]
    assert r["no_veto"] is False and "usa" in r["veto"] and "oman" not in r["veto"]


def test_a_scenario_without_veto_players_says_so(client: TestClient, data: dict) -> None:
    d = copy(data)
    for a in d["actors"]:
        if a["kind"] in ("state", "faction"):
            a["veto"] = False
    r = client.post("/api/analyze", json={"data": d}).json()
    assert r["ok"] and r["no_veto"] is True and r["veto"] == []
    assert r["analysis"] is None and "veto" in r["analysis_missing"]


def test_save_keeps_history_and_rejects_invalid(client: TestClient, data: dict) -> None:
    r = client.post("/api/save", json={"name": "case", "data": data}).json()
    assert r["version"] == 1 and [h["version"] for h in r["history"]] == [1]
    changed = copy(data)
    changed["actors"][0]["positions"]["nuclear"]["limit"]["value"] = 55
    r = client.post("/api/save", json={"name": "case", "data": changed}).json()
    assert r["version"] == 2 and [h["version"] for h in r["history"]] == [1, 2]
    bad = copy(changed)
    bad["actors"][0]["positions"]["nuclear"]["salience"]["value"] = -3
    r = client.post("/api/save", json={"name": "case", "data": bad})
    assert r.status_code == 422 and "salience" in r.json()["errors"][0]["text"]
    r = client.post("/api/save", json={"name": "../../etc/x", "data": data})
    assert r.status_code == 422 and "invalid scenario name" in r.json()["errors"][0]["text"]
    latest = client.get("/api/scenario", params={"source": "saved", "name": "case"}).json()
    assert latest["version"] == 2 and [h["version"] for h in latest["history"]] == [1, 2]
    assert latest["data"]["actors"][0]["positions"]["nuclear"]["limit"]["value"] == 55
    first = client.get("/api/scenario", params={"source": "saved", "name": "case", "version": 1})
    assert first.json()["data"]["actors"][0]["positions"]["nuclear"]["limit"]["value"] == 5
    assert client.get("/api/history", params={"name": "case"}).json()["history"][-1]["version"] == 2


def test_no_path_of_the_machine_reaches_the_page(client: TestClient, tmp_path: Path) -> None:
    listing = client.get("/api/scenarios")
    assert listing.status_code == 200 and "store" not in listing.json()
    assert str(tmp_path) not in listing.text and "/home" not in listing.text
    r = client.get("/api/scenario", params={"source": "saved", "name": "nothing"})
    assert r.status_code == 404 and str(tmp_path) not in r.text


def test_upload_is_size_limited_and_safe(client: TestClient) -> None:
    big = b"name: x\n" + b"#" * (Settings().max_upload + 10)
    r = client.post("/api/upload", files={"file": ("big.yaml", big)})
    assert r.status_code == 400 and "limit" in r.json()["errors"][0]["text"]
    evil = b"name: !!python/object/apply:os.system ['echo pwned']\n"
    r = client.post("/api/upload", files={"file": ("../../evil.yaml", evil)})
    assert r.status_code == 422
    assert r.json()["errors"][0]["text"].startswith("evil.yaml")
    long_int = b"name: x\nissues: []\nactors: []\ndate: " + b"9" * 5000 + b"\n"
    r = client.post("/api/upload", files={"file": ("long.yaml", long_int)})
    assert r.status_code == 422 and "digits" in r.json()["errors"][0]["text"]
    deep = b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    r = client.post("/api/upload", files={"file": ("deep.yaml", deep)})
    assert r.status_code == 422 and "nested too deeply" in r.json()["errors"][0]["text"]
    good = (EMBEDDED / "iran_us_2019.yaml").read_bytes()
    r = client.post("/api/upload", files={"file": ("iran.yaml", good)})
    assert r.status_code == 200 and r.json()["data"]["actors"][0]["id"] == "usa"
    r = client.post("/api/upload", data={"x": "1"})
    assert r.status_code == 400 and "no file" in r.json()["errors"][0]["text"]


def test_unknown_sources_names_and_versions_are_4xx(client: TestClient) -> None:
    r = client.get("/api/scenario", params={"source": "saved", "name": "nothing"})
    assert r.status_code == 404 and "no saved scenario" in r.json()["errors"][0]["text"]
    r = client.get("/api/scenario", params={"source": "file", "name": "/etc/passwd"})
    assert r.status_code == 404 and r.json()["ok"] is False
    r = client.get("/api/scenario", params={"source": "embedded", "name": "nope"})
    assert r.status_code == 422 and "no embedded scenario" in r.json()["errors"][0]["text"]
    r = client.get("/api/scenario", params={"source": "saved", "name": "x", "version": "abc"})
    assert r.status_code == 400 and "version" in r.json()["errors"][0]["text"]
    assert client.get("/api/nothing").status_code == 404
    assert client.put("/api/save").status_code == 405


def _wait(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if r["job"]["state"] not in ("queued", "running"):
            return r
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_forecast_job_with_rounds(client: TestClient, data: dict) -> None:
    r = client.post(
        "/api/jobs", json={"kind": "forecast", "data": data, "model": "eum", "rounds": 3}
    )
    done = _wait(client, r.json()["job"]["id"])
    assert done["job"]["state"] == "done", done["job"]["error"]
    assert (
        done["result"]["model"] == "eum" and "compromise" in done["result"]["outcomes"]["outcomes"]
    )
    rounds = done["result"]["figure"]["data"][0]["x"]
    assert max(rounds) <= 3  # the rounds asked for, no more


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        ({"kind": "sweep", "draws": 0}, "draws: must lie in 1-200,000"),
        ({"kind": "sweep", "draws": "ten"}, "draws: must be a whole number, got 'ten'"),
        ({"kind": "sweep", "draws": 10**9}, "the server's limit"),
        ({"kind": "sweep", "draws": 1.5}, "whole number"),
        ({"kind": "sweep", "seed": [1]}, "seed: must be a whole number, got a list"),
        ({"kind": "sweep", "seed": -1}, "seed: must lie in"),
        ({"kind": "forecast", "model": "nope"}, "unknown model 'nope'"),
        ({"kind": "forecast", "model": "compromise", "rounds": 5}, "has no rounds"),
        ({"kind": "forecast", "model": "eum", "rounds": 10**6}, "rounds: must lie in"),
        ({"kind": "dance"}, "unknown job kind"),
        ({"kind": "sweep", "colour": "red"}, "unknown request field"),
    ],
)
def test_bad_job_requests_are_refused_at_submission(
    client: TestClient, data: dict, body: dict, expect: str
) -> None:
    r = client.post("/api/jobs", json={"data": data, **body})
    assert r.status_code == 400, r.text
    assert expect in r.json()["errors"][0]["text"]


def test_out_of_range_json_numbers_are_refused(client: TestClient, data: dict) -> None:
    body = json.dumps({"kind": "sweep", "data": data})[:-1] + ', "draws": 1e400}'
    r = client.post("/api/jobs", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "whole number" in r.json()["errors"][0]["text"]
    r = client.post(
        "/api/analyze", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "nested too deeply" in r.json()["errors"][0]["text"]
    r = client.post("/api/analyze", content=b'{"data": ' + b"9" * 5000 + b"}")
    assert r.status_code == 400 and "not valid JSON" in r.json()["errors"][0]["text"]


def test_job_caps_queue_and_refuse(make_client: Any, data: dict) -> None:
    client = make_client(Settings(max_jobs=1, max_queued_jobs=1))
    sweep = {"kind": "sweep", "data": data, "draws": 200_000}
    first = client.post("/api/jobs", json=sweep).json()["job"]
    second = client.post("/api/jobs", json=sweep).json()["job"]
    assert first["state"] == "running" and second["state"] == "queued"
    r = client.post("/api/jobs", json=sweep)
    assert r.status_code == 429 and "too many jobs" in r.json()["errors"][0]["text"]
    assert client.post(f"/api/jobs/{second['id']}/cancel").json()["job"]["state"] == "cancelled"
    client.post(f"/api/jobs/{first['id']}/cancel")
    assert _wait(client, first["id"])["job"]["state"] == "cancelled"
    assert client.post("/api/jobs", json={**sweep, "draws": 100}).status_code == 200


def test_a_job_over_its_time_is_stopped(make_client: Any, data: dict) -> None:
    client = make_client(Settings(job_timeout=1.0))
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": 200_000}).json()
    job = _wait(client, r["job"]["id"])["job"]
    assert job["state"] == "error" and "stopped after 1 s" in job["error"]


def test_real_sweep_reports_progress_and_can_be_cancelled(client: TestClient, data: dict) -> None:
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": 200_000, "seed": 1})
    job_id = r.json()["job"]["id"]
    end = time.monotonic() + 60
    job = r.json()["job"]
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()["job"]
        if job["state"] != "running" or job["progress"] > 0:
            break
        time.sleep(0.02)
    assert job["state"] == "running" and "evaluations" in job["phase"]
    client.post(f"/api/jobs/{job_id}/cancel")
    done = _wait(client, job_id)
    assert done["job"]["state"] == "cancelled" and done["result"] is None


def test_small_sweep_job_returns_p_deal(client: TestClient, data: dict) -> None:
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": "200"}).json()
    done = _wait(client, r["job"]["id"])
    assert done["job"]["state"] == "done", done["job"]["error"]
    assert 0.0 <= done["result"]["p_deal"] <= 1.0 and done["result"]["draws"] == 200
    assert "dist" in done["result"]["figures"]
    assert client.get("/api/jobs/nope").status_code == 404


def test_export_yaml_and_report(client: TestClient, data: dict) -> None:
    import yaml

    r = client.post("/api/export", json={"data": data, "format": "yaml"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/yaml")
    assert yaml.safe_load(r.text)["actors"][0]["id"] == "usa"
    r = client.post("/api/export", json={"data": data, "format": "report"})
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
    bad = copy(data)
    bad["issues"] = []
    assert client.post("/api/export", json={"data": bad, "format": "yaml"}).status_code == 422
    assert client.post("/api/export", json={"data": data, "format": "pdf"}).status_code == 400


def test_schema_is_the_published_one(client: TestClient) -> None:
    from backchannel.scenario.schema import Scenario

    assert client.get("/api/schema").json() == Scenario.model_json_schema()


def test_internal_errors_are_logged_with_an_id_and_shown_as_it(
    client: TestClient, data: dict, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def crash(*args: Any, **kw: Any) -> Any:
        raise worker.Crashed('Traceback (most recent call last):\n  File "/srv/secret/x.py"\nBoom')

    monkeypatch.setattr(app_module.worker, "run", crash)
    with caplog.at_level(logging.ERROR, logger="backchannel.web"):
        r = client.post("/api/analyze", json={"data": data})
    assert r.status_code == 500
    err = r.json()["errors"][0]
    assert err["code"] == "internal" and err["id"] in err["text"]
    assert "/srv" not in r.text and "Traceback" not in r.text and "Boom" not in r.text
    assert err["id"] in caplog.text and "/srv/secret/x.py" in caplog.text


def test_a_computation_over_its_time_is_stopped(make_client: Any, data: dict) -> None:
    client = make_client(Settings(compute_timeout=0.001))
    r = client.post("/api/analyze", json={"data": data})
    assert r.status_code == 503 and "longer than" in r.json()["errors"][0]["text"]


def test_settings_come_from_the_environment() -> None:
    env = {"BACKCHANNEL_MAX_DRAWS": "5000", "BACKCHANNEL_ALLOWED_HOSTS": "Team.Example.org, x"}
    s = Settings.from_env(env)
    assert s.max_draws == 5000 and s.allowed_hosts == ("team.example.org", "x")
    with pytest.raises(InputError, match="BACKCHANNEL_MAX_JOBS"):
        Settings.from_env({"BACKCHANNEL_MAX_JOBS": "many"})
    with pytest.raises(InputError, match="positive"):
        Settings.from_env({"BACKCHANNEL_COMPUTE_TIMEOUT": "-1"})


def test_where_maps_to_paths_and_cells() -> None:
    data = {"actors": [{"id": "usa", "positions": {"a.b": {"limit": {"value": 1}}}}]}
    where = "line 3, actors[0] (id: usa).positions.a.b.limit.value"
    path = where_to_path(where, data)
    assert path == ["actors", 0, "positions", "a.b", "limit", "value"]
    assert cell_of(path, data) == "usa|a.b|limit"
    assert where_to_path("actors[0] (id: usa).no_deal.trend", data) == [
        "actors",
        0,
        "no_deal",
        "trend",
    ]
    assert cell_of(["actors", 0, "no_deal", "trend"], data) == "usa|no_deal|trend"
    assert where_to_path("top level", data) == []
    assert where_to_path("line 4", data) is None
    assert where_to_path(None, data) is None


def test_problem_lists_are_capped() -> None:
    many = ManyErrors([InputError(f"bad {i}", where=f"k{i}") for i in range(500)])
    out = problem_list(many, {}, limit=50)
    assert len(out) == 51 and "450 more problems" in out[-1]["text"]
