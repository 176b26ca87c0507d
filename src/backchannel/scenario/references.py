"""Cross-reference checks of a scenario, every problem at once, each with its place and fix.

Field-level checks are pydantic's; these are the checks that need the whole scenario (ids
that must exist, parents, ratification members, positions every decider needs). Each
problem carries the path of the field concerned (``["actors", 2, "positions"]``) so the
loader can name the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backchannel.scenario.schema import BROKER_KINDS, UNIT_KINDS

if TYPE_CHECKING:
    from backchannel.scenario.rules import Condition
    from backchannel.scenario.schema import Scenario

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.message, "fix": self.fix}


def reference_problems(sc: Scenario) -> list[Problem]:
    """Every cross-reference problem of ``sc`` (empty if there is none)."""
    out: list[Problem] = []
    issue_ids = [i.id for i in sc.issues]
    actor_ids = [a.id for a in sc.actors]
    for key, ids in (("issues", issue_ids), ("actors", actor_ids)):
        seen: set[str] = set()
        for n, x in enumerate(ids):
            if x in seen:
                out.append(
                    Problem(
                        (key, n, "id"),
                        f"duplicate {key[:-1]} id {x!r}",
                        "rename one of them: ids must be unique",
                    )
                )
            seen.add(x)
    if out:
        return out  # the other checks would be ambiguous
    issues = {i.id: i for i in sc.issues}
    actors = {a.id: a for a in sc.actors}
    known_issues = f"known issues: {sorted(issues)}"

    def unknown_issue(loc: Loc, who: str, iid: str, verb: str = "names") -> Problem:
        return Problem(
            loc,
            f"{who} {verb} unknown issue {iid!r}",
            f"use one of the known issue ids ({known_issues}), or add the issue under `issues:`",
        )

    def check_condition(loc: Loc, who: str, c: Condition) -> None:
        if c.issue not in issues:
            out.append(unknown_issue((*loc, "issue"), who, c.issue))
            return
        sc_ = issues[c.issue].scale
        for name in ("at_least", "at_most"):
            v = getattr(c, name)
            if v is not None and not sc_.min <= v.value <= sc_.max:
                out.append(
                    Problem(
                        (*loc, name),
                        f"{who}: {name} {v.value:g} lies outside the scale of {c.issue!r} "
                        f"[{sc_.min:g}, {sc_.max:g}]",
                        "move it inside the issue's scale",
                    )
                )

    for n, a in enumerate(sc.actors):
        here: Loc = ("actors", n)
        who = f"actor {a.id!r}"
        for iid, st in a.positions.items():
            if iid not in issues:
                out.append(unknown_issue((*here, "positions", iid), who, iid, "has a position on"))
                continue
            scale = issues[iid].scale
            for fname in ("position", "limit"):
                v = getattr(st, fname)
                if v is not None and not scale.min <= v.value <= scale.max:
                    out.append(
                        Problem(
                            (*here, "positions", iid, fname),
                            f"{who}, issue {iid!r}: {fname} {v.value:g} lies outside the "
                            f"issue's scale [{scale.min:g}, {scale.max:g}]",
                            "move it inside the issue's scale, or widen the scale",
                        )
                    )
        for field in ("requires", "refuses", "separable"):
            for j, iid in enumerate(getattr(a.agenda, field)):
                if iid not in issues:
                    out.append(unknown_issue((*here, "agenda", field, j), f"{who}: agenda", iid))
        for j, link in enumerate(a.linkage):
            for side in ("when", "then"):
                check_condition((*here, "linkage", j, side), f"{who}: linkage", getattr(link, side))
        if a.parent is not None:
            parent = actors.get(a.parent)
            if parent is None:
                out.append(
                    Problem(
                        (*here, "parent"),
                        f"{who}: parent {a.parent!r} is not an actor of this scenario",
                        "name the id of a state, organisation or armed group under `actors:`",
                    )
                )
            elif parent.kind not in UNIT_KINDS:
                out.append(
                    Problem(
                        (*here, "parent"),
                        f"{who}: parent {a.parent!r} is a {parent.kind.value}; a parent must "
                        "be a state, an organisation or an armed group",
                        "name the party this actor belongs to as its parent",
                    )
                )
        for j, ind in enumerate(a.inducements):
            if ind.target not in actors:
                out.append(
                    Problem(
                        (*here, "inducements", j, "target"),
                        f"{who}: inducement targets unknown actor {ind.target!r}",
                        "target the id of an actor listed under `actors:`",
                    )
                )
        if a.ratification is not None:
            for p_i, path in enumerate(a.ratification.paths):
                for b_i, body in enumerate(path.bodies):
                    loc = (*here, "ratification", "paths", p_i, "bodies", b_i, "members")
                    for m in body.members:
                        member = actors.get(m)
                        if member is None:
                            out.append(
                                Problem(
                                    (*loc, m),
                                    f"{who}: body {body.id!r} names unknown member {m!r}",
                                    "list actors of this scenario (with this actor as their "
                                    "parent) as members",
                                )
                            )
                        elif member.kind in BROKER_KINDS:
                            out.append(
                                Problem(
                                    (*loc, m),
                                    f"{who}: body {body.id!r} lists the {member.kind.value} "
                                    f"{m!r}, which stands outside the deal",
                                    "list the party's own members (factions, parties, blocs)",
                                )
                            )
                        elif m != a.id and member.parent != a.id:
                            out.append(
                                Problem(
                                    (*loc, m),
                                    f"{who}: body {body.id!r} lists {m!r}, whose parent is "
                                    f"{member.parent!r}, not {a.id!r}",
                                    f"give {m!r} `parent: {a.id}`, or list the actor itself",
                                )
                            )
    out += _cycles(sc)
    if any(p.loc[-1] == "parent" or "ratification" in p.loc for p in out):
        return out  # deciders cannot be worked out
    index = {a.id: n for n, a in enumerate(sc.actors)}
    for p in sc.parties_and_ratifiers():
        missing = [i for i in issue_ids if i not in p.positions]
        if missing:
            out.append(
                Problem(
                    ("actors", index[p.id], "positions"),
                    f"actor {p.id!r} can decide whether a deal is accepted, so it needs a "
                    f"position on every issue; missing: {missing}",
                    "add a position on each missing issue, or set `veto: false` if this actor "
                    "need not agree",
                )
            )
    if sc.outcome is not None:
        o = sc.outcome
        for field in ("settled", "deferred", "blocking_issues"):
            for j, iid in enumerate(getattr(o, field)):
                if iid not in issues:
                    out.append(unknown_issue(("outcome", field, j), "outcome", iid))
        named: list[tuple[Loc, str]] = [
            *((("outcome", "blocked_by", j), aid) for j, aid in enumerate(o.blocked_by)),
            *((("outcome", "mediator_roles", aid), aid) for aid in o.mediator_roles),
        ]
        for loc, aid in named:
            if aid not in actors:
                out.append(
                    Problem(
                        loc,
                        f"outcome names unknown actor {aid!r}",
                        "use the id of an actor listed under `actors:`",
                    )
                )
    if sc.timeline is not None and not out:  # events apply to a scenario without problems
        from backchannel.scenario.timeline_checks import timeline_problems

        out += timeline_problems(sc)
    return out


def _cycles(sc: Scenario) -> list[Problem]:
    """Parent chains that loop."""
    parent = {a.id: a.parent for a in sc.actors}
    out: list[Problem] = []
    for n, a in enumerate(sc.actors):
        seen = {a.id}
        cur = a.parent
        while cur is not None and cur in parent:
            if cur in seen:
                out.append(
                    Problem(
                        ("actors", n, "parent"),
                        f"actor {a.id!r}: its parents form a cycle through {cur!r}",
                        "make the parent chain end at a party without a parent",
                    )
                )
                break
            seen.add(cur)
            cur = parent[cur]
    return out
