"""The decision structure of a scenario, compiled to indices for the numerical core.

Who must accept a deal, through which bodies and by which rules, and which linkage
conditions each actor attaches: the parts of a scenario that do not change between Monte
Carlo draws. The numbers that can (member weights, linkage thresholds) live in
:class:`~backchannel.scenario.arrays.ScenarioArrays` (``body_weight``, ``link_value``); the
specs here point at them by slot.

* A *decider* is an actor whose own preferences decide its acceptance (a leaf).
* A *unit* is an actor that accepts through members: explicitly (``ratification``) or
  implicitly (unanimity of its members with ``veto: true``).
* A decider is *forced* if every way of ratifying needs it (unanimity all the way up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from backchannel.scenario.rules import Body, Condition
    from backchannel.scenario.schema import Scenario

AtomKind = Literal["settled", "deferred", "at_least", "at_most"]


@dataclass(frozen=True)
class BodySpec:
    """A body: its members (actor indices; a member that is itself a unit passes if that
    unit accepts) and its rule: weight share ``share`` (``strict``: must be exceeded),
    for double majorities a share of members by number ``count_share``, and
    ``min_blocking`` (passes unless at least that many members reject)."""

    id: str
    name: str
    unit: int
    path: int
    members: tuple[int, ...]
    slots: tuple[int, ...]
    rule: str
    share: float
    strict: bool
    count_share: float | None
    min_blocking: int | None
    explicit: bool
    describe: str


@dataclass(frozen=True)
class UnitSpec:
    """An actor that ratifies through members: alternative paths of bodies (all must pass)."""

    actor: int
    paths: tuple[tuple[int, ...], ...]
    path_names: tuple[str, ...]


@dataclass(frozen=True)
class AtomSpec:
    issue: int
    kind: AtomKind
    slot: int = -1  # index into link_value for at_least / at_most


@dataclass(frozen=True)
class LinkSpec:
    actor: int
    when: AtomSpec
    then: AtomSpec
    index: int  # position in the actor's linkage list


@dataclass(frozen=True)
class Structure:
    parties: tuple[int, ...]
    units: tuple[UnitSpec, ...]
    bodies: tuple[BodySpec, ...]
    links: tuple[LinkSpec, ...]
    deciders: tuple[int, ...]
    forced: tuple[int, ...]

    def unit(self, actor: int) -> UnitSpec | None:
        for u in self.units:
            if u.actor == actor:
                return u
        return None

    @property
    def unanimous(self) -> bool:
        """Every decider is forced and there is no linkage: the plain veto-player game."""
        return set(self.forced) == set(self.deciders) and not self.links


def negate(a: AtomSpec) -> AtomSpec:
    """The closed complement of an atom (``x >= v`` -> ``x <= v``)."""
    flip: dict[AtomKind, AtomKind] = {
        "settled": "deferred",
        "deferred": "settled",
        "at_least": "at_most",
        "at_most": "at_least",
    }
    return AtomSpec(a.issue, flip[a.kind], a.slot)


def compile_structure(
    sc: Scenario,
) -> tuple[Structure, list[float], list[float]]:
    """The structure of ``sc`` with the central values of body weights and link values."""
    ids = [a.id for a in sc.actors]
    issue_ids = [i.id for i in sc.issues]
    weights: list[float] = []
    link_values: list[float] = []
    units: dict[int, UnitSpec] = {}
    bodies: list[BodySpec] = []
    deciders: dict[int, None] = {}

    def add_unit(uid: str) -> None:
        u = ids.index(uid)
        if u in units:
            return
        actor = sc.actor(uid)
        spec_paths: list[list[tuple[str, str, list[tuple[str, float]], Body | None]]]
        if actor.ratification is None:
            members = [m for m in sc.members_of(uid) if m.has_veto]
            if not members:
                deciders.setdefault(u)
                return
            spec_paths = [[("ratification", uid, [(m.id, 1.0) for m in members], None)]]
            path_names = ["unanimity of its veto members"]
        else:
            spec_paths = [
                [
                    (b.id, b.name or b.id, [(m, w.value) for m, w in b.members.items()], b)
                    for b in p.bodies
                ]
                for p in actor.ratification.paths
            ]
            path_names = [p.name or p.id for p in actor.ratification.paths]
        paths: list[tuple[int, ...]] = []
        units[u] = UnitSpec(u, (), ())  # placeholder: guards against re-entry
        for p_i, path in enumerate(spec_paths):
            body_ix: list[int] = []
            for bid, bname, members_w, body in path:
                slots = []
                for _m, w in members_w:
                    slots.append(len(weights))
                    weights.append(w)
                member_ix = tuple(ids.index(m) for m, _ in members_w)
                if body is None:
                    share, strict, count, mb, rule = 1.0, False, None, None, "unanimity"
                    text = "unanimity (every member)"
                else:
                    share, strict = body.share_needed()
                    count = body.quota if body.rule == "double_majority" else None
                    mb, rule, text = body.min_blocking, body.rule, body.describe()
                bodies.append(
                    BodySpec(
                        id=bid,
                        name=bname,
                        unit=u,
                        path=p_i,
                        members=member_ix,
                        slots=tuple(slots),
                        rule=rule,
                        share=share,
                        strict=strict,
                        count_share=count,
                        min_blocking=mb,
                        explicit=body is not None,
                        describe=text,
                    )
                )
                body_ix.append(len(bodies) - 1)
                for m, _ in members_w:
                    if m == uid:
                        deciders.setdefault(u)
                    else:
                        add_unit(m)
            paths.append(tuple(body_ix))
        units[u] = UnitSpec(u, tuple(paths), tuple(path_names))

    parties = [ids.index(p.id) for p in sc.parties()]
    for p in sc.parties():
        add_unit(p.id)

    def atom(c: Condition) -> AtomSpec:
        k = issue_ids.index(c.issue)
        if c.settled is not None:
            return AtomSpec(k, "settled" if c.settled else "deferred")
        kind: AtomKind = "at_least" if c.at_least is not None else "at_most"
        qty = c.at_least if c.at_least is not None else c.at_most
        assert qty is not None
        link_values.append(qty.value)
        return AtomSpec(k, kind, len(link_values) - 1)

    links: list[LinkSpec] = []
    for d in sorted(deciders):
        for j, link in enumerate(sc.actors[d].linkage):
            links.append(LinkSpec(d, atom(link.when), atom(link.then), j))

    body_list = tuple(bodies)
    unit_map = dict(units)

    def forced_of(u: int) -> set[int]:
        spec = unit_map.get(u)
        if spec is None or not spec.paths:
            return {u}
        per_path = []
        for path in spec.paths:
            need: set[int] = set()
            for b in path:
                body = body_list[b]
                if body.rule == "unanimity" and body.min_blocking is None:
                    for m in body.members:
                        need |= {m} if m == u else forced_of(m)
            per_path.append(need)
        return set.intersection(*per_path) if per_path else set()

    forced: set[int] = set()
    for party in parties:
        forced |= forced_of(party)
    structure = Structure(
        parties=tuple(parties),
        units=tuple(units[u] for u in sorted(units)),
        bodies=body_list,
        links=tuple(links),
        deciders=tuple(sorted(deciders)),
        forced=tuple(sorted(forced & set(deciders))),
    )
    return structure, weights, link_values
