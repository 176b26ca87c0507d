"""What the dashboard computes, as functions of request bytes that run in a child process
(:mod:`.worker`): parse and check the request, validate the scenario with the same schema
and loader as the CLI, compute, and return the HTTP answer as ``(status, body, type)``.

Input errors become 4xx answers listing each problem with its place (:mod:`.problems`);
anything else is a bug, which the worker reports to the server as a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from backchannel import api
from backchannel.report import figures
from backchannel.report.collect import round_model, run_outcomes, run_sweep
from backchannel.report.html import sweep_figures, tornado_note
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import (
    load_embedded,
    parse_scenario,
    scenario_from_data,
    scenario_to_yaml,
)
from backchannel.scenario.schema import Scenario
from backchannel.web.problems import problem_list
from backchannel.web.settings import Settings

Reply = tuple[int, bytes, str]
JSON = "application/json"


class BadRequest(InputError):
    """A malformed request (not the scenario's fault): HTTP 400."""


def reply(status: int, payload: Any) -> Reply:
    return status, json.dumps(payload, separators=(",", ":"), allow_nan=False).encode(), JSON


def refuse(exc: InputError, data: Any, settings: Settings) -> Reply:
    status = 400 if isinstance(exc, BadRequest) else 422
    return reply(status, {"ok": False, "errors": problem_list(exc, data, settings.max_errors)})


T = TypeVar("T")


def handle(
    body: bytes, fields: set[str], settings: Settings, fn: Callable[[dict[str, Any]], T]
) -> T | Reply:
    """``fn(request)`` on the checked JSON request, or the answer refusing it (with the
    problems placed in the request's scenario)."""
    req: dict[str, Any] = {}
    try:
        req.update(request(body, fields))
        return fn(req)
    except InputError as exc:
        return refuse(exc, req.get("data"), settings)


# -- requests ------------------------------------------------------------------------------
def request(body: bytes, allowed: set[str]) -> dict[str, Any]:
    """The JSON object of a request body, with only the ``allowed`` keys."""
    try:
        obj = json.loads(body)
    except RecursionError:
        raise BadRequest("the request is nested too deeply", source="request") from None
    except ValueError as exc:  # not JSON, not UTF-8, a number too long to read
        raise BadRequest(
            f"the request body is not valid JSON ({str(exc)[:120]})",
            source="request",
            fix="send a JSON object",
        ) from None
    if not isinstance(obj, dict):
        raise BadRequest("the request body must be a JSON object", source="request")
    unknown = sorted(str(k)[:40] for k in obj if k not in allowed)
    if unknown:
        raise BadRequest(
            f"unknown request field(s) {unknown}",
            source="request",
            fix=f"use only {sorted(allowed)}",
        )
    return obj


def scenario_of(req: Mapping[str, Any]) -> Scenario:
    data = req.get("data")
    if not isinstance(data, dict):
        raise BadRequest(
            "the request holds no scenario ('data' must be a JSON object)",
            source="<dashboard>",
            fix="load a scenario first",
        )
    return scenario_from_data(data, "<dashboard>")


def whole(req: Mapping[str, Any], key: str, low: int, high: int, default: int | None) -> int | None:
    """A whole-number field ``low <= x <= high`` (digits in a string are fine)."""
    raw = req.get(key)
    if raw is None or raw == "":
        return default
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 20:
        value = int(raw.strip())
    if value is None:
        shown = repr(raw[:20]) if isinstance(raw, str) else f"a {type(raw).__name__}"
        raise BadRequest(
            f"must be a whole number, got {shown}",
            source=key,
            fix=f"type digits only, e.g. {default if default is not None else low}",
        )
    if not low <= value <= high:
        raise BadRequest(
            f"must lie in {low:,}-{high:,}, got {value:,}",
            source=key,
            fix=f"use a number in {low:,}-{high:,} (the server's limit)",
        )
    return value


def dashboard_models() -> dict[str, Any]:
    """The registered models the dashboard can run (the procedural models of EU
    legislation need a procedure and a Council rule, which the dashboard does not ask)."""
    return {n: s for n, s in api.forecast_models().items() if not s.needs_rule}


def model_name(req: Mapping[str, Any], *, rounds: bool = False) -> str | None:
    """The requested model, refused unless registered (and with rounds if ``rounds``)."""
    name = req.get("model")
    if name is None or name == "":
        return None
    specs = dashboard_models()
    if not isinstance(name, str) or name not in specs:
        raise BadRequest(
            f"unknown model {str(name)[:40]!r}",
            source="model",
            fix=f"use one of {sorted(specs)}",
        )
    if rounds and specs[name].rounds_param is None:
        raise BadRequest(
            f"model {name!r} has no rounds",
            source="rounds",
            fix="leave rounds empty, or pick a model with rounds",
        )
    return name


# -- scenario payloads --------------------------------------------------------------------
def to_data(scenario: Scenario) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(scenario.model_dump_json(exclude_none=True))
    return data


def _piece(fn: Callable[[Scenario], Any], what: str, sc: Scenario) -> tuple[Any, str | None]:
    """``fn(sc).to_dict()``, or why it could not run (a scenario it rejects)."""
    try:
        return fn(sc).to_dict(), None
    except InputError as exc:
        return None, f"{what} could not run: {exc.render()}"


def analysis_payload(sc: Scenario) -> dict[str, Any]:
    """The verdict and everything :func:`backchannel.analysis.analyze` says, without the
    (slower) what-it-takes optimisation, which has its own request."""
    analysis, missing = _piece(api.analyze, "The feasibility analysis", sc)
    return {
        "ok": True,
        "analysis": analysis,
        "analysis_missing": missing,
        "veto": [a.id for a in sc.actors if a.has_veto],
        "no_veto": not any(a.has_veto for a in sc.actors),
        "names": {a.id: a.name for a in sc.actors},
        "issue_names": {i.id: i.name for i in sc.issues},
    }


def analyze(body: bytes, settings: Settings) -> Reply:
    return handle(
        body, {"data"}, settings, lambda req: reply(200, analysis_payload(scenario_of(req)))
    )


def what_it_takes(body: bytes, settings: Settings) -> Reply:
    def run(req: dict[str, Any]) -> Reply:
        sc = scenario_of(req)
        concessions, missing = _piece(api.what_it_takes, "The what-it-takes analysis", sc)
        return reply(200, {"ok": True, "concessions": concessions, "concessions_missing": missing})

    return handle(body, {"data"}, settings, run)


def for_save(body: bytes, settings: Settings) -> tuple[str, str] | Reply:
    """``(name, yaml)`` of a valid save request, or the answer refusing it."""
    from backchannel.web.store import check_name

    def run(req: dict[str, Any]) -> tuple[str, str]:
        return check_name(str(req.get("name") or "")), scenario_to_yaml(scenario_of(req))

    return handle(body, {"name", "data"}, settings, run)


def export(body: bytes, settings: Settings) -> Reply:
    def run(req: dict[str, Any]) -> Reply:
        fmt = req.get("format") or "yaml"
        if fmt not in ("yaml", "report"):
            raise BadRequest(f"unknown format {str(fmt)[:20]!r}", fix="use 'yaml' or 'report'")
        model = model_name(req)
        sc = scenario_of(req)
        if fmt == "report":
            return 200, api.html_report(sc, model=model).encode(), "text/html; charset=utf-8"
        return 200, scenario_to_yaml(sc).encode(), "text/yaml; charset=utf-8"

    return handle(body, {"data", "format", "model"}, settings, run)


def upload(raw: bytes, label: str, settings: Settings) -> Reply:
    try:
        if len(raw) > settings.max_upload:
            raise BadRequest(
                f"the file is over the {settings.max_upload:,}-byte upload limit",
                source=label,
                fix="upload a smaller scenario file",
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("not UTF-8 text", source=label, fix="save the file as UTF-8") from None
        sc = parse_text(text, label)
    except InputError as exc:
        return refuse(exc, None, settings)
    return reply(200, {"ok": True, "source": "upload", "name": label, "data": to_data(sc)})


def parse_text(text: str, label: str) -> Scenario:
    """:func:`parse_scenario`, with the failures of Python's own readers (a number too long
    to convert, nesting too deep for the validator) reported as input errors."""
    try:
        return parse_scenario(text, label)  # yaml.safe_load only
    except RecursionError:
        problem, fix = "the file is nested too deeply", "flatten the structure"
    except (ValueError, OverflowError) as exc:
        if "digits" in str(exc):
            problem = "a number in the file is too long to read (over 4,300 digits)"
        else:
            problem = f"the file cannot be read: {str(exc)[:160]}"
        fix = "write numbers with at most a few dozen digits"
    raise InputError(problem, source=label, fix=fix)


def scenario_reply(
    source: str, name: str, yaml_text: str | None, extra: Mapping[str, Any], settings: Settings
) -> Reply:
    """A scenario to open: an embedded one (``yaml_text`` None) or a saved version."""
    try:
        sc = load_embedded(name) if yaml_text is None else parse_text(yaml_text, f"<saved: {name}>")
    except InputError as exc:
        return refuse(exc, None, settings)
    return reply(200, {"ok": True, "source": source, "name": name, "data": to_data(sc), **extra})


# -- jobs ------------------------------------------------------------------------------------
JOB_FIELDS = {"kind", "data", "model", "draws", "seed", "rounds"}


def job_params(body: bytes, settings: Settings) -> dict[str, Any] | Reply:
    """The checked parameters of a job request (the scenario validated too), or the answer
    refusing it."""

    def run(req: dict[str, Any]) -> dict[str, Any]:
        kind = req.get("kind")
        if kind not in ("forecast", "sweep"):
            raise BadRequest(
                f"unknown job kind {str(kind)[:20]!r}", fix="use 'forecast' or 'sweep'"
            )
        params: dict[str, Any] = {"kind": kind, "seed": whole(req, "seed", 0, 2**63 - 1, 0)}
        if kind == "sweep":
            params["draws"] = whole(req, "draws", 1, settings.max_draws, 2000)
        else:
            params["rounds"] = whole(req, "rounds", 1, settings.max_rounds, None)
            params["model"] = model_name(req, rounds=params["rounds"] is not None)
        scenario_of(req)
        return params

    return handle(body, JOB_FIELDS, settings, run)


def forecast_payload(sc: Scenario, model: str | None, seed: int, rounds: int | None) -> Any:
    m = round_model(model)
    out: dict[str, Any] = {"outcomes": None, "outcomes_missing": None, "missing": None}
    if m is None:
        out["missing"] = "no forecasting model with round-by-round positions is available"
    else:
        try:
            fc = api.forecast(sc, m, seed=seed, rounds=rounds if model in (None, m) else None)
            out.update(model=fc.model, citation=fc.citation)
            if fc.rounds is not None:
                out["figure"] = json.loads(figures.rounds_figure(sc, fc).to_json())
        except InputError as exc:
            out["missing"] = f"The {m} forecast could not run: {exc.render()}"
    outcomes = run_outcomes(sc, seed)
    out["outcomes"], out["outcomes_missing"] = outcomes.data, outcomes.missing
    return out


def sweep_payload(sc: Scenario, draws: int, seed: int, progress: Any) -> Any:
    piece = run_sweep(sc, draws, seed, progress=progress)
    if not piece.ok:
        raise InputError(piece.missing or "the sweep failed", source="sweep")
    d = piece.data
    p = d.get("p_deal")
    return {
        "p_deal": p.get("estimate") if isinstance(p, dict) else None,
        "p_interval": p.get("wilson95") if isinstance(p, dict) else None,
        "draws": d.get("draws"),
        "seed": d.get("seed"),
        "notes": [*(d.get("notes") or []), *filter(None, [tornado_note(d)])],
        "figures": {k: json.loads(f.to_json()) for k, f in sweep_figures(sc, d).items()},
    }


def job_main(conn: Connection, body: bytes, params: Mapping[str, Any]) -> None:
    """A job's child process: sends ``progress`` messages, then ``done`` (the result as
    JSON text), ``input`` (the rendered input error) or ``internal`` (a traceback)."""
    import traceback

    try:
        sc = scenario_of(request(body, JOB_FIELDS))
        if params["kind"] == "forecast":
            result = forecast_payload(sc, params["model"], params["seed"], params["rounds"])
        else:

            def progress(fraction: float, phase: str) -> None:
                conn.send(("progress", float(fraction), str(phase)))

            result = sweep_payload(sc, params["draws"], params["seed"], progress)
        message: tuple[str, str] = ("done", json.dumps(result, allow_nan=False))
    except InputError as exc:
        message = ("input", exc.render())
    except BaseException:
        message = ("internal", traceback.format_exc())
    conn.send(message)
    conn.close()
