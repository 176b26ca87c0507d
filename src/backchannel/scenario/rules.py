"""Rules of real ratification and linkage, as an analyst writes them in a scenario.

**Ratification.** A party to the deal (a state, an organisation, an armed group) accepts a
deal through its ratification rule: one or more alternative *paths* (any one suffices, e.g.
an executive agreement or a treaty); a path is a list of *bodies* that must all pass (the
President and the Senate); a body passes when its members' acceptances reach its rule:

* ``unanimity``: every member accepts (the default, and what a veto means);
* ``majority``: more than half of the members' total weight (seats, votes, vote shares);
* ``two_thirds``, ``three_fifths``: at least that share of the weight;
* ``quota``: at least ``quota`` of the weight (``strict: true`` for "more than");
* ``double_majority``: at least ``quota`` of the members by number *and* at least
  ``second_quota`` of their weight (the EU Council's qualified majority: 55% of members and
  65% of population, TFEU art. 16(4)); ``min_blocking``: the body passes anyway unless at
  least that many members reject (the Council's "blocking minority of at least four");
* a referendum is a body whose members are electorate blocs (``kind: electorate``) weighted
  by their share of the vote, with ``rule: majority``.

Members are actors whose ``parent`` is the ratifying actor, or the ratifying actor itself
(its own preferences); a member can itself ratify through its own rule (a state in an
organisation ratifying through its parliament). Without a ``ratification`` block a party
ratifies by the unanimity of its sub-actors with ``veto: true`` (Putnam 1988; Tsebelis
2002), or alone.

**Linkage.** An actor accepts a deal in which ``when`` holds only if ``then`` holds too
(quid pro quo, issue linkage: Sebenius 1983; Tollison & Willett 1979). Each side is a
condition on one issue: that the deal settles it (``settled: true``) or defers it
(``settled: false``), or that it settles it at least / at most a value.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from backchannel.scenario.base import Identifier, Quantity, _Strict

RULES = ("unanimity", "majority", "two_thirds", "three_fifths", "quota", "double_majority")
#: the share of weight each named rule needs, and whether it must be exceeded (">") or met
RULE_QUOTAS: dict[str, tuple[float, bool]] = {
    "unanimity": (1.0, False),
    "majority": (0.5, True),
    "two_thirds": (2.0 / 3.0, False),
    "three_fifths": (0.6, False),
}


class Condition(_Strict):
    """A fact about a deal on one issue: exactly one of ``settled``, ``at_least``,
    ``at_most``. ``at_least``/``at_most`` also hold only if the deal settles the issue,
    or if it defers it and the status quo satisfies them."""

    issue: Identifier
    settled: bool | None = None
    at_least: Quantity | None = None
    at_most: Quantity | None = None

    @model_validator(mode="after")
    def _one(self) -> Condition:
        given = [n for n in ("settled", "at_least", "at_most") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "a linkage condition names one issue and exactly one of 'settled', "
                f"'at_least' or 'at_most' (got {given or 'none'})"
            )
        return self


class Linkage(_Strict):
    """The actor accepts a deal in which ``when`` holds only if ``then`` holds too."""

    when: Condition
    then: Condition
    note: str | None = None


class Body(_Strict):
    """A ratifying body: members (id -> weight) and the rule that makes it pass.

    ``members`` may be written as a list of ids (one vote each) or a mapping id -> weight
    (seats, votes, population, vote share; a weight may carry a range).
    """

    id: Identifier
    name: str | None = None
    members: dict[Identifier, Quantity] = Field(min_length=1)
    rule: Literal[
        "unanimity", "majority", "two_thirds", "three_fifths", "quota", "double_majority"
    ] = "unanimity"
    quota: float | None = Field(default=None, gt=0.0, le=1.0)
    second_quota: float | None = Field(default=None, gt=0.0, le=1.0)
    strict: bool = False
    min_blocking: int | None = Field(default=None, ge=1)
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _members_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("members"), list):
            data = dict(data)
            members = data["members"]
            if not all(isinstance(m, str) for m in members):
                raise ValueError("'members' is a list of actor ids or a mapping id -> weight")
            dup = sorted({m for m in members if members.count(m) > 1})
            if dup:
                raise ValueError(f"member(s) {dup} listed twice")
            data["members"] = {m: 1.0 for m in members}
        return data

    @model_validator(mode="after")
    def _rule(self) -> Body:
        if self.rule == "quota" and self.quota is None:
            raise ValueError("rule 'quota' needs 'quota': the share of the weight needed")
        if self.rule == "double_majority" and (self.quota is None or self.second_quota is None):
            raise ValueError(
                "rule 'double_majority' needs 'quota' (share of members by number) and "
                "'second_quota' (share of their weight), e.g. 0.55 and 0.65 for the EU Council"
            )
        if self.rule in RULE_QUOTAS and (self.quota is not None or self.second_quota is not None):
            raise ValueError(
                f"rule {self.rule!r} fixes its own quota; use rule 'quota' to give one"
            )
        if self.rule != "double_majority" and self.second_quota is not None:
            raise ValueError("'second_quota' belongs to rule 'double_majority'")
        bad = [m for m, w in self.members.items() if w.value < 0]
        if bad:
            raise ValueError(f"member weights must not be negative: {bad}")
        if sum(w.value for w in self.members.values()) <= 0:
            raise ValueError("the members' weights add up to zero")
        return self

    def share_needed(self) -> tuple[float, bool]:
        """The share of the members' weight needed and whether it must be exceeded."""
        if self.rule in RULE_QUOTAS:
            return RULE_QUOTAS[self.rule]
        share = self.second_quota if self.rule == "double_majority" else self.quota
        assert share is not None
        return share, self.strict

    def describe(self) -> str:
        """The rule in words: ``majority (more than 50% of the weight)``."""
        share, strict = self.share_needed()
        words = f"{'more than' if strict else 'at least'} {share:.4g} of the weight"
        if self.rule == "unanimity":
            words = "every member"
        elif self.rule == "double_majority":
            assert self.quota is not None
            words = (
                f"{'more than' if strict else 'at least'} {self.quota:.4g} of the members and "
                f"{share:.4g} of the weight"
            )
        if self.min_blocking is not None:
            words += f", unless fewer than {self.min_blocking} members reject"
        return f"{self.rule.replace('_', ' ')} ({words})"


class Path(_Strict):
    """One way to ratify: every body on the path must pass."""

    id: Identifier
    name: str | None = None
    bodies: list[Body] = Field(min_length=1)
    note: str | None = None


class Ratification(_Strict):
    """How a party accepts a deal: any one of ``paths``.

    Shorthands: ``{bodies: [...]}`` is one path; ``{members: ..., rule: ...}`` is one body.
    """

    paths: list[Path] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "paths" in data:
            return data
        data = dict(data)
        note = data.pop("note", None)
        if "bodies" in data:
            path = {"id": "ratification", "bodies": data.pop("bodies")}
        elif "members" in data:
            body = {"id": data.pop("id", "ratification"), **data}
            data = {}
            path = {"id": "ratification", "bodies": [body]}
        else:
            return {**data, "note": note} if note is not None else data
        if data:
            raise ValueError(f"unknown field(s) {sorted(data)} beside the shorthand")
        out: dict[str, Any] = {"paths": [path]}
        if note is not None:
            out["note"] = note
        return out

    def bodies(self) -> list[Body]:
        return [b for p in self.paths for b in p.bodies]

    def members(self) -> list[str]:
        """Every member id, once, in order of appearance."""
        return list(dict.fromkeys(m for b in self.bodies() for m in b.members))
