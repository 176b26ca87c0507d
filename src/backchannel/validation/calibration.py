"""Calibrate once on a training DEU file, forecast anywhere without refitting.

:func:`calibrate` chooses, by cross-validation by proposal on the training file only, one
of the candidates of :mod:`backchannel.validation.candidates` (fixed specifications of the
compromise model, the procedural models, baselines, and convex combinations whose weights
vary by procedure and salience spread), then fits the chosen one on all training issues.
The result is a :class:`Calibration` (the JSON file of ``backchannel calibrate deu``), with
the training data's SHA-256 and the versions of the package and its numerical libraries.

:func:`apply_calibration` computes the chosen forecast on other issues from their inputs
alone: it never reads their outcomes and never refits. :func:`nested_cv` scores the whole
procedure on one file; :func:`forecast_scenario` applies a calibration to a scenario.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from backchannel.data.deu import DeuData, load_deu
from backchannel.models.base import Forecast
from backchannel.scenario.arrays import FloatArray, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario
from backchannel.validation.candidates import (
    CELLS,
    COMPONENTS,
    PROCEDURAL,
    Pool,
    cell_labels,
    choose,
    component_forecasts,
    fit_choice,
    fixed_definitions,
    fixed_forecasts,
    pool,
    predict_combination,
    predict_pool,
    salience_spread,
)
from backchannel.validation.crossval import proposal_folds

NAME = "calibrated"
CV_NAME = "calibrated_cv"
FORMAT = "backchannel.calibration"
FORMAT_VERSION = 1


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("backchannel", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - always installed
            out[pkg] = "unknown"
    return out


def data_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Calibration:
    """A calibrated forecasting model (``to_dict`` is the JSON file; keys documented in
    docs/backtest.md)."""

    model: dict[str, Any]
    selection: dict[str, Any]
    training_data: dict[str, Any]
    versions: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "selection": self.selection,
            "training_data": self.training_data,
            "versions": self.versions,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, d: Any, source: str = "calibration") -> Calibration:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise InputError(
                "not a backchannel calibration file",
                source=source,
                fix="write one with `backchannel calibrate deu TRAIN.tsv -o calibration.json`",
            )
        if d.get("format_version") != FORMAT_VERSION:
            raise InputError(
                f"calibration format version {d.get('format_version')!r} is not supported",
                source=source,
                fix=f"recalibrate with this version (format {FORMAT_VERSION})",
            )
        try:
            cal = cls(
                model=d["model"],
                selection=d["selection"],
                training_data=d["training_data"],
                versions=d["versions"],
            )
            _check_model(cal.model)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"damaged calibration file ({type(exc).__name__}: {exc})",
                source=source,
                fix="recalibrate with `backchannel calibrate deu TRAIN.tsv -o FILE`",
            ) from exc
        return cal

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                "file not found", source=str(p), fix="give the path of a calibration file"
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"not JSON: {exc}", source=str(p), fix="give a file written by calibrate"
            ) from exc
        return cls.from_dict(d, str(p))

    def save(self, path: str | Path) -> None:
        from backchannel.scenario.load import atomic_write

        atomic_write(Path(path), self.to_json())


def _check_model(m: dict[str, Any]) -> None:
    d = m["definition"]
    if d["kind"] == "combination":
        if d["cells"] not in CELLS.values() or "all" not in d["weights"]:
            raise ValueError("combination without pooled weights")
        for w in d["weights"].values():
            if sorted(w) != sorted(COMPONENTS):
                raise ValueError(f"weights must name {COMPONENTS}")
    elif d not in fixed_definitions():
        raise ValueError(f"unknown specification {d}")


def calibrate(
    path: str | Path | DeuData,
    *,
    folds: int = 10,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
) -> Calibration:
    """Choose and fit the specification on a training DEU file (module docstring)."""
    data = path if isinstance(path, DeuData) else load_deu(path)
    if isinstance(path, DeuData):
        digest = hashlib.sha256(
            b"".join(np.ascontiguousarray(a).tobytes() for a in _arrays(data))
        ).hexdigest()
        hashed = "parsed arrays (positions, saliences, reference, outcome)"
    else:
        digest, hashed = data_sha256(path), "file bytes"
    p, y = pool(data)
    if len(set(p.group.tolist())) < 2:
        raise InputError(
            "fewer than two proposals with scoreable issues",
            source=data.source,
            fix="calibrate on a DEU file with outcomes for several proposals",
        )
    choice, err = choose(p, y, folds, seeds)
    model = {"name": NAME, **fit_choice(p, y, choice)}
    names = p.names
    order = np.argsort(err, kind="stable")
    listed = [int(i) for i in order[:10]]
    always = ["compromise", "baseline:mean", "baseline:salience_mean", *CELLS]
    always += [f"{m}[absent=support]" for m in PROCEDURAL]
    listed += [names.index(n) for n in always if names.index(n) not in listed]
    selection = {
        "method": "lowest cross-validated MAE by proposal on the training file (fixed "
        "candidates: their training MAE; combinations: weights fitted on the other folds)",
        "folds": folds,
        "seeds": list(seeds),
        "candidates": len(names),
        "cv_mae": {names[i]: round(float(err[i]), 4) for i in listed},
    }
    training = {
        "source": data.source,
        "sha256": digest,
        "hashed": hashed,
        "issues": data.n_issues,
        "scoreable_issues": int(y.size),
        "proposals": len(set(data.proposal)),
    }
    return Calibration(model, selection, training, versions())


def _arrays(data: DeuData) -> tuple[FloatArray, ...]:
    return (data.position, data.salience, data.reference, data.outcome)


def apply_calibration(cal: Calibration, data: DeuData) -> FloatArray:
    """The calibrated forecast on every issue of ``data``, from its inputs alone (outcomes
    are never read; nothing is refitted)."""
    d = cal.model["definition"]
    if d["kind"] != "combination":
        return np.asarray(fixed_forecasts(data, [d])[0])
    f = component_forecasts(data)
    cells = cell_labels(d["cells"], data.procedure, salience_spread(data), d["spread_threshold"])
    return predict_combination(f, cells, d["weights"])


def nested_cv(
    p: Pool,
    y: FloatArray,
    *,
    folds: int = 10,
    seed: int = 0,
    inner_seeds: Sequence[int] = (0,),
) -> tuple[FloatArray, list[str]]:
    """Out-of-fold forecasts of the whole calibration procedure (choose and fit on the
    training proposals of each outer fold, forecast its held-out proposals) and the
    candidate chosen in each fold."""
    k = max(2, min(folds, np.unique(p.group).size))
    fold = proposal_folds(p.group, k, seed)
    oof = np.empty(y.size)
    chosen: list[str] = []
    for j in range(k):
        test = fold == j
        train = p.take(~test)
        choice, _ = choose(train, y[~test], folds, inner_seeds)
        model = fit_choice(train, y[~test], choice)
        oof[test] = predict_pool(model, p.take(test))
        chosen.append(model["selected"])
    return oof, chosen


def deu_from_scenario(scenario: Scenario, procedure: str, council_rule: str) -> DeuData:
    """A scenario about one EU proposal as DEU arrays (actors with a position, named by
    their DEU codes; each issue's scale mapped linearly onto DEU's 0-100; the status quo as
    the reference point; no outcome)."""
    from backchannel.data.legislative import check_eu_actors, normalise, scenario_date

    proc, rule = normalise(procedure, council_rule)
    arrays = to_arrays(scenario)
    keep = arrays.with_positions()
    actors = tuple(a for a, k in zip(arrays.actor_ids, keep, strict=True) if k)
    check_eu_actors(actors)
    day = scenario_date(scenario)
    k = arrays.n_issues

    def unit(x: FloatArray) -> FloatArray:
        return np.asarray(100.0 * (x - arrays.lo) / arrays.span)

    pos = unit(arrays.position[keep])
    return DeuData(
        source=scenario.name,
        actors=actors,
        issue_ids=arrays.issue_ids,
        proposal=(scenario.name,) * k,
        procedure=(proc,) * k,
        rule=(rule,) * k,
        intro=(day,) * k,
        position=pos,
        salience=np.where(np.isnan(pos), np.nan, arrays.salience[keep]),
        reference=unit(arrays.status_quo),
        outcome=np.full(k, np.nan),
    )


def forecast_scenario(
    cal: Calibration, scenario: Scenario, procedure: str, council_rule: str
) -> Forecast:
    """The calibrated forecast for a scenario about one EU proposal (capabilities are the
    actors' power in the EU legislative game, as in calibration, not the scenario's)."""
    data = deu_from_scenario(scenario, procedure, council_rule)
    arrays = to_arrays(scenario)
    out = arrays.lo + arrays.span * apply_calibration(cal, data) / 100.0
    return Forecast(
        model=NAME,
        citation=f"calibrated on {cal.training_data['source']} "
        f"(sha256 {cal.training_data['sha256'][:12]}): {cal.model['selected']}",
        issue_ids=arrays.issue_ids,
        actor_ids=data.actors,
        outcome=np.asarray(out, dtype=float),
        rounds=None,
        params=MappingProxyType(
            {
                "selected": cal.model["selected"],
                "procedure": data.procedure[0],
                "council_rule": data.rule[0],
                "training_sha256": cal.training_data["sha256"],
            }
        ),
        seed=None,
        diagnostics=MappingProxyType({}),
    )
