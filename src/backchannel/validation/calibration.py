"""Calibrate once on a training DEU file, forecast anywhere without refitting.

:func:`calibrate` chooses, by cross-validation by proposal on the training file only, one
specification among

* **fixed candidates** (no fitted parameters): the 648 shrunk compromise specifications of
  :mod:`backchannel.validation.tuning` (the plain compromise model first), the procedural
  models (:mod:`backchannel.models.procedural`) with absent members supporting or
  abstaining, and the baselines mean, salience-weighted mean, median, salience-weighted
  median and midpoint;
* **combinations** (fitted): convex combinations ``x = sum_j w_j f_j`` (``w >= 0``,
  ``sum w = 1``, least absolute deviations, :func:`~backchannel.validation.crossval.
  fit_convex_lad`) of the components :data:`COMPONENTS`, with one set of weights for all
  issues, one per procedure (COD/CNS), or one per procedure and salience spread (the
  standard deviation of the saliences of the actors with a position, below or above its
  training median). A cell with fewer than :data:`MIN_CELL` training issues uses the
  pooled weights.

A fixed candidate's cross-validation error is its training error (nothing is fitted); a
combination's is the error of weights fitted on the other folds. The candidate with the
lowest mean error over the repeats wins (ties: the first; the plain compromise model is
the first candidate). The chosen combination is then fitted on all training issues. The
result is a :class:`Calibration` (the JSON file of ``backchannel calibrate deu``), with the
training data's SHA-256 and the versions of the package and its numerical libraries.

:func:`apply_calibration` computes the chosen forecast on other issues from their inputs
alone: it never reads their outcomes and never refits.
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
from numpy.typing import NDArray

from backchannel.data.capability import capabilities
from backchannel.data.deu import DeuData, load_deu
from backchannel.models.base import Forecast
from backchannel.scenario.arrays import FloatArray, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario
from backchannel.validation.baselines import baseline_forecasts
from backchannel.validation.crossval import fit_convex_lad, proposal_folds
from backchannel.validation.runner import run_models
from backchannel.validation.tuning import Spec, candidate_forecasts, grid

NAME = "calibrated"
CV_NAME = "calibrated_cv"
FORMAT = "backchannel.calibration"
FORMAT_VERSION = 1
PROCEDURAL = ("agenda_setter", "winset_bargain", "compromise_winset")
ABSENT = ("support", "abstain")
BASELINES = ("mean", "salience_mean", "median", "salience_median", "midpoint")
COMPONENTS = (
    "compromise",
    "mean",
    "salience_mean",
    "agenda_setter",
    "winset_bargain",
    "compromise_winset",
    "reference",
)
"""Components of the combinations: the compromise model, the mean and salience-weighted
mean of positions, the three procedural models (absent members supporting), and the
reference point (the compromise point where it is blank)."""
CELLS = {
    "combination": "all",
    "combination_by_procedure": "procedure",
    "combination_by_procedure_and_spread": "procedure_spread",
}
"""The combinations by name, and what their weights vary by."""
MIN_CELL = 30


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


def salience_spread(data: DeuData) -> FloatArray:
    """Per issue: the standard deviation of the saliences of the actors with a position."""
    s = np.where(data.has_position(), data.salience, np.nan)
    with np.errstate(invalid="ignore"):
        out = np.nanstd(s, axis=0) if s.size else np.zeros(0)
    return np.asarray(np.nan_to_num(out, nan=0.0))


# ----------------------------------------------------------------- candidate forecasts


def definition_name(d: dict[str, Any]) -> str:
    if d["kind"] == "compromise_grid":
        spec = Spec(d["power"], d["institutions"], d["target"], d["target_weight"], d["rp_weight"])
        return "compromise" if spec == grid()[0] else f"compromise[{spec.label()}]"
    if d["kind"] == "model":
        return f"{d['name']}[absent={d['params']['absent']}]"
    return f"baseline:{d['name']}"


def fixed_definitions() -> tuple[dict[str, Any], ...]:
    """Every fixed candidate, the plain compromise model first."""
    out: list[dict[str, Any]] = [{"kind": "compromise_grid", **s.to_dict()} for s in grid()]
    for m in PROCEDURAL:
        for a in ABSENT:
            out.append({"kind": "model", "name": m, "params": {"absent": a}})
    out += [{"kind": "baseline", "name": b} for b in BASELINES]
    return tuple(out)


def fixed_forecasts(data: DeuData, defs: Sequence[dict[str, Any]]) -> FloatArray:
    """(C, K) forecasts of the fixed candidates ``defs`` on every issue of ``data``, from
    the inputs alone."""
    out = np.full((len(defs), data.n_issues), np.nan)
    specs = [
        (i, Spec(d["power"], d["institutions"], d["target"], d["target_weight"], d["rp_weight"]))
        for i, d in enumerate(defs)
        if d["kind"] == "compromise_grid"
    ]
    if specs:
        _, f = candidate_forecasts(data, [s for _, s in specs])
        out[[i for i, _ in specs]] = f
    models = [(i, d) for i, d in enumerate(defs) if d["kind"] == "model"]
    if models:
        cap = capabilities(data)
        for i, d in models:
            run = run_models(data, cap, [d["name"]], params={d["name"]: d["params"]})
            out[i] = run[d["name"]].forecast
    base = baseline_forecasts(data) if any(d["kind"] == "baseline" for d in defs) else {}
    for i, d in enumerate(defs):
        if d["kind"] == "baseline":
            out[i] = base[d["name"]]
    return out


def component_forecasts(data: DeuData) -> FloatArray:
    """(K, M) forecasts of :data:`COMPONENTS` on every issue of ``data`` (inputs only)."""
    cap = capabilities(data)
    runs = run_models(data, cap, ["compromise", *PROCEDURAL])
    base = baseline_forecasts(data)
    comp = runs["compromise"].forecast
    cols = {
        "compromise": comp,
        "mean": base["mean"],
        "salience_mean": base["salience_mean"],
        **{m: runs[m].forecast for m in PROCEDURAL},
        "reference": np.where(np.isfinite(data.reference), data.reference, comp),
    }
    return np.column_stack([cols[c] for c in COMPONENTS])


def cell_labels(
    how: str, procedure: Sequence[str], spread: FloatArray, threshold: float | None
) -> NDArray[np.str_]:
    """The cell of each issue for a combination whose weights vary by ``how``."""
    proc = np.asarray([p.upper() for p in procedure], dtype=str)
    if how == "all":
        return np.full(proc.size, "all")
    if how == "procedure":
        return proc
    thr = 0.0 if threshold is None else threshold
    level = np.where(np.asarray(spread) <= thr, "low", "high")
    return np.char.add(np.char.add(proc, "/salience spread "), level)


def fit_combination(
    f: FloatArray, y: FloatArray, cells: NDArray[np.str_]
) -> dict[str, dict[str, float]]:
    """Convex LAD weights per cell (cells with fewer than :data:`MIN_CELL` issues use the
    pooled weights, stored under ``all``)."""
    out = {"all": _named(fit_convex_lad(f, y))}
    for c in sorted(set(cells.tolist()) - {"all"}):
        m = cells == c
        if m.sum() >= MIN_CELL:
            out[c] = _named(fit_convex_lad(f[m], y[m]))
    return out


def _named(w: FloatArray) -> dict[str, float]:
    return {c: float(v) for c, v in zip(COMPONENTS, w, strict=True)}


def predict_combination(
    f: FloatArray, cells: NDArray[np.str_], weights: dict[str, dict[str, float]]
) -> FloatArray:
    out = np.empty(f.shape[0])
    for c in set(cells.tolist()):
        m = cells == c
        w = weights.get(c, weights["all"])
        out[m] = f[m] @ np.array([w[k] for k in COMPONENTS])
    return out


# ----------------------------------------------------------------- selection


@dataclass(frozen=True)
class Pool:
    """The candidates' forecasts on the scoreable issues of one file."""

    defs: tuple[dict[str, Any], ...]
    fixed: FloatArray  # (C, n)
    components: FloatArray  # (n, M)
    procedure: tuple[str, ...]
    spread: FloatArray
    group: NDArray[np.int64]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(definition_name(d) for d in self.defs) + tuple(CELLS)

    def take(self, rows: NDArray[np.bool_]) -> Pool:
        return Pool(
            self.defs,
            self.fixed[:, rows],
            self.components[rows],
            tuple(p for p, r in zip(self.procedure, rows, strict=True) if r),
            self.spread[rows],
            self.group[rows],
        )


def pool(data: DeuData) -> tuple[Pool, FloatArray]:
    """Candidate forecasts on the scoreable issues of ``data`` and their outcomes."""
    mask = data.scoreable()
    scored = data.subset(mask)
    _, group = scored.proposal_index()
    defs = fixed_definitions()
    p = Pool(
        defs=defs,
        fixed=fixed_forecasts(data, defs)[:, mask],
        components=component_forecasts(data)[mask],
        procedure=scored.procedure,
        spread=salience_spread(data)[mask],
        group=group,
    )
    return p, scored.outcome


def _combination_fit(p: Pool, y: FloatArray, how: str) -> tuple[dict[str, Any], FloatArray]:
    """Fit one combination on all of ``p``; returns its record and in-sample forecast."""
    thr = float(np.median(p.spread)) if how == "procedure_spread" and p.spread.size else None
    cells = cell_labels(how, p.procedure, p.spread, thr)
    w = fit_combination(p.components, y, cells)
    return {"cells": how, "spread_threshold": thr, "weights": w}, predict_combination(
        p.components, cells, w
    )


def _combination_predict(rec: dict[str, Any], p: Pool) -> FloatArray:
    cells = cell_labels(rec["cells"], p.procedure, p.spread, rec["spread_threshold"])
    return predict_combination(p.components, cells, rec["weights"])


def cv_errors(p: Pool, y: FloatArray, k: int, seeds: Sequence[int]) -> FloatArray:
    """Cross-validated MAE of every candidate (fixed ones first, then :data:`CELLS`),
    averaged over the repeats; folds by proposal."""
    fixed = np.mean(np.abs(p.fixed - y[None, :]), axis=1)
    k = max(2, min(k, np.unique(p.group).size))
    combo = np.zeros(len(CELLS))
    for seed in seeds:
        fold = proposal_folds(p.group, k, seed)
        for ci, how in enumerate(CELLS.values()):
            pred = np.empty(y.size)
            for j in range(k):
                test = fold == j
                rec, _ = _combination_fit(p.take(~test), y[~test], how)
                pred[test] = _combination_predict(rec, p.take(test))
            combo[ci] += np.mean(np.abs(pred - y)) / len(seeds)
    return np.concatenate([fixed, combo])


def choose(p: Pool, y: FloatArray, k: int, seeds: Sequence[int]) -> tuple[int, FloatArray]:
    """Index of the chosen candidate (lowest CV error, first on ties) and every error."""
    err = cv_errors(p, y, k, seeds)
    return int(np.argmin(err)), err


def fit_choice(p: Pool, y: FloatArray, choice: int) -> dict[str, Any]:
    """The model record of candidate ``choice`` fitted on all of ``p``."""
    n_fixed = len(p.defs)
    if choice < n_fixed:
        return {"selected": definition_name(p.defs[choice]), "definition": p.defs[choice]}
    name, how = list(CELLS.items())[choice - n_fixed]
    rec, _ = _combination_fit(p, y, how)
    return {
        "selected": name,
        "definition": {"kind": "combination", "components": list(COMPONENTS), **rec},
    }


def predict_pool(model: dict[str, Any], p: Pool) -> FloatArray:
    """The forecasts of a model record on a pool (candidate forecasts precomputed)."""
    d = model["definition"]
    if d["kind"] == "combination":
        return _combination_predict(d, p)
    return np.asarray(p.fixed[p.defs.index(d)])


# ----------------------------------------------------------------- the calibration file


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
