"""The verdict backtest: the engine's verdicts on coded historical negotiations against what
happened (``backchannel backtest cases``).

Each case is a scenario with a ``case`` block (field, years, the date the coder is placed
at) and an ``outcome`` block the engine never reads (:mod:`backchannel.scenario.case`). For
each case:

* **verdict**: :func:`backchannel.analysis.analyze`'s three-way verdict; a deal is
  forecast when it is reachable on the parties' own terms or with the mediators' and third
  parties' deliverable inducements (``verdict_class`` ``own_terms`` or ``mediated``; a
  razor-thin verdict counts as ``deal_possible`` says);
* **P(deal)**: the share of draws of a Monte Carlo sweep over the inputs' ranges
  (:func:`backchannel.engine.run_sweep`) in which a deal is reachable with the inducements
  (or on own terms when no one offers any); without draws, 1 or 0 from the verdict;
* **blockers**: whether the actors and issues history names as blocking appear among the
  engine's blockers (an actor counts when the engine names it, a body it belongs to, or one
  of its members);
* **mediators**: each mediator's computed role (Touval & Zartman) against its historical one;
* **baselines** on the same cases: "always deal", "always no deal", and an analyst's rule:
  a deal exists if the principals' red lines overlap on every issue, ignoring agendas,
  ratification and no-deal values (the principals: each party itself where it states
  positions, else its negotiators, else its deciders); its P(deal) is the share of the same
  kind of draws in which the rule holds.

Scores and intervals: :mod:`backchannel.validation.verdict_scores`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backchannel.analysis import analyze
from backchannel.analysis.instance import acceptable
from backchannel.engine import run_sweep, sampling_plan
from backchannel.scenario.arrays import BoolArray, ScenarioArrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import case_names, load_case, parse_scenario, read_text
from backchannel.scenario.schema import Scenario
from backchannel.validation.verdict_scores import recalibrated, reliability, scored

FORECASTS_DEAL = ("own_terms", "mediated")


# -- reading ---------------------------------------------------------------------------------
#: display names of the forecasters the verdict backtest scores
FORECASTER_NAMES = {
    "engine": "engine",
    "engine_recalibrated": "engine, P(deal) recalibrated (leave-one-out)",
    "always_deal": "always deal",
    "always_no_deal": "always no deal",
    "red_line_rule": "red-line rule",
}


def read_cases(directory: str | Path | None = None) -> list[tuple[str, Scenario]]:
    """The shipped case library, or every ``*.yaml`` of ``directory``; each must have an
    ``outcome`` block."""
    if directory is None:
        cases = [(n, load_case(n)) for n in case_names()]
    else:
        d = Path(directory)
        if not d.is_dir():
            raise InputError(
                "not a folder of case files",
                source=str(d),
                fix="name a folder of scenario YAML files with `case:` and `outcome:` blocks",
            )
        files = sorted(d.glob("*.yaml"))
        if not files:
            raise InputError("no *.yaml files in this folder", source=str(d), fix="add cases")
        cases = [(f.stem, parse_scenario(read_text(f), str(f))) for f in files]
    for name, sc in cases:
        if sc.outcome is None:
            raise InputError(
                "this scenario has no `outcome:` block, so it cannot be scored",
                source=name,
                fix="add the outcome (see docs/case-library.md) or move the file elsewhere",
            )
    return cases


# -- the analyst's baseline ------------------------------------------------------------------
def principals(scenario: Scenario) -> list[str]:
    """Who speaks for each party in the red-line rule: the party itself where it states
    positions, else its negotiators, else the actors whose acceptance decides for it."""
    out: list[str] = []
    for party in scenario.parties():
        if party.positions:
            out.append(party.id)
            continue
        members = scenario.members_of(party.id)
        table = [m.id for m in members if m.negotiator and m.positions]
        out += table or [d.id for d in scenario.deciders(party.id) if d.positions]
    return list(dict.fromkeys(out))


def red_line_rule(arrays: ScenarioArrays, who: Sequence[int]) -> BoolArray:
    """Whether the red lines of actors ``who`` overlap on every issue, per draw of a leading
    axis (or a 0-d array for central values)."""
    idx = list(who)
    pos = np.asarray(arrays.position)[..., idx, :]
    lim = np.asarray(arrays.limit)[..., idx, :]
    low, high = acceptable(pos, lim, np.asarray(arrays.one_sided)[idx], arrays.lo, arrays.hi)
    low = np.where(np.isnan(pos), arrays.lo, low)
    high = np.where(np.isnan(pos), arrays.hi, high)
    tol = 1e-9 * arrays.span
    return np.asarray((low.max(axis=-2) <= high.min(axis=-2) + tol).all(axis=-1))


# -- one case --------------------------------------------------------------------------------
def _ancestors(scenario: Scenario, actor_id: str) -> set[str]:
    """The parties ``actor_id`` belongs to, up the parent chain."""
    parent = {a.id: a.parent for a in scenario.actors}
    out: set[str] = set()
    cur = parent.get(actor_id)
    while cur is not None and cur not in out:
        out.add(cur)
        cur = parent.get(cur)
    return out


def _named(scenario: Scenario, hist: str, named: set[str]) -> bool:
    """Whether the engine named ``hist``, a party it belongs to, or one of its members."""
    return any(
        e == hist or e in _ancestors(scenario, hist) or hist in _ancestors(scenario, e)
        for e in named
    )


def _blockers(scenario: Scenario, d: dict[str, Any]) -> dict[str, Any]:
    named_actors = {b["actor"] for b in d["blocking"] if b.get("actor")}
    named_issues = {b["issue"] for b in d["blocking"] if b.get("issue")}
    for s in d.get("blocking_sets", []):
        for c in s["constraints"]:
            if c.get("actor"):
                named_actors.add(c["actor"])
            if c.get("issue"):
                named_issues.add(c["issue"])
    assert scenario.outcome is not None
    hist_a, hist_i = scenario.outcome.blocked_by, scenario.outcome.blocking_issues
    return {
        "actors": sorted(named_actors),
        "issues": sorted(named_issues),
        "historical_actors": list(hist_a),
        "historical_issues": list(hist_i),
        "actors_found": [h for h in hist_a if _named(scenario, h, named_actors)],
        "issues_found": [i for i in hist_i if i in named_issues],
        "actors_right": sorted(
            e for e in named_actors if any(_named(scenario, h, {e}) for h in hist_a)
        ),
        "issues_right": sorted(named_issues & set(hist_i)),
    }


@dataclass(frozen=True)
class CaseResult:
    """One case scored (``to_dict`` gives its JSON)."""

    name: str
    title: str
    field: str
    years: str
    perspective: str | None
    deal: bool
    result: str
    verdict_class: str
    forecast: bool
    p_deal: float
    p_deal_own_terms: float | None
    draws: int
    margin: float | None
    reason: str
    blockers: dict[str, Any] | None
    mediators: list[dict[str, Any]]
    rule_deal: bool
    rule_p: float

    @property
    def correct(self) -> bool:
        return self.forecast == self.deal

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "field": self.field,
            "years": self.years,
            "perspective": self.perspective,
            "outcome": {"deal": self.deal, "result": self.result},
            "verdict_class": self.verdict_class,
            "forecast_deal": self.forecast,
            "correct": self.correct,
            "p_deal": self.p_deal,
            "p_deal_own_terms": self.p_deal_own_terms,
            "draws": self.draws,
            "margin": self.margin,
            "reason": self.reason,
            "blockers": self.blockers,
            "mediators": self.mediators,
            "baselines": {"red_line_rule": {"deal": self.rule_deal, "p_deal": self.rule_p}},
        }


def evaluate_case(name: str, scenario: Scenario, draws: int = 200, seed: int = 0) -> CaseResult:
    """The engine's verdict, P(deal), blockers and mediator roles on one case, and the
    analyst's rule on the same case."""
    out = scenario.outcome
    info = scenario.case
    assert out is not None
    d = analyze(scenario).to_dict()
    vclass = d["verdict_class"]
    forecast = vclass in FORECASTS_DEAL or (vclass == "razor_thin" and d["deal_possible"])
    plan = sampling_plan(scenario)
    who = [plan.base.index(a) for a in principals(scenario)]
    rule_deal = bool(red_line_rule(plan.base, who))
    p_own = None
    if draws > 0:
        sw = run_sweep(plan, draws, seed=seed, models=(), n_base=None)
        p_own = sw.p_deal
        p_deal = p_own if sw.deals_induced is None else sw.deals_induced / sw.draws
        rule_p = float(np.mean(red_line_rule(plan.draw(draws, seed).arrays, who)))
    else:
        p_deal, rule_p = float(forecast), float(rule_deal)
    roles = {m["id"]: m["role"] for m in d["mediators"]}
    mediators = [
        {"id": m, "computed": roles.get(m), "historical": r, "match": roles.get(m) == r}
        for m, r in out.mediator_roles.items()
    ]
    blockers = _blockers(scenario, d) if not out.deal and not forecast else None
    reason = " ".join([d["verdict"], *d["reasons"][:2]])
    return CaseResult(
        name=name,
        title=scenario.name,
        field=info.field if info else "other",
        years=info.years if info else "",
        perspective=info.perspective if info else None,
        deal=out.deal,
        result=out.result,
        verdict_class=vclass,
        forecast=forecast,
        p_deal=p_deal,
        p_deal_own_terms=p_own,
        draws=max(draws, 0),
        margin=d["margin"]["slack"],
        reason=reason,
        blockers=blockers,
        mediators=mediators,
        rule_deal=rule_deal,
        rule_p=rule_p,
    )


# -- all cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseBacktest:
    """The verdict backtest over a set of cases (``to_dict`` gives the documented JSON)."""

    results: tuple[CaseResult, ...]
    seed: int
    n_boot: int
    notes: tuple[str, ...] = ()

    def forecasters(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        n = len(self.results)
        rule_d = np.array([r.rule_deal for r in self.results], dtype=float)
        return {
            "engine": (
                np.array([r.forecast for r in self.results], dtype=float),
                np.array([r.p_deal for r in self.results]),
            ),
            "engine_recalibrated": _recalibrated(self.results),
            "always_deal": (np.ones(n), np.ones(n)),
            "always_no_deal": (np.zeros(n), np.zeros(n)),
            "red_line_rule": (rule_d, np.array([r.rule_p for r in self.results])),
        }

    def to_dict(self) -> dict[str, Any]:
        rs = self.results
        y = np.array([r.deal for r in rs], dtype=float)
        scores = scored(y, self.forecasters(), n_boot=self.n_boot, seed=self.seed)
        engine = scores.pop("engine")
        recal = scores.pop("engine_recalibrated")
        fields: dict[str, dict[str, Any]] = {}
        for f in sorted({r.field for r in rs}):
            sub = [r for r in rs if r.field == f]
            fields[f] = {
                "n": len(sub),
                "deals": sum(r.deal for r in sub),
                "accuracy": float(np.mean([r.correct for r in sub])),
                "brier": float(np.mean([(r.p_deal - r.deal) ** 2 for r in sub])),
            }
        with_blockers = [r.blockers for r in rs if r.blockers is not None]
        meds = [m for r in rs for m in r.mediators]
        return {
            "n": len(rs),
            "deals": int(y.sum()),
            "no_deals": int(len(rs) - y.sum()),
            "draws": rs[0].draws if rs else 0,
            "seed": self.seed,
            "bootstrap": self.n_boot,
            "accuracy": engine["accuracy"],
            "balanced_accuracy": engine["balanced_accuracy"],
            "brier": engine["brier"],
            "log_loss": engine["log_loss"],
            "baselines": scores,
            "recalibrated": recal,
            "reliability": reliability(y, np.array([r.p_deal for r in rs])),
            "fields": fields,
            "blockers": {
                "cases": len(with_blockers),
                "actor_recall": _share(with_blockers, "actors_found", "historical_actors"),
                "actor_precision": _share(with_blockers, "actors_right", "actors"),
                "issue_recall": _share(with_blockers, "issues_found", "historical_issues"),
                "issue_precision": _share(with_blockers, "issues_right", "issues"),
            },
            "mediators": {
                "scored": len(meds),
                "matched": sum(m["match"] for m in meds),
            },
            "misses": [
                {
                    "name": r.name,
                    "deal": r.deal,
                    "verdict_class": r.verdict_class,
                    "p_deal": r.p_deal,
                    "reason": r.reason,
                }
                for r in rs
                if not r.correct
            ],
            "cases": [r.to_dict() for r in rs],
            "notes": list(self.notes),
        }


def _recalibrated(results: Sequence[CaseResult]) -> tuple[np.ndarray, np.ndarray]:
    """The engine's P(deal) recalibrated out of sample (leave-one-out; verdict_scores)."""
    y = np.array([r.deal for r in results], dtype=float)
    d = np.array([r.forecast for r in results], dtype=float)
    p = recalibrated(y, d, np.array([r.p_deal for r in results]))
    return (p > 0.5).astype(float), p


def _share(rows: list[dict[str, Any]], part: str, whole: str) -> dict[str, int]:
    """Pooled count of ``part`` over ``whole`` in the rows (recall or precision)."""
    return {"found": sum(len(r[part]) for r in rows), "of": sum(len(r[whole]) for r in rows)}


def run_case_backtest(
    directory: str | Path | None = None,
    *,
    draws: int = 200,
    seed: int = 0,
    n_boot: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> CaseBacktest:
    """Score the verdict engine on every case of the library (or of ``directory``)."""
    if draws < 0 or n_boot < 1:
        raise InputError(
            "--draws must be >= 0 and --bootstrap >= 1",
            source="options",
            fix="give e.g. --draws 200 --bootstrap 2000",
        )
    results = []
    for name, sc in read_cases(directory):
        if progress is not None:
            progress(name)
        results.append(evaluate_case(name, sc, draws=draws, seed=seed))
    notes = (
        "forecast deal = verdict_class own_terms or mediated (razor_thin: deal_possible)",
        "P(deal) = share of sweep draws with a deal reachable with the deliverable "
        "inducements (own terms where no one offers any); draws=0 gives 1 or 0",
        "log loss clips P(deal) to [0.01, 0.99]; intervals: percentile bootstrap over cases",
    )
    return CaseBacktest(tuple(results), seed, n_boot, notes)
