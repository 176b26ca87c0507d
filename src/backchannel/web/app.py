"""The web dashboard (FastAPI): pick a scenario, edit its actor x issue table with
validation in place, see the verdict, charts, forecasts and sweeps, save versions.

The browser holds the scenario as JSON (the pydantic model's dump); every edit is sent
back and validated by the schema (:func:`backchannel.scenario.load.scenario_from_data`);
errors come back rendered (file, place, fix) with the table cell they concern. Long runs
(forecasts, sweeps) are background jobs with progress and cancel (:mod:`.jobs`). Saved
scenarios go to the append-only SQLite store (:mod:`.store`).
"""

from __future__ import annotations

import json
import re
import traceback
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from backchannel import __version__
from backchannel.report import figures
from backchannel.report.collect import (
    round_model,
    run_analysis,
    run_forecast,
    run_outcomes,
    run_sweep,
)
from backchannel.scenario.errors import InputError, ManyErrors
from backchannel.scenario.load import (
    DEFAULT_SCENARIO,
    embedded_names,
    load_embedded,
    parse_scenario,
    scenario_from_data,
    scenario_to_yaml,
)
from backchannel.scenario.schema import Scenario
from backchannel.web.jobs import JobManager
from backchannel.web.store import Store

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_BODY = 5 * 1024 * 1024
MAX_DRAWS = 200_000
STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
_CELL_RE = re.compile(
    r"actors\[(\d+)\][^.]*\.(?:positions\.(.+?)|(no_deal))\."
    r"(position|salience|limit|capability|adjustment|trend|utility)\b"
)


# -- helpers ------------------------------------------------------------------------------
def error_list(exc: InputError, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each problem rendered, with the table cell it concerns (``actor|issue|field``)."""
    errors = exc.errors if isinstance(exc, ManyErrors) else [exc]
    out: list[dict[str, Any]] = []
    actors = (data or {}).get("actors") or []
    for e in errors:
        cell = None
        m = _CELL_RE.search(e.where or "")
        if m and int(m.group(1)) < len(actors) and isinstance(actors[int(m.group(1))], dict):
            where = m.group(2) or m.group(3)
            cell = f"{actors[int(m.group(1))].get('id')}|{where}|{m.group(4)}"
        text = e.render() if isinstance(e, InputError) else str(e)
        out.append({"text": text, "cell": cell})
    return out


def to_data(scenario: Scenario) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(scenario.model_dump_json(exclude_none=True))
    return data


def fig_json(fig: Any) -> Any:
    return json.loads(fig.to_json())


def _scenario(data: Any) -> Scenario:
    if not isinstance(data, dict):
        raise InputError(
            "the request holds no scenario", source="<dashboard>", fix="load a scenario first"
        )
    return scenario_from_data(data, "<dashboard>")


def _fail(exc: BaseException, data: Any = None, status: int = 200) -> JSONResponse:
    if isinstance(exc, InputError):
        errs = error_list(exc, data if isinstance(data, dict) else None)
    else:
        errs = [
            {
                "text": f"internal error: {type(exc).__name__}: {exc}\n"
                + traceback.format_exc(limit=4),
                "cell": None,
            }
        ]
        status = 500
    return JSONResponse({"ok": False, "errors": errs}, status_code=status)


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _static(name: str) -> str:
    return resources.files("backchannel.web").joinpath("static", name).read_text("utf-8")


# -- computations (pure: data in, JSON-able out) -------------------------------------------
def analyze_payload(sc: Scenario) -> dict[str, Any]:
    analysis, concessions = run_analysis(sc)
    out: dict[str, Any] = {
        "ok": True,
        "analysis": analysis.data,
        "analysis_missing": analysis.missing,
        "concessions": concessions.data,
        "concessions_missing": concessions.missing,
        "figures": {"positions": fig_json(figures.positions_figure(sc))},
        "names": {a.id: a.name for a in sc.actors},
        "issue_names": {i.id: i.name for i in sc.issues},
    }
    if analysis.ok and analysis.data.get("zopa"):
        out["figures"]["zopa"] = fig_json(figures.zopa_figure(sc, analysis.data))
    return out


def forecast_payload(sc: Scenario, model: str | None, seed: int) -> dict[str, Any]:
    fc = run_forecast(sc, model, seed)
    outcomes = run_outcomes(sc, seed)
    out: dict[str, Any] = {
        "missing": fc.missing,
        "outcomes": outcomes.data,
        "outcomes_missing": outcomes.missing,
    }
    if fc.ok:
        out["model"] = fc.data.model
        out["citation"] = fc.data.citation
        if fc.data.rounds is not None:
            out["figure"] = fig_json(figures.rounds_figure(sc, fc.data))
    return out


def sweep_payload(sc: Scenario, draws: int, seed: int, progress: Any) -> dict[str, Any]:
    from backchannel.report.html import sweep_figures, tornado_note

    piece = run_sweep(sc, draws, seed, progress=progress)
    if not piece.ok:
        raise InputError(piece.missing or "sweep failed", source="sweep")
    d = piece.data
    p = d.get("p_deal")
    return {
        "p_deal": p.get("estimate") if isinstance(p, dict) else None,
        "p_interval": p.get("wilson95") if isinstance(p, dict) else None,
        "draws": d.get("draws"),
        "seed": d.get("seed"),
        "notes": [*(d.get("notes") or []), *filter(None, [tornado_note(d)])],
        "figures": {k: fig_json(f) for k, f in sweep_figures(sc, d).items()},
    }


# -- the app -------------------------------------------------------------------------------
def create_app(store_path: str | Path | None = None) -> FastAPI:
    """The dashboard app, saving to the SQLite store at ``store_path`` (default location
    when None)."""
    app = FastAPI(
        title="backchannel dashboard",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    store = Store(store_path)
    jobs = JobManager()
    app.state.store = store

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Response:
        # refuse oversized bodies before they are read (uploads and scenario JSON alike)
        length = request.headers.get("content-length")
        limit = MAX_UPLOAD_BYTES + 64 * 1024 if request.url.path == "/api/upload" else MAX_BODY
        if length is not None and (not length.isdigit() or int(length) > limit):
            err = InputError(
                f"request body of {length} bytes is over the {limit:,}-byte limit",
                source=request.url.path,
                fix="upload a smaller scenario file",
            )
            return _fail(err, status=413)
        response: Response = await call_next(request)
        return response

    app.state.jobs = jobs

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return _static("dashboard.html").replace("{{version}}", __version__)

    @app.get("/static/plotly.js")
    def plotly_js() -> Response:
        return Response(
            _plotlyjs(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC:  # whitelist: no path from the request reaches the disk
            raise HTTPException(404, "no such file")
        return Response(_static(name), media_type=STATIC[name])

    @app.get("/api/scenarios")
    def scenarios() -> dict[str, Any]:
        return {
            "embedded": embedded_names(),
            "default": DEFAULT_SCENARIO,
            "saved": [
                {"name": e.name, "latest": e.latest, "saved_at": e.saved_at}
                for e in store.entries()
            ],
            "store": str(store.path),
        }

    @app.get("/api/scenario")
    def scenario(source: str, name: str, version: int | None = None) -> JSONResponse:
        try:
            if source == "embedded":
                sc = load_embedded(name)
                ver = None
            elif source == "saved":
                v = store.get(name, version)
                sc = parse_scenario(v.yaml, f"<store:{v.name} v{v.version}>")
                ver = v.version
            else:
                raise InputError(
                    f"unknown source {source!r}",
                    source="<dashboard>",
                    fix="use 'embedded' or 'saved'",
                )
        except Exception as exc:
            return _fail(exc, status=404)
        history = []
        if source == "saved":
            history = [{"version": h.version, "saved_at": h.saved_at} for h in store.history(name)]
        return JSONResponse(
            {
                "ok": True,
                "source": source,
                "name": name,
                "version": ver,
                "data": to_data(sc),
                "history": history,
            }
        )

    @app.post("/api/analyze")
    def analyze(body: dict[str, Any]) -> JSONResponse:
        data = body.get("data")
        try:
            return JSONResponse(analyze_payload(_scenario(data)))
        except Exception as exc:
            return _fail(exc, data)

    @app.post("/api/save")
    def save(body: dict[str, Any]) -> JSONResponse:
        data = body.get("data")
        try:
            sc = _scenario(data)
            v = store.save(str(body.get("name") or ""), scenario_to_yaml(sc))
        except Exception as exc:
            return _fail(exc, data)
        return JSONResponse(
            {"ok": True, "name": v.name, "version": v.version, "saved_at": v.saved_at}
        )

    @app.get("/api/yaml")
    def yaml_of(source: str, name: str, version: int | None = None) -> Response:
        try:
            if source == "saved":
                return Response(store.get(name, version).yaml, media_type="text/yaml")
            return Response(scenario_to_yaml(load_embedded(name)), media_type="text/yaml")
        except Exception as exc:
            return _fail(exc, status=404)

    @app.post("/api/export")
    def export(body: dict[str, Any]) -> Response:
        """The edited scenario as YAML, or as the self-contained HTML report."""
        data = body.get("data")
        try:
            sc = _scenario(data)
            if body.get("format") == "report":
                from backchannel.report import build_report

                html, _ = build_report(sc, model=body.get("model") or None)
                return Response(html, media_type="text/html")
            return Response(scenario_to_yaml(sc), media_type="text/yaml")
        except Exception as exc:
            return _fail(exc, data)

    @app.post("/api/upload")
    async def upload(file: UploadFile = File(...)) -> JSONResponse:  # noqa: B008
        label = PurePath(file.filename or "upload.yaml").name[:80] or "upload.yaml"
        raw = await file.read(MAX_UPLOAD_BYTES + 1)
        try:
            if len(raw) > MAX_UPLOAD_BYTES:
                raise InputError(
                    f"file is over the {MAX_UPLOAD_BYTES:,}-byte upload limit",
                    source=label,
                    fix="upload a smaller scenario file",
                )
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError(
                    "not UTF-8 text", source=label, fix="save the file as UTF-8 YAML"
                ) from None
            sc = parse_scenario(text, label)  # yaml.safe_load only
        except Exception as exc:
            return _fail(exc, status=400)
        return JSONResponse({"ok": True, "source": "upload", "name": label, "data": to_data(sc)})

    @app.post("/api/jobs")
    def start_job(body: dict[str, Any]) -> JSONResponse:
        data = body.get("data")
        kind = body.get("kind")
        try:
            sc = _scenario(data)
            seed = int(body.get("seed") or 0)
            if seed < 0:
                raise InputError(
                    "seed must be a non-negative integer", source="seed", fix="use e.g. 0"
                )
            if kind == "forecast":
                model = body.get("model") or None
                job = jobs.start("forecast", lambda p: forecast_payload(sc, model, seed))
            elif kind == "sweep":
                draws = int(body.get("draws") or 0)
                if not 1 <= draws <= MAX_DRAWS:
                    raise InputError(
                        f"draws must lie in 1-{MAX_DRAWS:,}, got {draws}",
                        source="draws",
                        fix="use e.g. 2000",
                    )
                job = jobs.start("sweep", lambda p: sweep_payload(sc, draws, seed, p))
            else:
                raise InputError(
                    f"unknown job kind {kind!r}",
                    source="<dashboard>",
                    fix="use 'forecast' or 'sweep'",
                )
        except ValueError as exc:
            return _fail(
                InputError(
                    f"not a whole number: {exc}", source="<dashboard>", fix="type digits only"
                ),
                data,
            )
        except Exception as exc:
            return _fail(exc, data)
        return JSONResponse({"ok": True, "job": job.to_dict()})

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str) -> JSONResponse:
        job = jobs.get(job_id)
        if job is None:
            return JSONResponse(
                {"ok": False, "errors": [{"text": "no such job", "cell": None}]}, status_code=404
            )
        return JSONResponse({"ok": True, "job": job.to_dict()})

    @app.post("/api/jobs/{job_id}/cancel")
    def job_cancel(job_id: str) -> JSONResponse:
        job = jobs.cancel(job_id)
        if job is None:
            return JSONResponse(
                {"ok": False, "errors": [{"text": "no such job", "cell": None}]}, status_code=404
            )
        return JSONResponse({"ok": True, "job": job.to_dict()})

    @app.get("/api/models")
    def model_list() -> dict[str, Any]:
        from backchannel.models import models

        return {
            "models": [
                {"name": n, "title": s.title, "rounds": s.has_rounds}
                for n, s in sorted(models().items())
            ],
            "default": round_model(),
        }

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        return _fail(exc)

    return app
