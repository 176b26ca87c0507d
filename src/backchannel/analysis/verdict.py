"""The full analysis of a scenario: can a deal happen, why not, and what mediators can do.

:func:`analyze` composes the exact, certified verdict programme (:mod:`.decide`) into the
answers an analyst reads: the three-way verdict (reachable on the parties' own terms, only
with mediators' or third parties' inducements, or not at all) with its margin, the zone of
agreement per issue, the package (what it settles, what it defers and on which
separability it relies), the two-level game and each ratifying body's vote, exact minimal
explanations of a no-deal (blocking sets and conflicts), mediators' roles, third parties'
effects, ripeness, escalation risk, and how robust the verdict is to each input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
from backchannel.analysis.explain import Explanation, explain
from backchannel.analysis.formulation import TOL, Group
from backchannel.analysis.instance import Instance, make_instance
from backchannel.analysis.mediation import (
    BrokerRole,
    EscalationRisk,
    ThirdParty,
    escalation_risk,
    mediated,
    mediator_roles,
    third_parties,
)
from backchannel.analysis.ratification import two_level
from backchannel.analysis.robustness import Flip
from backchannel.analysis.robustness import robustness as flip_points
from backchannel.analysis.utility import Loss
from backchannel.analysis.words import KINDS, Namer, join, margin_words
from backchannel.display import Tabular
from backchannel.scenario.arrays import ScenarioArrays, to_arrays
from backchannel.scenario.schema import Scenario

VERDICTS = {
    "own_terms": "Deal reachable on the parties' own terms.",
    "mediated": "Deal reachable only with mediators' or third parties' inducements.",
    "none": "No deal reachable: the veto players' win-sets do not intersect.",
    "razor_thin": "Undecided within 1e-7 (razor-thin): the best package sits on the boundary.",
}


@dataclass(frozen=True)
class Blocker:
    actor: str
    issue: str | None
    kind: str  # agenda | red_line | no_deal_value | ratification | linkage
    score: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "issue": self.issue,
            "kind": self.kind,
            "score": round(self.score, 6),
            "detail": self.detail,
        }


@dataclass(frozen=True, repr=False)
class Analysis(Tabular):
    """Everything :func:`analyze` computes (frozen; ``to_dict`` gives the JSON, ``to_frame``
    its tables)."""

    scenario: str
    loss: str
    deal_possible: bool
    verdict_class: str
    verdict: str
    reasons: tuple[str, ...]
    margin: dict[str, Any]
    zopa: dict[str, dict[str, Any]]
    package: dict[str, Any]
    two_level: dict[str, dict[str, Any]]
    blocking: tuple[Blocker, ...]
    blocking_sets: tuple[dict[str, Any], ...]
    conflicts: tuple[dict[str, Any], ...]
    explanation_complete: bool
    mediators: tuple[BrokerRole, ...]
    third_parties: tuple[ThirdParty, ...]
    mediated: dict[str, Any]
    red_lines_at_status_quo: tuple[dict[str, Any], ...]
    robustness: tuple[Flip, ...] | None
    ripeness: dict[str, Any]
    escalation: EscalationRisk | None
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The analysis as JSON-ready data (keys documented in the README)."""
        return {
            "scenario": self.scenario,
            "loss": self.loss,
            "deal_possible": self.deal_possible,
            "verdict_class": self.verdict_class,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "margin": self.margin,
            "zopa": self.zopa,
            "package": self.package,
            "two_level": self.two_level,
            "blocking": [b.to_dict() for b in self.blocking],
            "blocking_sets": list(self.blocking_sets),
            "conflicts": list(self.conflicts),
            "explanation_complete": self.explanation_complete,
            "mediators": [m.to_dict() for m in self.mediators],
            "third_parties": [t.to_dict() for t in self.third_parties],
            "mediated": self.mediated,
            "red_lines_at_status_quo": list(self.red_lines_at_status_quo),
            "robustness": None
            if self.robustness is None
            else [f.to_dict() for f in self.robustness],
            "ripeness": self.ripeness,
            "escalation": None if self.escalation is None else self.escalation.to_dict(),
            "warnings": list(self.warnings),
        }


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def analyze(
    scenario: Scenario, loss: Loss | None = None, *, robustness: bool | int = False
) -> Analysis:
    """Analyse a scenario: the certified verdict with its reasons, margin and fragility.

    ``robustness``: also find where each input flips the verdict: True for a budget of
    400 programmes, or the number of programmes to spend (inputs not reached are listed
    as such); False to skip (``robustness`` is then None in the JSON).
    """
    loss = loss or scenario.loss
    arrays = to_arrays(scenario)
    if not arrays.veto_players:
        from backchannel.scenario.errors import InputError

        raise InputError(
            "no party holds a veto, so there is no deal to analyse",
            source="scenario",
            fix="mark the parties to the deal as states (or organisations, armed groups) "
            "with `veto: true`",
        )
    inst = make_instance(arrays, loss)
    base = decide(inst)
    names = Namer(scenario, arrays, inst)
    warnings = _warnings(scenario, arrays, inst)
    ex = explain(inst) if not base.deal_possible else Explanation((), (), True, 0)
    blocking = _blockers(names, ex)
    mediators = mediator_roles(scenario, arrays, inst, base)
    thirds = third_parties(scenario, arrays, inst, base)
    med = mediated(scenario, arrays, inst, base)
    if base.razor_thin:
        vclass = "razor_thin"
    elif base.deal_possible:
        vclass = "own_terms"
    elif med["possible"]:
        vclass = "mediated"
    else:
        vclass = "none"
    package = _package(names, inst, base)
    levels = two_level(scenario, arrays, inst, base)
    esc = escalation_risk(scenario)
    margin = {
        "status": base.status,
        "slack": _f(base.slack),
        "lower": _f(base.lower),
        "upper": _f(base.upper),
        "certificate": base.certificate,
        "words": margin_words(base.status, _f(base.slack), base.lower, base.upper),
    }
    flips = None
    if robustness:
        smallest = min((len(s) for s in ex.blocking_sets), default=0)
        solves = 400 if robustness is True else int(robustness)
        flips = tuple(flip_points(scenario, loss, base, solves=solves, min_blocking=smallest))
    at_sq = _red_lines_at_status_quo(names, inst)
    reasons = _reasons(names, base, package, ex, mediators, thirds, med, esc, levels, margin, at_sq)
    return Analysis(
        scenario=scenario.name,
        loss=loss,
        deal_possible=base.deal_possible,
        verdict_class=vclass,
        verdict=VERDICTS[vclass],
        reasons=tuple(reasons),
        margin=margin,
        zopa=issue_zopas(arrays, inst),
        package=package,
        two_level=levels,
        blocking=tuple(blocking),
        blocking_sets=tuple(_sets(names, s, "blocking") for s in ex.blocking_sets),
        conflicts=tuple(_sets(names, s, "conflict") for s in ex.conflicts),
        explanation_complete=ex.complete,
        mediators=tuple(mediators),
        third_parties=tuple(thirds),
        mediated=med,
        red_lines_at_status_quo=tuple(at_sq),
        robustness=flips,
        ripeness=_ripeness(scenario, arrays, inst, base),
        escalation=esc,
        warnings=tuple(warnings),
    )


def issue_zopas(arrays: ScenarioArrays, inst: Instance) -> dict[str, dict[str, Any]]:
    """Per issue: each decider's acceptable interval and the intersection over the deciders
    every ratification needs (all deciders when no one is needed by every path)."""
    st = inst.structure
    who = list(st.forced) or list(st.deciders)
    low = inst.lo + inst.low * inst.span
    high = inst.lo + inst.high * inst.span
    out: dict[str, dict[str, Any]] = {}
    for k, iid in enumerate(arrays.issue_ids):
        zl, zh = float(low[who, k].max()), float(high[who, k].min())
        empty = zl > zh + TOL * inst.span[k]
        out[iid] = {
            "low": None if empty else zl,
            "high": None if empty else zh,
            "empty": bool(empty),
            "acceptable": {
                arrays.actor_ids[a]: [float(low[a, k]), float(high[a, k])] for a in st.deciders
            },
        }
    return out


def _package(names: Namer, inst: Instance, base: Decision) -> dict[str, Any]:
    ids = names.arrays.issue_ids
    feasible = base.deal_possible
    found = bool(np.isfinite(base.x).all())
    relies: list[dict[str, Any]] = []
    if found:
        for k in np.flatnonzero(~base.settled):
            who = [
                names.actor(v)
                for v in inst.structure.deciders
                if inst.has_limit[v, k]
                and inst.separable[v, k]
                and not inst.low[v, k] - 1e-9 <= inst.sq[k] <= inst.high[v, k] + 1e-9
            ]
            if who:
                relies.append({"issue": ids[k], "separable_for": who})
    return {
        "feasible": feasible,
        "agenda": [ids[k] for k in np.flatnonzero(base.settled)] if found else None,
        "deferred": [ids[k] for k in np.flatnonzero(~base.settled)] if found else None,
        "relies_on_deferral": relies,
        "point": {i: float(x) for i, x in zip(ids, base.x, strict=True)} if found else None,
        "ambiguous": {
            ids[k]: [float(base.x[k]), float(base.x[k] + base.e[k])]
            for k in np.flatnonzero(base.e > 1e-9)
        },
        "slack": _f(base.slack),
        "surplus": {
            names.actor(v): _f(float(base.surplus[v]))
            for v in inst.structure.deciders
            if not np.isnan(base.surplus[v])
        }
        if found
        else None,
        "note": "point = the package that maximises the smallest surplus over no deal among "
        "the actors a ratification needs; deferred issues stay at their status quo",
    }


SHOWN = 8  # conflicts shown among the reasons
ORDER = ("requires", "refuses", "red_line", "linkage", "no_deal", "body")


def _sets(names: Namer, groups: tuple[Group, ...], what: str) -> dict[str, Any]:
    def key(g: Group) -> tuple[int, int, int]:
        first = int(names.inst.structure.links[int(g[1])].actor) if g[0] == "linkage" else int(g[1])  # type: ignore[call-overload]
        return (first, ORDER.index(str(g[0])), int(g[2]) if len(g) > 2 else -1)  # type: ignore[call-overload]

    items = [names.constraint(g) for g in sorted(groups, key=key)]
    texts = [c["text"] for c in items]
    if what == "conflict":
        verb = "cannot both hold" if len(texts) == 2 else "cannot all hold"
        text = f"{join(texts)} {verb}" if len(texts) > 1 else f"{texts[0]} cannot hold"
    else:
        text = (
            "A deal opens if "
            + ("this gives way: " if len(texts) == 1 else "all of these give way: ")
            + "; ".join(texts)
        )
    return {"constraints": items, "text": text + "."}


def _blockers(names: Namer, ex: Explanation) -> list[Blocker]:
    """One entry per constraint in any conflict, scored by the share of conflicts it is in
    (plus its salience weight to break ties)."""
    if not ex.conflicts:
        return []
    count: dict[Group, int] = {}
    for c in ex.conflicts:
        for g in c:
            count[g] = count.get(g, 0) + 1
    out = []
    for g, n in count.items():
        actor, issue = names.subject(g)
        w = 0.0
        if g[0] in ("red_line", "requires", "refuses"):
            w = float(names.inst.weight[int(g[1]), int(g[2])])  # type: ignore[call-overload]
        score = n / len(ex.conflicts) + 0.01 * w
        partner = [names.text(h) for c in ex.conflicts if g in c for h in c if h != g]
        detail = names.text(g)
        if partner:
            detail += " conflicts with " + join(list(dict.fromkeys(partner))[:3])
        out.append(Blocker(actor or "", issue, KINDS[str(g[0])], score, detail))
    return sorted(out, key=lambda b: (-b.score, b.actor, b.issue or ""))


def _red_lines_at_status_quo(names: Namer, inst: Instance) -> list[dict[str, Any]]:
    """Red lines the status quo already breaks: the deal must settle those issues (unless
    separable for that actor)."""
    out = []
    for v in inst.structure.deciders:
        for k in range(inst.n_issues):
            sq = inst.sq[k]
            if not inst.has_limit[v, k] or np.isnan(sq):
                continue
            if inst.low[v, k] - 1e-9 <= sq <= inst.high[v, k] + 1e-9:
                continue
            out.append(
                {
                    "actor": names.actor(v),
                    "issue": names.arrays.issue_ids[k],
                    "status_quo": names.num(k, sq),
                    "accepts": [names.num(k, inst.low[v, k]), names.num(k, inst.high[v, k])],
                    "separable": bool(inst.separable[v, k]),
                }
            )
    return out


def _warnings(sc: Scenario, arrays: ScenarioArrays, inst: Instance) -> list[str]:
    out: list[str] = []
    for v in inst.structure.deciders:
        aid = arrays.actor_ids[v]
        if np.isnan(inst.nd[v]):
            out.append(
                f"{aid} has no no-deal value (no status quo on every issue and no "
                "no_deal.utility): only its red lines and rules constrain a deal"
            )
        for k, iss in enumerate(sc.issues):
            lim, pos = arrays.limit[v, k], arrays.position[v, k]
            if np.isnan(lim) or arrays.one_sided[v, k] or lim == pos:
                continue
            mirror = 2 * pos - lim
            if iss.scale.min < mirror < iss.scale.max:
                side = "above" if mirror > pos else "below"
                out.append(
                    f"{aid}'s red line on {iss.id} at {lim:g} (ideal {pos:g}) is mirrored: it "
                    f"also rejects values {side} {mirror:g}; write `limit_side: one_sided` if "
                    f"{aid} accepts anything from {lim:g} on"
                )
        adj = arrays.no_deal_adjustment[v]
        if abs(adj) > 0.5:
            out.append(
                f"{aid}'s no-deal adjustment {adj:+g} is more than half the utility scale: "
                "check its sign and size"
            )
    return out


def _ripeness(
    scenario: Scenario, arrays: ScenarioArrays, inst: Instance, base: Decision
) -> dict[str, Any]:
    hurting = {}
    for p in scenario.parties():
        deciders = scenario.deciders(p.id)
        hurting[p.id] = all(arrays.no_deal_trend[arrays.index(r.id)] < 0 for r in deciders)
    mhs = bool(hurting) and all(hurting.values())
    horizon = 36
    first = None
    if not base.deal_possible and np.any(arrays.no_deal_trend != 0):
        for month in range(1, horizon + 1):
            moved = replace(inst, nd=inst.nd + month * arrays.no_deal_trend)
            if decide(moved).deal_possible:
                first = month
                break
    return {
        "hurting": hurting,
        "mutually_hurting_stalemate": mhs,
        "way_out": base.deal_possible,
        "ripe": bool(mhs and base.deal_possible),
        "months_until_feasible": 0 if base.deal_possible else first,
        "horizon_months": horizon,
    }


def _reasons(
    names: Namer,
    base: Decision,
    package: dict[str, Any],
    ex: Explanation,
    mediators: list[BrokerRole],
    thirds: list[ThirdParty],
    med: dict[str, Any],
    esc: EscalationRisk | None,
    levels: dict[str, Any],
    margin: dict[str, Any],
    at_sq: list[dict[str, Any]],
) -> list[str]:
    sc = names.sc
    out: list[str] = []
    if base.deal_possible:
        settled = ", ".join(sc.issue(i).name for i in package["agenda"] or []) or "nothing"
        out.append(
            f"A package settling {settled} leaves every party that must ratify better off "
            f"than no deal: {margin['words']}."
        )
        if package["deferred"]:
            deferred = ", ".join(sc.issue(i).name for i in package["deferred"])
            out.append(f"It defers {deferred} (left at the status quo).")
        for r in package["relies_on_deferral"]:
            out.append(
                f"It relies on {join(r['separable_for'])} letting {sc.issue(r['issue']).name} "
                "be deferred although its status quo is beyond their red line (separable)."
            )
        for iid, (a, b) in package["ambiguous"].items():
            out.append(
                f"It settles {sc.issue(iid).name} in constructively ambiguous words: "
                f"{a:.4g} to {b:.4g}, each side reading its own point."
            )
    else:
        # one conflict per issue first, then the others, at most SHOWN of them
        first: dict[object, tuple[Group, ...]] = {}
        for c in ex.conflicts:
            first.setdefault(frozenset(names.subject(g)[1] for g in c), c)
        shown = list(dict.fromkeys([*first.values(), *ex.conflicts]))[:SHOWN]
        for c in shown:
            out.append(_sets(names, c, "conflict")["text"])
        if len(ex.conflicts) > len(shown):
            out.append(f"({len(ex.conflicts) - len(shown)} more conflicts in `conflicts`.)")
        if not ex.complete:
            out.append("(The search for conflicts stopped at its limit; there may be more.)")
        if np.isfinite(base.slack):
            out.append(f"The best package: {margin['words']}.")
    for state, info in levels.items():
        if info["negotiator_only_feasible"] and not info["ratified_feasible"]:
            who = ", ".join(info["blocking_ratifiers"]) or "its ratification rule"
            out.append(
                f"Two-level game: {state}'s negotiators could agree, but {who} would not ratify."
            )
        for body in info["bodies"]:
            if not body["passes"] and body["votes_short"] is not None and not base.deal_possible:
                out.append(
                    f"{state}'s {body['name']} ({body['rule']}) would be {body['votes_short']:g} "
                    f"of {body['total_weight']:g} votes short at best."
                )
    if mediators:
        roles = {m.role for m in mediators}
        if base.deal_possible:
            out.append(
                "Mediators can act as formulators: propose a point in the zone of agreement."
            )
        elif roles == {"communicator"}:
            out.append("Mediators are communicators: no one's inducements can open a ZOPA.")
        else:
            mans = [m.name for m in mediators if m.role == "manipulator"]
            out.append(f"Manipulators whose leverage opens a ZOPA: {', '.join(mans)}.")
    if not base.deal_possible and med["possible"]:
        out.append("With inducements: " + med["reason"] + ".")
    for t in thirds:
        if t.effect != "bystander":
            out.append(f"{t.name} is a {t.effect}: {t.reason}.")
    if esc is not None and not base.deal_possible:
        out.append(
            f"What the channels can still do: lower the risk of escalation over "
            f"{esc.horizon_months:g} months from {esc.p_without_channel:.0%} to "
            f"{esc.p_with_channels:.0%}."
        )
    return out
