"""A concrete plan put to the vote: who accepts it, which bodies ratify it, by how much.

A proposal settles some issues at given values (or as an ambiguous interval) and defers the
rest (they stay at their status quo). It is judged with plain arithmetic
(:mod:`.evaluate`): each decider's red lines, agenda demands, linkage and surplus over no
deal; each ratifying body's vote against its rule; each party's acceptance. For every
decider who rejects it: how far its red lines would have to move (in scale units) and how
much lower it would have to value no deal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from backchannel.analysis.evaluate import check_package, margin, ratify
from backchannel.analysis.formulation import TOL
from backchannel.analysis.instance import make_instance
from backchannel.analysis.utility import Loss
from backchannel.analysis.words import Namer
from backchannel.display import Tabular
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario

Setting = float | tuple[float, float] | str  # a value, an ambiguous interval, or "defer"


@dataclass(frozen=True, repr=False)
class ProposalResult(Tabular):
    """A plan put to the vote (see :func:`evaluate_proposal`)."""

    scenario: str
    ratified: bool
    margin: float | None
    package: dict[str, Any]
    actors: tuple[dict[str, Any], ...]
    parties: dict[str, bool]
    bodies: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """The votes as JSON-ready data."""
        return {
            "scenario": self.scenario,
            "ratified": self.ratified,
            "margin": self.margin,
            "package": self.package,
            "actors": list(self.actors),
            "parties": self.parties,
            "bodies": list(self.bodies),
        }


def parse_package(scenario: Scenario, raw: Mapping[str, Any], source: str) -> dict[str, Setting]:
    """Check a proposal's ``{issue: value | [low, high] | "defer"}`` against the scenario."""
    out: dict[str, Setting] = {}
    known = {i.id: i for i in scenario.issues}
    problems = []
    for iid, val in raw.items():
        issue = known.get(str(iid))
        if issue is None:
            problems.append(f"unknown issue {iid!r} (known: {sorted(known)})")
            continue
        lo, hi = issue.scale.min, issue.scale.max
        if isinstance(val, str) and val.strip().lower() == "defer":
            if issue.status_quo is None:
                problems.append(f"{iid}: cannot be deferred, it has no status quo")
            out[iid] = "defer"
            continue
        vals = val if isinstance(val, list | tuple) else [val]
        if (
            len(vals) not in (1, 2)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
            or not all(np.isfinite(v) for v in vals)
        ):
            problems.append(f"{iid}: write a number, [low, high] or defer, not {val!r}")
            continue
        if not all(lo <= v <= hi for v in vals) or (len(vals) == 2 and vals[0] > vals[1]):
            problems.append(f"{iid}: {val!r} must lie within the scale [{lo:g}, {hi:g}], low first")
            continue
        out[iid] = float(vals[0]) if len(vals) == 1 else (float(vals[0]), float(vals[1]))
    if problems:
        raise InputError(
            "; ".join(problems),
            source=source,
            fix="give each issue id a value on its scale (nuclear: 45), an interval "
            "(oil: [40, 60]) or `defer`; issues left out stay at their status quo",
        )
    missing = [i.id for i in scenario.issues if i.id not in out and i.status_quo is None]
    if missing:
        raise InputError(
            f"the proposal must settle {missing}: they have no status quo to stay at",
            source=source,
            fix="give those issues a value",
        )
    return out


def evaluate_proposal(
    scenario: Scenario, package: Mapping[str, Setting], loss: Loss | None = None
) -> ProposalResult:
    """Put ``package`` (from :func:`parse_package`) to every ratification of the scenario."""
    loss = loss or scenario.loss
    arrays = to_arrays(scenario)
    inst = make_instance(arrays, loss)
    names = Namer(scenario, arrays, inst)
    k_n = inst.n_issues
    x = np.nan_to_num(inst.sq.copy())
    e = np.zeros(k_n)
    settled = np.zeros(k_n, dtype=bool)
    for k, iid in enumerate(arrays.issue_ids):
        setting = package.get(iid, "defer")
        if setting == "defer":
            continue
        settled[k] = True
        a, b = setting if isinstance(setting, tuple) else (setting, setting)
        x[k] = (float(a) - inst.lo[k]) / inst.span[k]
        e[k] = (float(b) - float(a)) / inst.span[k]
    check = check_package(inst, x, e, settled)
    st = inst.structure
    accepts = np.zeros(len(arrays.actor_ids), dtype=bool)
    actors = []
    for v in st.deciders:
        sur = float(check.surplus[v])
        ok = check.own_ok(v) and sur >= -TOL
        accepts[v] = ok
        moves = []
        for g in check.broken.get(v, ()):
            item: dict[str, Any] = {"constraint": names.constraint(g)}
            if g[0] == "red_line":
                k = int(g[2])  # type: ignore[call-overload]
                gap = max(inst.low[v, k] - (x[k] + e[k]), x[k] - inst.high[v, k], 0.0)
                item["move"] = float(gap * inst.span[k])
                item["unit"] = "scale points"
            moves.append(item)
        if sur < -TOL:
            moves.append(
                {
                    "constraint": names.constraint(("no_deal", v)),
                    "move": float(-sur),
                    "unit": "utility (how much lower it must value no deal)",
                }
            )
        actors.append(
            {
                "actor": names.actor(v),
                "accepts": bool(ok),
                "surplus": None if not np.isfinite(sur) else sur,
                "must_move": moves,
            }
        )
    rat = ratify(inst, accepts)
    bodies = []
    for bv in rat.bodies:
        body = st.bodies[bv.body]
        total = float(inst.body_weight[list(body.slots)].sum())
        bodies.append(
            {
                "party": names.actor(body.unit),
                "body": body.name,
                "rule": body.describe,
                "support": bv.support,
                "needed": bv.needed,
                "passes": bv.passes,
                "yes": [names.actor(m) for m in bv.yes],
                "no": [names.actor(m) for m in bv.no],
                "votes_short": max(0.0, (bv.needed - bv.support) * total) if not bv.passes else 0.0,
            }
        )
    parties = {names.actor(p): bool(rat.units.get(p, accepts[p])) for p in st.parties}
    m = margin(inst, check)
    shown = {
        iid: (
            "defer"
            if not settled[k]
            else [
                float(inst.lo[k] + x[k] * inst.span[k]),
                float(inst.lo[k] + (x[k] + e[k]) * inst.span[k]),
            ]
            if e[k] > 0
            else float(inst.lo[k] + x[k] * inst.span[k])
        )
        for k, iid in enumerate(arrays.issue_ids)
    }
    return ProposalResult(
        scenario=scenario.name,
        ratified=bool(rat.deal),
        margin=float(m) if np.isfinite(m) else None,
        package=shown,
        actors=tuple(actors),
        parties=parties,
        bodies=tuple(bodies),
    )
