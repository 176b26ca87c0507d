"""Staged agreements: an interim deal now that makes a comprehensive deal feasible next.

Interim agreements ("less for less": a partial package, a freeze for limited relief) are
how adversaries who cannot agree on everything at once build the trust and change the
facts that a final agreement needs: reassurance by costly, verifiable steps (Kydd 2000,
"Trust, reassurance, and cooperation", *International Organization* 54(2); Osgood 1962,
*An Alternative to War or Surrender*, graduated reciprocation), step-by-step diplomacy
that creates a way out of a hurting stalemate (Zartman 2000, "Ripeness"), and the Joint
Plan of Action of November 2013 that preceded the JCPOA. Whether a first step helps is a
question about what it changes; :func:`find_stages` answers it exactly for two stages.

**The programme** (:mod:`.twostage`): one MILP over both stages, exact for two, certified
in plain arithmetic; paths are ranked by the worst-off ratifier's surplus over both stages,
then by the final stage's margin. Alternatives: the best path for each other interim
agenda (a step that settles an issue at its status quo does not move it).

**When no sequence helps.** If the scenario declares no effect (every ``persists`` is 1,
no ``effects``, ``months`` 0) and no ratifier's no-deal adjustment is negative, a final
agreement reached after an interim one is acceptable in one stage (transitivity:
``U(x2) >= U(x1) + a >= U(s0) + 2a >= U(s0) + a`` for ``a >= 0``; red lines, agenda,
linkage and rules bind the final package either way), so an interim agreement can only
help through what it is declared to change, or by making a no-deal cost count again at
the final stage. Otherwise the answer says what blocks: the interim stage itself (the
fewest constraints that would have to give way for any interim agreement) or the final
stage even after the best interim agreement (likewise).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
from backchannel.analysis.formulation import TOL
from backchannel.analysis.instance import Instance, make_instance
from backchannel.dynamics.twostage import (
    Answer,
    TwoStage,
    blocking,
    drifted,
    interim_possible,
    moved,
    solve,
    status_of,
    two_stage,
)
from backchannel.scenario.arrays import BoolArray, FloatArray, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario
from backchannel.scenario.timeline import Interim, apply_change, base_data, drift

#: interim agendas tried at most (alternatives included)
MAX_ALTERNATIVES = 10


@dataclass(frozen=True)
class Stage:
    """One stage's agreement: the issues it settles and where (on their scales), the
    certified margin (the worst-off required ratifier's surplus), each decider's surplus
    and no-deal value at that stage."""

    agenda: tuple[str, ...]
    point: dict[str, float]
    margin: float
    surplus: dict[str, float | None]
    no_deal: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """``interim`` or ``final`` of a path in the JSON."""
        return {
            "agenda": list(self.agenda),
            "point": self.point,
            "margin": _f(self.margin),
            "surplus": self.surplus,
            "no_deal": self.no_deal,
        }


@dataclass(frozen=True)
class StagedPath:
    """An interim agreement and the final agreement it makes possible. ``margin``: the
    smaller of the two stages' certified margins; ``upper``: the programme's bound."""

    interim: Stage
    final: Stage
    status_quo_after: dict[str, float]
    margin: float
    upper: float
    status: str  # deal | no_deal | razor_thin

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``paths`` in the JSON."""
        return {
            "interim": self.interim.to_dict(),
            "final": self.final.to_dict(),
            "status_quo_after": self.status_quo_after,
            "margin": _f(self.margin),
            "upper": _f(self.upper),
            "status": self.status,
        }


@dataclass(frozen=True)
class StagesResult:
    """What :func:`find_stages` found (``to_dict`` gives the JSON)."""

    scenario: str
    loss: str
    now: dict[str, Any]
    after_waiting: dict[str, Any] | None
    paths: tuple[StagedPath, ...]
    helps: bool
    verdict: str
    why: tuple[str, ...]
    declared: dict[str, Any]
    certificate: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``backchannel stages --json`` (keys in the README)."""
        return {
            "scenario": self.scenario,
            "loss": self.loss,
            "helps": self.helps,
            "verdict": self.verdict,
            "why": list(self.why),
            "now": self.now,
            "after_waiting": self.after_waiting,
            "paths": [p.to_dict() for p in self.paths],
            "declared": self.declared,
            "certificate": self.certificate,
        }


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _stage(
    p: TwoStage, inst: Instance, x: FloatArray, settled: BoolArray, m: float, surplus: FloatArray
) -> Stage:
    ids = p.arrays.issue_ids
    scaled = inst.to_scale(x)
    deciders = inst.structure.deciders
    return Stage(
        agenda=tuple(ids[k] for k in np.flatnonzero(settled)),
        point={ids[k]: float(scaled[k]) for k in np.flatnonzero(settled)},
        margin=m,
        surplus={p.arrays.actor_ids[v]: _f(float(surplus[v])) for v in deciders},
        no_deal={p.arrays.actor_ids[v]: _f(float(inst.nd[v])) for v in deciders},
    )


def _path(p: TwoStage, ans: Answer) -> StagedPath:
    inst2 = replace(p.inst2, nd=ans.nd2)
    s1 = p.inst2.to_scale(p.sigma(ans.x1))
    return StagedPath(
        interim=_stage(p, p.inst1, ans.x1, ans.y1, ans.m1, ans.surplus1),
        final=_stage(p, inst2, ans.x2, ans.y2, ans.m2, ans.surplus2),
        status_quo_after={i: float(v) for i, v in zip(p.arrays.issue_ids, s1, strict=True)},
        margin=ans.lower,
        upper=ans.upper,
        status=status_of(ans),
    )


def _transitive(p: TwoStage, it: Interim) -> bool:
    """The conditions under which an interim agreement cannot help (module docstring)."""
    adj = np.asarray(p.arrays.no_deal_adjustment)[list(p.inst1.structure.deciders)]
    return bool(not it.effects and it.months == 0 and np.all(p.rho == 1.0) and np.all(adj >= 0))


def _single(inst: Instance, ids: tuple[str, ...]) -> tuple[Decision, dict[str, Any]]:
    d = decide(inst)
    point = None
    if np.isfinite(d.x).all():
        point = {ids[k]: float(d.x[k]) for k in np.flatnonzero(d.settled)}
    return d, {
        "deal_possible": d.deal_possible,
        "status": d.status,
        "margin": _f(d.slack),
        "point": point,
    }


def find_stages(scenario: Scenario, *, alternatives: int = 3) -> StagesResult:
    """Interim agreements that make a comprehensive agreement feasible at the next stage,
    best first (see the module docstring); ``alternatives``: how many interim agendas to
    report at most."""
    if not 1 <= alternatives <= MAX_ALTERNATIVES:
        raise InputError(
            f"alternatives must be between 1 and {MAX_ALTERNATIVES}, got {alternatives}",
            source="--alternatives",
            fix="e.g. --alternatives 3",
        )
    it = scenario.timeline.interim if scenario.timeline is not None else None
    it = it or Interim()
    p = two_stage(scenario)
    ids = p.arrays.issue_ids
    now_d, now = _single(make_instance(p.arrays, scenario.loss), ids)
    after = None
    if it.months > 0:
        waited = drifted(base_data(scenario), it.months)
        _, after = _single(make_instance(to_arrays(waited), scenario.loss), ids)
        after["months"] = it.months
    best, certificate = solve(p)
    paths: list[StagedPath] = []
    if best is not None:
        paths.append(_path(p, best))
        seen = [tuple(bool(b) for b in best.y1)]
        steps = [moved(p, best)]
        tries = 0
        while len(paths) < alternatives and paths[-1].status == "deal" and tries < MAX_ALTERNATIVES:
            tries += 1
            ans, _ = solve(p, exclude=tuple(seen))
            if ans is None or status_of(ans) != "deal":
                break
            seen.append(tuple(bool(b) for b in ans.y1))
            if moved(p, ans) not in steps:  # another agenda that moves the same issues is
                steps.append(moved(p, ans))  # the same first step
                paths.append(_path(p, ans))
    feasible = [q for q in paths if q.status == "deal"]
    helps = bool(feasible) and not now_d.deal_possible
    why: list[str] = []
    if now_d.deal_possible:
        verdict = (
            f"A deal is feasible now in one stage (margin {now_d.slack:.3f}): no interim "
            "agreement is needed."
        )
        if feasible and feasible[0].margin > now_d.slack + TOL:
            verdict += (
                f" An interim agreement first would raise the worst-off ratifier's margin to "
                f"{feasible[0].margin:.3f}."
            )
    elif feasible:
        first = feasible[0]
        verdict = (
            "No deal is feasible now, but an interim agreement settling "
            f"{', '.join(first.interim.agenda)} makes a comprehensive one feasible at the next "
            f"stage (worst-off ratifier's margin {first.margin:.3f})."
        )
    else:
        verdict = "No sequence of an interim and a final agreement makes a deal feasible."
        stage1 = interim_possible(p)
        if not stage1:
            blocked = blocking(p, final=False)
            text = "No interim agreement is acceptable now to every ratifier it needs"
            if blocked:
                text += ": one opens only if all of these give way: " + "; ".join(blocked)
            why.append(text + ".")
        else:
            if _transitive(p, it):
                why.append(
                    "The scenario declares nothing an interim agreement changes (no effects, "
                    "no reversible moves, no months between the stages) and no ratifier's "
                    "no-deal adjustment is negative: any final agreement reached after an "
                    "interim one would be acceptable in one stage, and there is none."
                )
            blocked = blocking(p, final=True)
            if blocked:
                why.append(
                    "Even after the best interim agreement, a final one opens only if all of "
                    "these give way: " + "; ".join(blocked) + "."
                )
    if after is not None and after["deal_possible"] and not now_d.deal_possible:
        why.append(
            f"Waiting {it.months:g} months without an interim agreement would open a deal "
            "too (the actors' trends)."
        )
    return StagesResult(
        scenario=scenario.name,
        loss=scenario.loss,
        now=now,
        after_waiting=after,
        paths=tuple(paths),
        helps=helps,
        verdict=verdict,
        why=tuple(why),
        declared=it.model_dump(mode="json", exclude_none=True),
        certificate=certificate,
    )


def final_stage_scenario(scenario: Scenario, path: StagedPath) -> Scenario:
    """The scenario as ``path``'s interim agreement leaves it for the final stage: the
    declared effects and trends applied, the status quo moved to
    ``path.status_quo_after`` and each decider's no-deal value shifted as the effects
    declare. ``analyze`` of it is the final stage's verdict (its best final agreement may
    also defer an issue the interim one settled, so its margin is at least the path's)."""
    it = scenario.timeline.interim if scenario.timeline is not None else None
    it = it or Interim()
    base = base_data(scenario)
    data = copy.deepcopy(base)
    for eff in it.effects:
        apply_change(data, eff, base)
    for issue in data["issues"]:
        issue["status_quo"] = {"value": path.status_quo_after[issue["id"]]}
    moved = {i: path.interim.point.get(i, q) for i, q in _status_quo(scenario).items()}
    shifts: dict[str, float] = {}
    for eff in it.effects:
        if eff.actor is not None:
            delta = sum(
                per * (moved[i] - _status_quo(scenario)[i]) for i, per in eff.per_unit.items()
            )
            shifts[eff.actor] = shifts.get(eff.actor, 0.0) + eff.no_deal + delta
    drift(data, shifts)
    return drifted(data, it.months)


def _status_quo(scenario: Scenario) -> dict[str, float]:
    return {i.id: i.status_quo.value for i in scenario.issues if i.status_quo is not None}
