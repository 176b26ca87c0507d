"""The dashboard's HTTP API without a browser: validation, saving, uploads, jobs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backchannel.scenario.load import load_embedded
from backchannel.web.app import MAX_UPLOAD_BYTES, create_app, error_list
from backchannel.web.jobs import JobManager


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(tmp_path / "store.sqlite"))


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    d: dict[str, Any] = json.loads(load_embedded().model_dump_json(exclude_none=True))
    return d


def test_index_and_assets_are_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/plotly.js" in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")
    assert client.get("/static/plotly.js").text.startswith("/**")
    for bad in ("../app.py", "..%2Fapp.py", "store.py", "dashboard.html/../app.py"):
        assert client.get(f"/static/{bad}").status_code == 404


def test_analyze_reports_errors_at_their_cells(client: TestClient, data: dict) -> None:
    bad = json.loads(json.dumps(data))
    bad["actors"][0]["positions"]["nuclear"]["limit"]["value"] = "abc"
    bad["actors"][0]["positions"]["missiles"]["salience"]["value"] = 150
    bad["actors"][0]["no_deal"]["trend"] = {"value": "x"}
    r = client.post("/api/analyze", json={"data": bad}).json()
    assert r["ok"] is False
    cells = {e["cell"] for e in r["errors"]}
    assert {"usa|nuclear|limit", "usa|missiles|salience", "usa|no_deal|trend"} <= cells
    assert all(e["text"].startswith("<dashboard>") for e in r["errors"])


def test_analyze_valid_returns_verdict_and_figures(client: TestClient, data: dict) -> None:
    r = client.post("/api/analyze", json={"data": data}).json()
    assert r["ok"] is True
    assert "positions" in r["figures"]
    if r["analysis"] is not None:
        assert r["analysis"]["deal_possible"] is False
        assert "zopa" in r["figures"]


def test_save_keeps_history_and_rejects_invalid(client: TestClient, data: dict) -> None:
    assert client.post("/api/save", json={"name": "case", "data": data}).json()["version"] == 1
    changed = json.loads(json.dumps(data))
    changed["actors"][0]["positions"]["nuclear"]["limit"]["value"] = 55
    assert client.post("/api/save", json={"name": "case", "data": changed}).json()["version"] == 2
    bad = json.loads(json.dumps(changed))
    bad["actors"][0]["positions"]["nuclear"]["salience"]["value"] = -3
    r = client.post("/api/save", json={"name": "case", "data": bad}).json()
    assert r["ok"] is False and "salience" in r["errors"][0]["text"]
    r = client.post("/api/save", json={"name": "../../etc/x", "data": data}).json()
    assert r["ok"] is False and "invalid scenario name" in r["errors"][0]["text"]
    latest = client.get("/api/scenario", params={"source": "saved", "name": "case"}).json()
    assert latest["version"] == 2 and [h["version"] for h in latest["history"]] == [1, 2]
    assert latest["data"]["actors"][0]["positions"]["nuclear"]["limit"]["value"] == 55
    first = client.get(
        "/api/scenario", params={"source": "saved", "name": "case", "version": 1}
    ).json()
    assert first["data"]["actors"][0]["positions"]["nuclear"]["limit"]["value"] == 5


def test_upload_is_size_limited_and_safe(client: TestClient) -> None:
    big = b"name: x\n" + b"#" * (MAX_UPLOAD_BYTES + 10)
    r = client.post("/api/upload", files={"file": ("big.yaml", big)})
    assert r.status_code == 400 and "limit" in r.json()["errors"][0]["text"]
    evil = b"name: !!python/object/apply:os.system ['echo pwned']\n"
    r = client.post("/api/upload", files={"file": ("../../evil.yaml", evil)})
    assert r.status_code == 400
    text = r.json()["errors"][0]["text"]
    assert text.startswith("evil.yaml") and "pwned" not in text.split(":")[0]
    good = (
        Path(__file__).resolve().parents[2]
        / "src"
        / "backchannel"
        / "scenario"
        / "embedded"
        / "iran_us_2019.yaml"
    ).read_bytes()
    r = client.post("/api/upload", files={"file": ("iran.yaml", good)})
    assert r.status_code == 200 and r.json()["data"]["actors"][0]["id"] == "usa"


def test_unknown_sources_and_models_are_reported(client: TestClient) -> None:
    r = client.get("/api/scenario", params={"source": "saved", "name": "nothing"})
    assert r.status_code == 404 and "no saved scenario" in r.json()["errors"][0]["text"]
    r = client.get("/api/scenario", params={"source": "file", "name": "/etc/passwd"})
    assert r.status_code == 404 and r.json()["ok"] is False


def _wait(client: TestClient, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()["job"]
        if job["state"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_forecast_job_and_bad_job_input(client: TestClient, data: dict) -> None:
    r = client.post("/api/jobs", json={"kind": "forecast", "data": data, "seed": 0}).json()
    job = _wait(client, r["job"]["id"])
    assert job["state"] == "done" and "compromise" in job["result"]["outcomes"]["outcomes"]
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": 0}).json()
    assert r["ok"] is False and "draws" in r["errors"][0]["text"]
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": "ten"}).json()
    assert r["ok"] is False


def test_jobs_report_progress_and_cancel() -> None:
    jobs = JobManager()

    def slow(progress: Any) -> str:
        for i in range(200):
            progress(i / 200, "working")
            time.sleep(0.01)
        return "finished"

    job = jobs.start("sweep", slow)
    while job.progress == 0.0:
        time.sleep(0.01)
    assert job.state == "running" and job.phase == "working"
    jobs.cancel(job.id)
    end = time.monotonic() + 5
    while job.state == "running" and time.monotonic() < end:
        time.sleep(0.01)
    assert job.state == "cancelled" and job.result is None


def test_job_errors_are_shown_not_swallowed() -> None:
    jobs = JobManager()

    def broken(progress: Any) -> None:
        raise ZeroDivisionError("boom")

    job = jobs.start("forecast", broken)
    end = time.monotonic() + 5
    while job.state == "running" and time.monotonic() < end:
        time.sleep(0.01)
    assert job.state == "error" and "ZeroDivisionError: boom" in (job.error or "")


def test_error_list_maps_cells() -> None:
    from backchannel.scenario.errors import InputError

    e = InputError(
        "bad", source="<dashboard>", where="actors[0] (id: usa).positions.nuclear.limit.value"
    )
    assert error_list(e, {"actors": [{"id": "usa"}]})[0]["cell"] == "usa|nuclear|limit"
    assert error_list(InputError("x"), {})[0]["cell"] is None


def test_real_sweep_reports_progress_and_can_be_cancelled(client: TestClient, data: dict) -> None:
    r = client.post(
        "/api/jobs", json={"kind": "sweep", "data": data, "draws": 200_000, "seed": 1}
    ).json()
    assert r["ok"], r
    job_id = r["job"]["id"]
    end = time.monotonic() + 30
    job = r["job"]
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()["job"]
        if job["state"] != "running" or job["progress"] > 0:
            break
        time.sleep(0.02)
    assert job["state"] == "running" and "draws" in job["phase"]
    client.post(f"/api/jobs/{job_id}/cancel")
    job = _wait(client, job_id)
    assert job["state"] == "cancelled" and job["result"] is None


def test_small_sweep_job_returns_p_deal(client: TestClient, data: dict) -> None:
    r = client.post("/api/jobs", json={"kind": "sweep", "data": data, "draws": 200}).json()
    job = _wait(client, r["job"]["id"], timeout=60)
    assert job["state"] == "done", job["error"]
    assert 0.0 <= job["result"]["p_deal"] <= 1.0 and job["result"]["draws"] == 200
    assert "dist" in job["result"]["figures"]


def test_export_yaml_and_report(client: TestClient, data: dict) -> None:
    import yaml

    r = client.post("/api/export", json={"data": data, "format": "yaml"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/yaml")
    assert yaml.safe_load(r.text)["actors"][0]["id"] == "usa"
    r = client.post("/api/export", json={"data": data, "format": "report"})
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
    assert "Can a deal happen?" in r.text
    bad = json.loads(json.dumps(data))
    bad["issues"] = []
    r = client.post("/api/export", json={"data": bad, "format": "yaml"})
    assert r.json()["ok"] is False


def test_oversized_bodies_are_refused_before_reading(client: TestClient) -> None:
    r = client.post(
        "/api/analyze",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(10**9)},
    )
    assert r.status_code == 413 and "limit" in r.json()["errors"][0]["text"]
