"""The scenario schema: actors, issues, positions, limits, no-deal values, mediators.

A scenario is what an analyst writes down about a negotiation. It is validated by pydantic
(v2) and published as JSON Schema (``backchannel schema``). Units:

* issue positions are on each issue's own scale ``[scale.min, scale.max]``;
* salience is 0-100 (how much an issue matters to an actor relative to its other issues);
* capability is any non-negative relative number (only ratios between actors matter);
* utilities are on the normalised scale of :mod:`backchannel.analysis.utility`: 0 is an
  actor's ideal on every issue, -1 the far end of every scale (linear loss).

Every numeric input is a :class:`Quantity`: a bare number, or a mapping with ``value``, an
optional ``note`` (its source) and optional uncertainty (``range`` or ``dist``) used by
Monte Carlo sweeps.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$",
        max_length=64,
        description="Short identifier: a letter, then letters, digits, '_', '-' or '.'.",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uncertainty(_Strict):
    """A distribution for a numeric input (used by ``backchannel sweep``).

    ``uniform`` needs ``low`` and ``high``; ``triangular`` needs ``low`` and ``high`` and
    takes the quantity's ``value`` as its mode; ``normal`` needs ``sd`` and is centred on
    ``value``. All are truncated to the quantity's admissible range.
    """

    dist: Literal["uniform", "triangular", "normal"]
    low: float | None = None
    high: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Uncertainty:
        if self.dist in ("uniform", "triangular"):
            if self.low is None or self.high is None:
                raise ValueError(f"a {self.dist} distribution needs both 'low' and 'high'")
            if not self.low <= self.high:
                raise ValueError(f"'low' ({self.low}) must not exceed 'high' ({self.high})")
        if self.dist == "normal" and self.sd is None:
            raise ValueError("a normal distribution needs 'sd' (its standard deviation)")
        for name in ("low", "high", "sd"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"'{name}' must be a finite number, not {v}")
        return self


class Quantity(_Strict):
    """A number with its source note and optional uncertainty.

    In YAML write either ``42`` or ``{value: 42, note: "source", range: [30, 50]}``;
    ``range: [a, b]`` is shorthand for ``dist: {dist: uniform, low: a, high: b}``.
    """

    value: float
    note: str | None = None
    dist: Uncertainty | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number, got a true/false value")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str):
            try:
                return {"value": float(data)}
            except ValueError:
                raise ValueError(f"expected a number, got the text {data!r}") from None
        if isinstance(data, dict) and "range" in data:
            data = dict(data)
            rng = data.pop("range")
            if (
                not isinstance(rng, list | tuple)
                or len(rng) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng)
            ):
                raise ValueError("'range' must be a list of two numbers, e.g. range: [30, 50]")
            if "dist" in data:
                raise ValueError("give either 'range' or 'dist', not both")
            data["dist"] = {"dist": "uniform", "low": rng[0], "high": rng[1]}
        return data

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, not {v}")
        return v

    @model_validator(mode="after")
    def _normal_not_far_outside(self) -> Quantity:
        # truncated to [low, high], a normal centred more than 3 sd outside it puts its
        # draws in a thin pile at the bound (beyond ~8 sd all at one value): refused
        d = self.dist
        if d is not None and d.dist == "normal" and d.sd is not None:
            low = -math.inf if d.low is None else d.low
            high = math.inf if d.high is None else d.high
            gap = max(low - self.value, self.value - high, 0.0)
            if gap > 3 * d.sd:
                raise ValueError(
                    f"the value ({self.value}) lies {gap / d.sd:.3g} standard deviations "
                    f"outside the normal's [low, high] = [{d.low}, {d.high}], so every draw "
                    "would sit at the bound; move the value inside (or within 3 sd of) the "
                    "range, or widen the range or the sd"
                )
        return self


def q(x: Quantity | float | None) -> float | None:
    """The central value of a quantity (``None`` stays ``None``)."""
    if x is None:
        return None
    return x.value if isinstance(x, Quantity) else float(x)


class ActorKind(StrEnum):
    STATE = "state"
    FACTION = "faction"
    MEDIATOR = "mediator"
    THIRD_PARTY = "third_party"


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

    ``status_quo`` is the reversion point: where the issue stays if there is no deal (or if
    it is left off the agenda).
    """

    id: Identifier
    name: str = Field(min_length=1)
    description: str | None = None
    scale: Scale = Scale()
    anchors: list[Anchor] = Field(default_factory=list)
    status_quo: Quantity | None = None
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
        return self


class Stance(_Strict):
    """One actor on one issue.

    ``position``: ideal point on the issue scale. ``salience``: 0-100. ``capability``:
    overrides the actor's capability on this issue. ``limit``: the reservation point (red
    line), the worst value on this issue the actor can accept in any deal; with symmetric
    loss the acceptable interval is ``|x - position| <= |limit - position|``.
    """

    position: Quantity
    salience: Quantity = Quantity(value=50.0)
    capability: Quantity | None = None
    limit: Quantity | None = None
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
    """Agenda constraints: issues an actor insists on including, or refuses to negotiate."""

    requires: list[Identifier] = Field(default_factory=list)
    refuses: list[Identifier] = Field(default_factory=list)
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

    ``kind``: ``side_payment`` adds ``amount`` utility to the target's value of a deal;
    ``pressure`` lowers the target's no-deal value by ``amount``; ``assurance`` raises it
    for the deal by the same mechanism as a side payment but is not economic (guarantees).
    ``credibility`` (0-1) scales what the party can actually deliver.
    """

    target: Identifier
    kind: Literal["side_payment", "pressure", "assurance"]
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


class Actor(_Strict):
    """An actor: a state, a faction inside a state, a mediator or a third party.

    States with ``veto: true`` (the default for states) are parties whose agreement any
    deal needs. A state with factions ratifies through them (two-level game): its
    acceptable set is the intersection of the sets of its factions that have a veto.
    ``channel`` (0-1) is how much of the escalation risk from incidents a mediator's
    channel of communication removes.
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
    inducements: list[Inducement] = Field(default_factory=list)
    channel: Quantity | None = None
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

    @model_validator(mode="after")
    def _kind_rules(self) -> Actor:
        if self.kind == ActorKind.FACTION and self.parent is None:
            raise ValueError("a faction needs 'parent': the id of the state it belongs to")
        if self.kind != ActorKind.FACTION and self.parent is not None:
            raise ValueError(f"only factions have a parent; this actor is a {self.kind.value}")
        if self.inducements and self.kind not in (ActorKind.MEDIATOR, ActorKind.THIRD_PARTY):
            raise ValueError("only mediators and third parties can offer inducements")
        if self.veto and self.kind in (ActorKind.MEDIATOR, ActorKind.THIRD_PARTY):
            raise ValueError("mediators and third parties cannot hold a veto over the deal")
        return self

    @property
    def has_veto(self) -> bool:
        if self.veto is not None:
            return self.veto
        return self.kind == ActorKind.STATE


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

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        issue_ids = [i.id for i in self.issues]
        actor_ids = [a.id for a in self.actors]
        for kind, ids in (("issue", issue_ids), ("actor", actor_ids)):
            dup = sorted({x for x in ids if ids.count(x) > 1})
            if dup:
                raise ValueError(f"duplicate {kind} id(s) {dup}: every {kind} needs its own id")
        issues = {i.id: i for i in self.issues}
        actors = {a.id: a for a in self.actors}
        for a in self.actors:
            for iid, st in a.positions.items():
                if iid not in issues:
                    raise ValueError(
                        f"actor {a.id!r} has a position on unknown issue {iid!r}; "
                        f"known issues: {sorted(issues)}"
                    )
                sc = issues[iid].scale
                for field in ("position", "limit"):
                    v = q(getattr(st, field))
                    if v is not None and not sc.min <= v <= sc.max:
                        raise ValueError(
                            f"actor {a.id!r}, issue {iid!r}: {field} {v} lies outside the "
                            f"issue's scale [{sc.min}, {sc.max}]"
                        )
            for iid in [*a.agenda.requires, *a.agenda.refuses]:
                if iid not in issues:
                    raise ValueError(
                        f"actor {a.id!r}: agenda names unknown issue {iid!r}; "
                        f"known issues: {sorted(issues)}"
                    )
            if a.parent is not None:
                parent = actors.get(a.parent)
                if parent is None:
                    raise ValueError(
                        f"actor {a.id!r}: parent {a.parent!r} is not an actor of this scenario"
                    )
                if parent.kind != ActorKind.STATE:
                    raise ValueError(
                        f"actor {a.id!r}: parent {a.parent!r} must be a state, "
                        f"not a {parent.kind.value}"
                    )
            for ind in a.inducements:
                if ind.target not in actors:
                    raise ValueError(
                        f"actor {a.id!r}: inducement targets unknown actor {ind.target!r}"
                    )
        for p in self.parties_and_ratifiers():
            missing = [i for i in issue_ids if i not in p.positions]
            if missing:
                raise ValueError(
                    f"actor {p.id!r} must agree to any deal, so it needs a position on every "
                    f"issue; missing: {missing}"
                )
        return self

    # -- structure -----------------------------------------------------------------------
    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def parties(self) -> list[Actor]:
        """States that are parties to the deal (states with a veto)."""
        return [a for a in self.actors if a.kind == ActorKind.STATE and a.has_veto]

    def factions_of(self, state_id: str) -> list[Actor]:
        return [a for a in self.actors if a.kind == ActorKind.FACTION and a.parent == state_id]

    def ratifiers(self, state_id: str) -> list[Actor]:
        """Whose agreement a state's acceptance needs: its veto factions, or itself."""
        vetoes = [f for f in self.factions_of(state_id) if f.has_veto]
        return vetoes if vetoes else [self.actor(state_id)]

    def recipients(self, actor_id: str) -> list[Actor]:
        """Who an inducement aimed at ``actor_id`` reaches: a state's ratifiers (it
        passes to them), any other actor itself."""
        target = self.actor(actor_id)
        return self.ratifiers(target.id) if target.kind == ActorKind.STATE else [target]

    def parties_and_ratifiers(self) -> list[Actor]:
        """Every actor whose acceptance any deal needs (the veto players)."""
        out: list[Actor] = []
        for p in self.parties():
            out.extend(self.ratifiers(p.id))
        return out

    def brokers(self) -> list[Actor]:
        """Mediators and third parties."""
        return [a for a in self.actors if a.kind in (ActorKind.MEDIATOR, ActorKind.THIRD_PARTY)]
