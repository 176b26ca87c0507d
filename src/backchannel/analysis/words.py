"""Constraint groups and margins in words an analyst reads."""

from __future__ import annotations

from typing import Any

import numpy as np

from backchannel.analysis.formulation import Group
from backchannel.analysis.instance import Instance
from backchannel.scenario.arrays import ScenarioArrays
from backchannel.scenario.schema import Scenario
from backchannel.scenario.structure import AtomSpec

#: the kind of blocker each constraint group is (the ``blocking[].kind`` of the JSON)
KINDS = {
    "red_line": "red_line",
    "no_deal": "no_deal_value",
    "requires": "agenda",
    "refuses": "agenda",
    "linkage": "linkage",
    "body": "ratification",
}


class Namer:
    """Names of actors, issues and values of one scenario."""

    def __init__(self, scenario: Scenario, arrays: ScenarioArrays, inst: Instance) -> None:
        self.sc = scenario
        self.arrays = arrays
        self.inst = inst

    def actor(self, v: int) -> str:
        return self.arrays.actor_ids[v]

    def issue(self, k: int) -> str:
        return self.sc.issues[k].name

    def num(self, k: int, scaled: float) -> float:
        return float(self.inst.lo[k] + scaled * self.inst.span[k])

    def interval(self, v: int, k: int) -> str:
        lo, hi = self.num(k, self.inst.low[v, k]), self.num(k, self.inst.high[v, k])
        return f"{lo:.4g} to {hi:.4g}"

    def atom(self, a: AtomSpec) -> str:
        name = self.issue(a.issue)
        if a.kind == "settled":
            return f"the deal settles {name}"
        if a.kind == "deferred":
            return f"the deal defers {name}"
        word = "at least" if a.kind == "at_least" else "at most"
        return f"{name} is {word} {self.num(a.issue, self.inst.link_value[a.slot]):.4g}"

    def subject(self, g: Group) -> tuple[str | None, str | None]:
        """(actor id, issue id) a group concerns."""
        kind = g[0]
        if kind in ("red_line", "requires", "refuses"):
            v, k = int(g[1]), int(g[2])  # type: ignore[call-overload]
            return self.actor(v), self.arrays.issue_ids[k]
        if kind == "no_deal":
            return self.actor(int(g[1])), None  # type: ignore[call-overload]
        if kind == "linkage":
            link = self.inst.structure.links[int(g[1])]  # type: ignore[call-overload]
            return self.actor(link.actor), self.arrays.issue_ids[link.when.issue]
        body = self.inst.structure.bodies[int(g[1])]  # type: ignore[call-overload]
        return self.actor(body.unit), None

    def text(self, g: Group) -> str:
        """One constraint in words."""
        kind = g[0]
        if kind == "red_line":
            v, k = int(g[1]), int(g[2])  # type: ignore[call-overload]
            sq = self.inst.sq[k]
            text = f"{self.actor(v)}'s red line on {self.issue(k)} (accepts {self.interval(v, k)})"
            outside = not np.isnan(sq) and not (
                self.inst.low[v, k] - 1e-9 <= sq <= self.inst.high[v, k] + 1e-9
            )
            if outside and not self.inst.separable[v, k]:
                text = text[:-1] + f"; its status quo {self.num(k, sq):.4g} is beyond it)"
            return text
        if kind == "requires":
            v, k = int(g[1]), int(g[2])  # type: ignore[call-overload]
            return f"{self.actor(v)}'s demand that the deal settle {self.issue(k)}"
        if kind == "refuses":
            v, k = int(g[1]), int(g[2])  # type: ignore[call-overload]
            return f"{self.actor(v)}'s refusal to negotiate {self.issue(k)}"
        if kind == "no_deal":
            v = int(g[1])  # type: ignore[call-overload]
            return f"{self.actor(v)}'s no-deal value ({self.inst.nd[v]:+.3f})"
        if kind == "linkage":
            link = self.inst.structure.links[int(g[1])]  # type: ignore[call-overload]
            return (
                f"{self.actor(link.actor)}'s linkage (accepts a deal in which "
                f"{self.atom(link.when)} only if {self.atom(link.then)})"
            )
        body = self.inst.structure.bodies[int(g[1])]  # type: ignore[call-overload]
        return f"{self.actor(body.unit)}'s {body.name} rule: {body.describe}"

    def constraint(self, g: Group) -> dict[str, Any]:
        actor, issue = self.subject(g)
        return {"kind": KINDS[str(g[0])], "actor": actor, "issue": issue, "text": self.text(g)}


def join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def margin_words(status: str, slack: float | None, lower: float, upper: float) -> str:
    """The margin of a verdict, as an analyst reads it."""
    if status == "razor_thin":
        return (
            f"undecided within 1e-7 (razor-thin): the best package's margin lies between "
            f"{lower:+.2e} and {upper:+.2e} utility"
        )
    if slack is None or not np.isfinite(slack):
        if status == "deal":
            return "no decider has a no-deal value: only red lines and rules constrain the deal"
        return "the red lines, agenda and rules alone exclude every package"
    if upper - lower > 1e-3 and np.isfinite(upper) and np.isfinite(lower):
        return (
            f"margin between {lower:+.3f} and {upper:+.3f} utility (bracketed: the voting game "
            "is too large to maximise exactly; the verdict itself is certain)"
        )
    pct = abs(slack) * 100
    size = "razor-thin" if pct < 0.1 else "thin" if pct < 2 else "clear" if pct < 10 else "wide"
    if status == "deal":
        return (
            f"{size} margin: the worst-off party that must ratify gains {slack:.3f} utility "
            f"over no deal ({pct:.2g}% of the way from its worst to its ideal outcome)"
        )
    return (
        f"{size} gap: the best package leaves some party that must ratify {-slack:.3f} "
        f"utility short of its no-deal value ({pct:.2g}% of the utility scale)"
    )
