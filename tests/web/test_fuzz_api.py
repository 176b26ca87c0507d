"""Property-based fuzzing of every API endpoint: whatever a client sends, the answer is a
JSON 2xx or 4xx with readable problems, never a 5xx, a traceback or a path of the
machine. ``make fuzz`` runs many more examples (``BACKCHANNEL_FUZZ_EXAMPLES``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import FUZZ_EXAMPLES, api_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.scenario.load import load_embedded
from backchannel.web.settings import Settings

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
DATA: dict[str, Any] = json.loads(load_embedded().model_dump_json(exclude_none=True))

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["<script>x</script>", "../../etc/passwd", "1e400", "9" * 50, "", "NaN"]),
)
JSON = st.recursive(
    JSON_LEAF,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> Any:
    """The 2019 case with one value somewhere replaced by anything."""
    data = json.loads(json.dumps(DATA))
    path: list[Any] = []
    cur: Any = data
    for _ in range(draw(st.integers(0, 6))):
        if isinstance(cur, dict) and cur:
            key = draw(st.sampled_from(sorted(cur)))
        elif isinstance(cur, list) and cur:
            key = draw(st.integers(0, len(cur) - 1))
        else:
            break
        path.append(key)
        cur = cur[key]
    if not path:
        return draw(JSON)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = draw(JSON)
    return data


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store: Path = tmp_path_factory.mktemp("fuzz") / "store.sqlite"
    return api_client(store, Settings(max_draws=500, max_rounds=5, job_timeout=20))


def check(r: Any, root: str = "") -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    if r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        text = json.dumps(body)
        assert "Traceback" not in text and "/work/" not in text and "/home/" not in text
        if r.status_code >= 400:
            assert body["ok"] is False and body["errors"] and body["errors"][0]["text"]


@FUZZ
@given(data=mutated_scenario())
def test_analysis_and_what_it_takes_answer_any_scenario(fuzz_client: TestClient, data: Any) -> None:
    for path in ("/api/analyze", "/api/what-it-takes"):
        check(fuzz_client.post(path, json={"data": data}))


@FUZZ
@given(
    name=st.one_of(st.text(max_size=70), st.sampled_from(["ok name", "../x", "a" * 65, ""])),
    data=st.one_of(mutated_scenario(), JSON),
)
def test_save_answers_anything(fuzz_client: TestClient, name: str, data: Any) -> None:
    check(fuzz_client.post("/api/save", json={"name": name, "data": data}))


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(["kind", "data", "model", "draws", "seed", "rounds", "other"]),
        JSON,
        max_size=6,
    ),
    kind=st.sampled_from(["forecast", "sweep", None]),
)
def test_jobs_answer_any_parameters(fuzz_client: TestClient, body: dict, kind: Any) -> None:
    body = {**body, "data": body.get("data", DATA)}
    if kind is not None:
        body["kind"] = kind
    r = fuzz_client.post("/api/jobs", json=body)
    check(r)
    if r.status_code == 200:
        job = r.json()["job"]
        fuzz_client.post(f"/api/jobs/{job['id']}/cancel")
        check(fuzz_client.get(f"/api/jobs/{job['id']}"))


@FUZZ
@given(
    raw=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded"]
    ),
)
def test_any_body_to_any_endpoint(fuzz_client: TestClient, raw: bytes, content_type: str) -> None:
    for path in ("/api/analyze", "/api/what-it-takes", "/api/save", "/api/export", "/api/jobs"):
        check(fuzz_client.post(path, content=raw, headers={"content-type": content_type}))


@FUZZ
@given(
    name=st.text(max_size=40),
    source=st.sampled_from(["embedded", "saved", "file", ""]),
    version=st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 10**12).map(str)),
)
def test_reading_answers_any_query(
    fuzz_client: TestClient, name: str, source: str, version: Any
) -> None:
    params = {"source": source, "name": name}
    if version is not None:
        params["version"] = version
    for path in ("/api/scenario", "/api/yaml"):
        check(fuzz_client.get(path, params=params))
    check(fuzz_client.get("/api/history", params={"name": name}))
    check(fuzz_client.get("/api/jobs/" + quote(name[:20] or "x", safe="")))


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=2000).map(str.encode),
        mutated_scenario().map(lambda d: json.dumps(d).encode()),
    ),
    filename=st.text(max_size=40),
)
def test_upload_answers_any_file(fuzz_client: TestClient, content: bytes, filename: str) -> None:
    check(fuzz_client.post("/api/upload", files={"file": (filename or "f", content)}))


@FUZZ
@given(data=mutated_scenario(), fmt=st.one_of(st.none(), st.text(max_size=8)), model=JSON)
def test_export_answers_anything(fuzz_client: TestClient, data: Any, fmt: Any, model: Any) -> None:
    check(
        fuzz_client.post(
            "/api/export", json={"data": data, "format": fmt or "yaml", "model": model}
        )
    )
