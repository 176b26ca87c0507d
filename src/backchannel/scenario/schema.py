"""The scenario schema: actors, issues, positions, limits, no-deal values, rules, mediators.

A scenario is what an analyst writes down about a negotiation. It is validated by pydantic
(v2) and published as JSON Schema (``backchannel schema``). Units:

* issue positions are on each issue's own scale ``[scale.min, scale.max]``;
* salience is 0-100 (how much an issue matters to an actor relative to its other issues);
* capability is any non-negative relative number (only ratios between actors matter);
* utilities are on the normalised scale of :mod:`backchannel.analysis.utility`: 0 is an
  actor's ideal on every issue, -1 the far end of every scale (linear loss).

Every numeric input is a :class:`~backchannel.scenario.base.Quantity` (a number with its
source note and optional range). Ratification rules and linkage are in
:mod:`backchannel.scenario.rules`; a coded case's metadata and outcome in
:mod:`backchannel.scenario.case`; dated events and interim agreements in
:mod:`backchannel.scenario.timeline`; cross-references are checked by
:mod:`backchannel.scenario.references`, which reports every problem at once.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from backchannel.scenario.base import Identifier, Quantity, Uncertainty, _Strict, q
from backchannel.scenario.case import CaseInfo, Outcome
from backchannel.scenario.rules import Linkage, Ratification
from backchannel.scenario.timeline import Timeline

__all__ = [
    "Actor",
    "ActorKind",
    "Agenda",
    "Anchor",
    "Escalation",
    "Identifier",
    "Inducement",
    "Issue",
    "NoDeal",
    "Quantity",
    "Scale",
    "Scenario",
    "Stance",
    "Uncertainty",
    "q",
]


class ActorKind(StrEnum):
    """What an actor is. Parties to a deal (``veto`` by default when they have no parent):
    ``state``, ``organisation`` (the EU, an alliance), ``armed_group``. Inside a party:
    ``faction`` (a camp of a government), ``party`` (a political party in a legislature),
    ``electorate`` (a bloc of voters in a referendum). Outside the deal: ``mediator`` and
    ``third_party`` (a state or organisation that supports or spoils it)."""

    STATE = "state"
    ORGANISATION = "organisation"
    ARMED_GROUP = "armed_group"
    FACTION = "faction"
    PARTY = "party"
    ELECTORATE = "electorate"
    MEDIATOR = "mediator"
    THIRD_PARTY = "third_party"


#: kinds that can be a party to the deal, and ratify through members
UNIT_KINDS = frozenset({ActorKind.STATE, ActorKind.ORGANISATION, ActorKind.ARMED_GROUP})
#: kinds that only exist inside a party (they need a parent)
MEMBER_KINDS = frozenset({ActorKind.FACTION, ActorKind.PARTY, ActorKind.ELECTORATE})
#: kinds outside the deal
BROKER_KINDS = frozenset({ActorKind.MEDIATOR, ActorKind.THIRD_PARTY})


class Scale(_Strict):
    min: float = 0.0
    max: float = 100.0

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError("scale bounds must be finite numbers")
        if not self.min < self.max:
            raise ValueError(
                f"scale min ({self.min}) must be below max ({self.max}); swap them or widen"
            )
        return self


class Anchor(_Strict):
    value: float
    label: str = Field(min_length=1)


class Issue(_Strict):
    """An issue as a one-dimensional scale with labelled anchor points.

    ``status_quo`` is the reversion point: where the issue stays if there is no deal, and
    where a deal that does not settle it leaves it. Red lines bind a deal's status quo too,
    unless the issue is ``separable`` (a deal may defer it: an interim agreement) or the
    actor lists it under ``agenda.separable``. ``ambiguity`` (scale units): a deal may
    settle the issue in words each side reads its own way (constructive ambiguity), an
    interval at most this wide of which each actor reads the point nearest its ideal.
    """

    id: Identifier
    name: str = Field(min_length=1)
    description: str | None = None
    scale: Scale = Scale()
    anchors: list[Anchor] = Field(default_factory=list)
    status_quo: Quantity | None = None
    separable: bool = False
    ambiguity: Quantity | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _inside(self) -> Issue:
        for a in self.anchors:
            if not self.scale.min <= a.value <= self.scale.max:
                raise ValueError(
                    f"anchor {a.label!r} at {a.value} lies outside the scale "
                    f"[{self.scale.min}, {self.scale.max}]"
                )
        sq = q(self.status_quo)
        if sq is not None and not self.scale.min <= sq <= self.scale.max:
            raise ValueError(
                f"status_quo {sq} lies outside the scale [{self.scale.min}, {self.scale.max}]"
            )
        amb = q(self.ambiguity)
        if amb is not None and not 0.0 <= amb <= self.scale.max - self.scale.min:
            raise ValueError(
                f"ambiguity {amb} must lie between 0 and the scale's span "
                f"({self.scale.max - self.scale.min:g})"
            )
        return self

    def label(self, value: float) -> str:
        """``value`` with the label of an anchor within 5% of the scale: ``45 (controlled:
        ...)``; the bare number otherwise."""
        text = f"{value:.4g}"
        if not self.anchors:
            return text
        near = min(self.anchors, key=lambda a: abs(a.value - value))
        if abs(near.value - value) <= 0.05 * (self.scale.max - self.scale.min):
            return f"{text} ({near.label})"
        return text


class Stance(_Strict):
    """One actor on one issue.

    ``position``: ideal point on the issue scale. ``salience``: 0-100. ``capability``:
    overrides the actor's capability on this issue. ``limit``: the reservation point (red
    line), the worst value on this issue the actor can accept in any deal. By default
    (``limit_side: both``) preferences are symmetric around the ideal, so the red line is
    mirrored: the acceptable interval is ``|x - position| <= |limit - position|`` (ideal 50,
    limit 40 accepts 40 to 60). ``limit_side: one_sided`` accepts everything from the limit
    towards the ideal and beyond (ideal 50, limit 40 accepts 40 up to the scale's end).
    """

    position: Quantity
    salience: Quantity = Quantity(value=50.0)
    capability: Quantity | None = None
    limit: Quantity | None = None
    limit_side: Literal["both", "one_sided"] = "both"
    note: str | None = None

    @field_validator("salience")
    @classmethod
    def _salience_range(cls, v: Quantity) -> Quantity:
        if not 0.0 <= v.value <= 100.0:
            raise ValueError(f"salience must lie in 0-100, got {v.value}")
        return v

    @field_validator("capability")
    @classmethod
    def _capability_range(cls, v: Quantity | None) -> Quantity | None:
        if v is not None and v.value < 0:
            raise ValueError(f"capability must not be negative, got {v.value}")
        return v


class Agenda(_Strict):
    """Agenda constraints: issues an actor insists a deal settles (``requires``), refuses to
    negotiate (``refuses``), or lets a deal defer without its red line binding the status
    quo (``separable``)."""

    requires: list[Identifier] = Field(default_factory=list)
    refuses: list[Identifier] = Field(default_factory=list)
    separable: list[Identifier] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _disjoint(self) -> Agenda:
        both = sorted(set(self.requires) & set(self.refuses))
        if both:
            raise ValueError(f"issue(s) {both} are both required and refused by the same actor")
        return self


class NoDeal(_Strict):
    """An actor's no-deal value (BATNA).

    Either ``utility`` (on the normalised utility scale, 0 = ideal, -1 = worst) is given
    directly, or it is the utility of the issues' status quo plus ``adjustment`` (the costs
    (<0) or benefits (>0) of no deal that the issue positions do not capture, e.g.
    sanctions pain). ``trend`` is the change of that value per month (negative: no deal is
    getting worse for this actor: a hurting stalemate).
    """

    utility: Quantity | None = None
    adjustment: Quantity = Quantity(value=0.0)
    trend: Quantity = Quantity(value=0.0)
    note: str | None = None

    @field_validator("utility")
    @classmethod
    def _utility_range(cls, v: Quantity | None) -> Quantity | None:
        if v is not None and not -1.0 <= v.value <= 0.0:
            raise ValueError(f"no-deal utility must lie in [-1, 0], got {v.value}")
        return v


class Inducement(_Strict):
    """What a mediator or third party can deliver to one actor.

    With ``aim: deal`` (the default) it makes a deal more attractive to the target than no
    deal: ``side_payment`` adds ``amount`` utility to the target's value of a deal,
    ``pressure`` lowers its no-deal value by ``amount``, ``assurance`` (guarantees) works
    like a side payment but is not economic. With ``aim: no_deal`` it does the opposite (a
    spoiler backing the target to hold out): the target's no-deal value rises by
    ``amount``. ``credibility`` (0-1) scales what the party can actually deliver.
    """

    target: Identifier
    kind: Literal["side_payment", "pressure", "assurance"]
    aim: Literal["deal", "no_deal"] = "deal"
    amount: Quantity
    credibility: Quantity = Quantity(value=1.0)
    note: str | None = None

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Quantity) -> Quantity:
        if not 0.0 <= v.value <= 1.0:
            raise ValueError(f"inducement amount is a utility in [0, 1], got {v.value}")
        return v

    @field_validator("credibility")
    @classmethod
    def _cred(cls, v: Quantity) -> Quantity:
        if not 0.0 <= v.value <= 1.0:
            raise ValueError(f"credibility must lie in [0, 1], got {v.value}")
        return v

    @property
    def sign(self) -> float:
        """-1 if it lowers the target's no-deal value relative to a deal, +1 if it raises it."""
        return -1.0 if self.aim == "deal" else 1.0


class Actor(_Strict):
    """An actor (see :class:`ActorKind` for the kinds).

    A party to the deal is an actor of a unit kind (state, organisation, armed group)
    without a ``parent`` and with ``veto`` (the default for these kinds). It accepts a deal
    through ``ratification`` (:mod:`backchannel.scenario.rules`), or, without one, through
    the unanimity of its members with ``veto: true`` (two-level game), or by itself.
    ``negotiator: true`` marks a member that sits at the table (the level-1 check).
    ``linkage``: conditions under which the actor accepts a deal. ``channel`` (0-1): how
    much of the escalation risk from incidents a mediator's channel removes; ``incidents``:
    extra incidents a month the actor causes (a spoiler's attacks).
    """

    id: Identifier
    name: str = Field(min_length=1)
    kind: ActorKind
    parent: Identifier | None = None
    veto: bool | None = None
    negotiator: bool = False
    capability: Quantity = Quantity(value=1.0)
    positions: dict[Identifier, Stance] = Field(default_factory=dict)
    no_deal: NoDeal | None = None
    agenda: Agenda = Agenda()
    linkage: list[Linkage] = Field(default_factory=list)
    ratification: Ratification | None = None
    inducements: list[Inducement] = Field(default_factory=list)
    channel: Quantity | None = None
    incidents: Quantity | None = None
    note: str | None = None

    @field_validator("capability")
    @classmethod
    def _cap(cls, v: Quantity) -> Quantity:
        if v.value < 0:
            raise ValueError(f"capability must not be negative, got {v.value}")
        return v

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: Quantity | None) -> Quantity | None:
        if v is not None and not 0.0 <= v.value <= 1.0:
            raise ValueError(f"channel effect must lie in [0, 1], got {v.value}")
        return v

    @field_validator("incidents")
    @classmethod
    def _incidents(cls, v: Quantity | None) -> Quantity | None:
        if v is not None and v.value < 0:
            raise ValueError(f"incidents a month must not be negative, got {v.value}")
        return v

    @model_validator(mode="after")
    def _kind_rules(self) -> Actor:
        kind = self.kind.value
        if self.kind in MEMBER_KINDS and self.parent is None:
            raise ValueError(f"a {kind} needs 'parent': the id of the party it belongs to")
        if self.kind in BROKER_KINDS:
            if self.parent is not None:
                raise ValueError(f"a {kind} stands outside the parties and has no parent")
            if self.veto:
                raise ValueError("mediators and third parties cannot hold a veto over the deal")
            if self.ratification is not None:
                raise ValueError(f"a {kind} does not ratify the deal")
        elif self.inducements:
            raise ValueError("only mediators and third parties can offer inducements")
        if self.ratification is not None and self.kind not in UNIT_KINDS:
            raise ValueError(
                f"a {kind} cannot have a ratification rule; only states, organisations and "
                "armed groups ratify through members"
            )
        return self

    @property
    def has_veto(self) -> bool:
        """Whether this actor's own acceptance is needed: a party without parent, or a
        member of a party that ratifies by unanimity of its veto members."""
        if self.veto is not None:
            return self.veto
        return self.kind in UNIT_KINDS


class Escalation(_Strict):
    """Incident-driven escalation: incidents arrive as a Poisson process (``rate`` per
    month); each escalates to armed conflict with probability ``p_escalate`` unless a
    channel of communication defuses it."""

    rate: Quantity
    p_escalate: Quantity
    horizon_months: float = Field(default=12.0, gt=0)
    note: str | None = None

    @field_validator("p_escalate")
    @classmethod
    def _p(cls, v: Quantity) -> Quantity:
        if not 0.0 <= v.value <= 1.0:
            raise ValueError(f"p_escalate is a probability in [0, 1], got {v.value}")
        return v

    @field_validator("rate")
    @classmethod
    def _rate(cls, v: Quantity) -> Quantity:
        if v.value < 0:
            raise ValueError(f"incident rate must not be negative, got {v.value}")
        return v


class Scenario(_Strict):
    """A negotiation scenario (see the module docstring for units)."""

    name: str = Field(min_length=1)
    description: str | None = None
    date: str | None = None
    loss: Literal["linear", "quadratic"] = "linear"
    issues: list[Issue] = Field(min_length=1)
    actors: list[Actor] = Field(min_length=1)
    escalation: Escalation | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    case: CaseInfo | None = None
    outcome: Outcome | None = None
    timeline: Timeline | None = None

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        from backchannel.scenario.references import reference_problems

        problems = reference_problems(self)
        if problems:
            raise PydanticCustomError(
                "references",
                "{text}",
                {
                    "text": "; ".join(p.message for p in problems),
                    "problems": [p.as_dict() for p in problems],
                },
            )
        return self

    # -- structure -----------------------------------------------------------------------
    def actor(self, actor_id: str) -> Actor:
        """The actor with this id (KeyError if there is none)."""
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        """The issue with this id (KeyError if there is none)."""
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def parties(self) -> list[Actor]:
        """The parties to the deal: actors of a unit kind, without parent, with a veto."""
        return [a for a in self.actors if a.kind in UNIT_KINDS and a.parent is None and a.has_veto]

    def members_of(self, unit_id: str) -> list[Actor]:
        """Actors whose parent is ``unit_id``."""
        return [a for a in self.actors if a.parent == unit_id]

    def factions_of(self, state_id: str) -> list[Actor]:
        """The factions whose parent is ``state_id``."""
        return [a for a in self.members_of(state_id) if a.kind == ActorKind.FACTION]

    def ratifiers(self, unit_id: str) -> list[Actor]:
        """Whose acceptance a unit's acceptance is made of: the members of its
        ratification rule, or its members with a veto, or itself."""
        unit = self.actor(unit_id)
        if unit.ratification is not None:
            return [self.actor(m) for m in unit.ratification.members()]
        vetoes = [m for m in self.members_of(unit_id) if m.has_veto]
        return vetoes if vetoes else [unit]

    def deciders(self, unit_id: str) -> list[Actor]:
        """The actors whose own preferences decide a unit's acceptance (recursively through
        members that ratify in their turn), each once."""
        out: dict[str, Actor] = {}
        stack = [unit_id]
        seen: set[str] = set()
        while stack:
            uid = stack.pop(0)
            if uid in seen:
                continue
            seen.add(uid)
            for r in self.ratifiers(uid):
                if r.id == uid or self.ratifiers(r.id) == [r]:
                    out.setdefault(r.id, r)
                else:
                    stack.append(r.id)
        return list(out.values())

    def recipients(self, actor_id: str) -> list[Actor]:
        """Who an inducement aimed at ``actor_id`` reaches: a unit's deciders (it passes to
        them), any other actor itself."""
        target = self.actor(actor_id)
        return self.deciders(target.id) if target.kind in UNIT_KINDS else [target]

    def parties_and_ratifiers(self) -> list[Actor]:
        """Every actor whose own preferences can decide whether a deal is accepted."""
        out: dict[str, Actor] = {}
        for p in self.parties():
            for d in self.deciders(p.id):
                out.setdefault(d.id, d)
        return list(out.values())

    def brokers(self) -> list[Actor]:
        """Mediators and third parties."""
        return [a for a in self.actors if a.kind in BROKER_KINDS]

    def mediators(self) -> list[Actor]:
        """Actors of kind mediator."""
        return [a for a in self.actors if a.kind == ActorKind.MEDIATOR]

    def third_parties(self) -> list[Actor]:
        """Actors of kind third_party."""
        return [a for a in self.actors if a.kind == ActorKind.THIRD_PARTY]

    # -- tables and display (backchannel.scenario.frames, backchannel.display) ----------
    @classmethod
    def from_frame(cls, frame: Any, **options: Any) -> Scenario:
        """A scenario from an actor x issue table, one row per actor and issue
        (:func:`backchannel.scenario.frames.scenario_from_frame`; ``options``: ``name``,
        ``base``, ``issues``, ``scale``)."""
        from backchannel.scenario.frames import scenario_from_frame

        return scenario_from_frame(frame, **options)

    def to_frame(self) -> Any:
        """The actor x issue table (one row per actor and issue: position, salience,
        capability, limit, ...) as a pandas DataFrame (the ``[pandas]`` extra)."""
        from backchannel.frames import to_frame

        return to_frame(self)

    def __repr__(self) -> str:
        from backchannel.display import summary

        return summary(self)

    def _repr_html_(self) -> str:
        from backchannel.display import to_html

        return to_html(self)
