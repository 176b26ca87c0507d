"""The web dashboard (FastAPI): pick a scenario, edit it in a grid and a form generated
from the schema, see the verdict, charts, forecasts and sweeps, save versions.

The browser holds the scenario as JSON (the pydantic model's dump) and sends it back on
every edit. The server process only routes bytes: every request passes :mod:`.guard`
(host, origin, CSRF token, body limits), and everything that parses, validates or
computes runs in a child process (:mod:`.worker`, :mod:`.compute`) with a time limit, a
cap on how many run at once and a bounded queue. Long runs are background jobs
(:mod:`.jobs`); saved scenarios go to the append-only SQLite store (:mod:`.store`).
Limits and trusted hosts/origins come from :class:`.settings.Settings`.
"""

from __future__ import annotations

import json
import secrets
import threading
import traceback
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from backchannel import __version__
from backchannel.scenario.errors import InputError
from backchannel.web import compute, worker
from backchannel.web.guard import Guard
from backchannel.web.jobs import JobManager, TooBusy
from backchannel.web.problems import internal_error, problem_list
from backchannel.web.settings import Settings
from backchannel.web.store import Store, check_name

STATIC = {
    "dashboard.js": "text/javascript",
    "core.js": "text/javascript",
    "grid.js": "text/javascript",
    "editor.js": "text/javascript",
    "charts.js": "text/javascript",
    "dashboard.css": "text/css",
    "vendor/tabulator.min.js": "text/javascript",
    "vendor/tabulator.min.css": "text/css",
}


class Problem(Exception):
    """A refusal with its HTTP status (rendered like every other error)."""

    def __init__(self, status: int, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.status, self.text, self.code = status, text, code


class Internal(Exception):
    """A bug in a computation (its traceback is the message): logged, shown as an id."""


def problem_response(status: int, errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"ok": False, "errors": errors}, status_code=status)


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@lru_cache(maxsize=1)
def _schema() -> str:
    from backchannel.scenario.schema import Scenario

    return json.dumps(Scenario.model_json_schema())


def _static(name: str) -> bytes:
    return resources.files("backchannel.web").joinpath("static", name).read_bytes()


def create_app(store_path: str | Path | None = None, settings: Settings | None = None) -> FastAPI:
    """The dashboard app, saving to the SQLite store at ``store_path`` (default location
    when None), with ``settings`` (default: :meth:`Settings.from_env`)."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="backchannel dashboard",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    token = secrets.token_urlsafe(32)
    store = Store(store_path)
    jobs = JobManager(settings)
    app.state.store, app.state.jobs, app.state.settings = store, jobs, settings
    app.add_middleware(Guard, settings=settings, token=token)
    limiter = anyio.CapacityLimiter(settings.compute_slots)
    pending = [0]
    threading.Thread(target=worker.warm, name="forkserver-warm", daemon=True).start()

    async def computed(fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in a child process, within the caps on time and concurrency."""
        if pending[0] >= settings.compute_slots + settings.compute_queue:
            raise Problem(
                503, "the server is busy with other requests\n  fix: try again shortly", "busy"
            )
        pending[0] += 1
        try:
            run = partial(worker.run, fn, *args, timeout=settings.compute_timeout)
            return await anyio.to_thread.run_sync(run, limiter=limiter)
        except worker.Crashed as exc:
            raise Internal(str(exc)) from None
        except worker.TimedOut:
            raise Problem(
                503,
                f"the computation took longer than {settings.compute_timeout:g} s and was "
                "stopped\n  fix: try a smaller scenario, or raise BACKCHANNEL_COMPUTE_TIMEOUT",
                "timeout",
            ) from None
        finally:
            pending[0] -= 1

    def send(r: compute.Reply) -> Response:
        status, body, media = r
        return Response(body, status_code=status, media_type=media)

    async def in_thread(fn: Any, *args: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(partial(fn, *args))
        except InputError as exc:
            raise Problem(404, exc.render(), "not_found") from None

    # -- pages and files -------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        page = _static("dashboard.html").decode("utf-8")
        return page.replace("{{version}}", __version__).replace("{{token}}", token)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/plotly.js")
    def plotly_js() -> Response:
        return Response(
            _plotlyjs(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/static/{name:path}")
    def static(name: str) -> Response:
        if name not in STATIC:  # whitelist: no path from the request reaches the disk
            raise HTTPException(404, "no such file")
        return Response(_static(name), media_type=STATIC[name])

    # -- reading ---------------------------------------------------------------------------
    @app.get("/api/session")
    def session() -> dict[str, Any]:
        """The CSRF token for scripts (same-origin only: no CORS) and the server's limits."""
        s = settings
        return {
            "ok": True,
            "token": token,
            "version": __version__,
            "limits": {
                "max_draws": s.max_draws,
                "max_rounds": s.max_rounds,
                "max_upload": s.max_upload,
                "max_jobs": s.max_jobs,
            },
        }

    @app.get("/api/scenarios")
    async def scenarios() -> dict[str, Any]:
        from backchannel.scenario.load import DEFAULT_SCENARIO, embedded_names

        entries = await in_thread(store.entries)
        return {
            "ok": True,
            "embedded": embedded_names(),
            "default": DEFAULT_SCENARIO,
            "saved": [
                {"name": e.name, "latest": e.latest, "saved_at": e.saved_at} for e in entries
            ],
        }

    async def history(name: str) -> list[dict[str, Any]]:
        return [
            {"version": h.version, "saved_at": h.saved_at}
            for h in await in_thread(store.history, name)
        ]

    @app.get("/api/scenario")
    async def scenario(source: str, name: str, version: int | None = None) -> Response:
        if source == "embedded":
            return send(await computed(compute.scenario_reply, source, name, None, {}, settings))
        if source != "saved":
            raise Problem(404, f"unknown source {source[:20]!r}\n  fix: use 'embedded' or 'saved'")
        v = await in_thread(store.get, name, version)
        extra = {"version": v.version, "history": await history(v.name)}
        return send(await computed(compute.scenario_reply, source, v.name, v.yaml, extra, settings))

    @app.get("/api/history")
    async def history_of(name: str) -> dict[str, Any]:
        return {"ok": True, "name": check_name(name), "history": await history(name)}

    @app.get("/api/yaml")
    async def yaml_of(source: str, name: str, version: int | None = None) -> Response:
        if source == "saved":
            v = await in_thread(store.get, name, version)
            return Response(v.yaml, media_type="text/yaml; charset=utf-8")
        from backchannel.scenario.load import load_embedded, scenario_to_yaml

        text = await in_thread(lambda: scenario_to_yaml(load_embedded(name)))
        return Response(text, media_type="text/yaml; charset=utf-8")

    @app.get("/api/schema")
    def schema() -> Response:
        return Response(_schema(), media_type="application/json")

    @app.get("/api/models")
    def model_list() -> dict[str, Any]:
        from backchannel.report.collect import round_model

        return {
            "ok": True,
            "models": [
                {"name": n, "title": s.title, "rounds": s.rounds_param is not None}
                for n, s in sorted(compute.dashboard_models().items())
            ],
            "default": round_model(),
        }

    # -- computing and saving ---------------------------------------------------------------
    @app.post("/api/analyze")
    async def analyze(request: Request) -> Response:
        return send(await computed(compute.analyze, await request.body(), settings))

    @app.post("/api/what-it-takes")
    async def takes(request: Request) -> Response:
        return send(await computed(compute.what_it_takes, await request.body(), settings))

    @app.post("/api/export")
    async def export(request: Request) -> Response:
        return send(await computed(compute.export, await request.body(), settings))

    @app.post("/api/save")
    async def save(request: Request) -> Response:
        checked = await computed(compute.for_save, await request.body(), settings)
        if not isinstance(checked[0], str):
            return send(checked)
        v = await anyio.to_thread.run_sync(store.append, *checked)
        return JSONResponse(
            {
                "ok": True,
                "name": v.name,
                "version": v.version,
                "saved_at": v.saved_at,
                "history": await history(v.name),
            }
        )

    @app.post("/api/upload")
    async def upload(request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=1, max_part_size=settings.max_upload)
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise Problem(400, "no file in the upload\n  fix: send the file as the 'file' field")
        label = PurePath(file.filename or "upload.yaml").name[:80] or "upload.yaml"
        raw = await file.read(settings.max_upload + 1)
        return send(await computed(compute.upload, raw, label, settings))

    @app.post("/api/jobs")
    async def start_job(request: Request) -> Response:
        body = await request.body()
        params = await computed(compute.job_params, body, settings)
        if not isinstance(params, dict):
            return send(params)
        try:
            job = jobs.submit(params["kind"], body, params)
        except TooBusy as exc:
            raise Problem(429, str(exc), "busy") from None
        return JSONResponse({"ok": True, "job": job.to_dict()})

    def job_or_404(job_id: str) -> Any:
        job = jobs.get(job_id)
        if job is None:
            raise Problem(404, "no such job (finished jobs are kept for a while only)")
        return job

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str) -> Response:
        job = job_or_404(job_id)
        result = job.result if job.state == "done" and job.result is not None else "null"
        body = '{"ok":true,"job":' + json.dumps(job.to_dict()) + ',"result":' + result + "}"
        return Response(body, media_type="application/json")

    @app.post("/api/jobs/{job_id}/cancel")
    def job_cancel(job_id: str) -> dict[str, Any]:
        jobs.cancel(job_id)
        return {"ok": True, "job": job_or_404(job_id).to_dict()}

    # -- errors: 4xx with a clear message, internal errors as an id ---------------------------
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, [{"text": exc.text, "cell": None, "path": None, "code": exc.code}]
        )

    @app.exception_handler(InputError)
    async def on_input(request: Request, exc: InputError) -> JSONResponse:
        return problem_response(400, problem_list(exc, None, settings.max_errors))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        text = {404: "no such page or file", 405: "this address does not take that method"}
        return problem_response(
            exc.status_code,
            [{"text": text.get(exc.status_code, str(exc.detail)), "cell": None, "path": None}],
        )

    @app.exception_handler(RequestValidationError)
    async def on_params(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors()[: settings.max_errors]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path"))
            errors.append({"text": f"{where}: {e.get('msg')}", "cell": None, "path": None})
        return problem_response(400, errors)

    @app.exception_handler(Internal)
    async def on_internal(request: Request, exc: Internal) -> JSONResponse:
        return problem_response(500, [internal_error(str(exc), request.url.path)])

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        detail = "".join(traceback.format_exception(exc))
        return problem_response(500, [internal_error(detail, request.url.path)])

    return app
