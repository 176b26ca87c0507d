"""Legislative decision rules as arrays aligned with the actor rows of a model core.

A :class:`LegislativeRule` says, for N actor rows and K issues, who sets the agenda, whose
consent besides the Council's is needed (the Parliament under co-decision), and the
Council's voting game on each issue in a form every procedural model core can evaluate on
sorted positions: a coalition of Council members with ``c`` members, ``v`` votes and
``p`` population wins when

    (v >= quota_votes and p >= quota_population and c >= min_members) or c >= count_wins

which covers the three Council rules (:mod:`backchannel.data.council`):

* weighted votes (Amsterdam, Nice; Art. 205(2)-(4) TEC): ``quota_votes`` = the quota,
  ``min_members`` = the majority of members Nice adds (0 before), no population quota;
* double majority (Lisbon; Art. 16(4) TEU, Art. 238(3) TFEU): ``min_members`` =
  max(15, ceil(0.55 n)), ``quota_population`` = ceil(0.65 x total population), and
  ``count_wins`` = n - 4 + 1 (a blocking minority needs at least four members, failing
  which the qualified majority is deemed attained);
* unanimity: ``min_members`` = n (abstentions do not prevent unanimity, Art. 205(3) TEC /
  Art. 238(4) TFEU, so members without a position never block it).

Council members with no position on an issue (no row, or a row without a position there)
are *absent*: they are counted in ``absent_*`` and the models decide how they vote
(``absent="support"``: they go along with any change a winning coalition wants;
``"abstain"``: under QMV they add no votes). Votes and population are integers (population
in units of 100 people, as the Council's figures have one decimal in thousands), so every
comparison is exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backchannel.data.council import Period, period_for
from backchannel.scenario.arrays import BoolArray, FloatArray, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario

IntArray = NDArray[np.int64]
PROCEDURES = ("COD", "CNS")
COUNCIL_RULES = ("QMV", "UNAN")
NEVER = 10**9
"""``count_wins`` of games without a blocking-minority clause."""


@dataclass(frozen=True, eq=False)
class LegislativeRule:
    """Roles and the Council's voting game per issue (see the module docstring).

    ``setter``/``chamber``: (K,) row of the agenda setter (the Commission) and of the
    second chamber whose consent is needed (the Parliament under co-decision), -1 when
    there is none or it has no position on the issue. ``member``: (N, K) the row is a
    Council member with a position on the issue; ``votes``/``population``: (N, K) its
    votes and population units (0 for other rows). ``absent_*``: (K,) the members without
    a position. ``n_members`` and the quotas: (K,).
    """

    procedure: tuple[str, ...]
    council_rule: tuple[str, ...]
    period: tuple[str, ...]
    setter: IntArray
    chamber: IntArray
    member: BoolArray
    votes: FloatArray
    population: FloatArray
    absent_members: FloatArray
    absent_votes: FloatArray
    absent_population: FloatArray
    n_members: FloatArray
    quota_votes: FloatArray
    quota_population: FloatArray
    min_members: FloatArray
    count_wins: FloatArray

    @property
    def n_issues(self) -> int:
        return len(self.procedure)

    def wins(self, count: FloatArray, votes: FloatArray, population: FloatArray) -> BoolArray:
        """Whether coalitions with these totals (broadcast against (K,)) win."""
        return np.asarray(
            (votes >= self.quota_votes)
            & (population >= self.quota_population)
            & (count >= self.min_members)
            | (count >= self.count_wins)
        )

    def permuted(self, order: Sequence[int] | IntArray) -> LegislativeRule:
        """The same rule for the actor rows taken in ``order`` (row i of the result is row
        ``order[i]`` here)."""
        order = np.asarray(order, dtype=np.int64)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)

        def row(r: IntArray) -> IntArray:
            return np.where(r >= 0, inverse[np.maximum(r, 0)], -1)

        return LegislativeRule(
            **{
                **self.__dict__,
                "setter": row(self.setter),
                "chamber": row(self.chamber),
                "member": self.member[order],
                "votes": self.votes[order],
                "population": self.population[order],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Per issue: procedure, Council rule, treaty period (the JSON record of a forecast)."""
        return {
            "procedure": list(self.procedure),
            "council_rule": list(self.council_rule),
            "period": list(self.period),
        }


def council_game(period: Period, council_rule: str) -> dict[str, Any]:
    """Member votes/population units and the quotas of a period's Council game."""
    n = len(period.members)
    votes = {m: 0 for m in period.members}
    pop = {m: 0 for m in period.members}
    g: dict[str, Any] = {
        "quota_votes": 0,
        "quota_population": 0,
        "min_members": 0,
        "count_wins": NEVER,
    }
    if council_rule.upper().startswith("U"):
        g["min_members"] = n
    elif period.kind == "weighted":
        votes = dict(period.weights)
        g["quota_votes"] = period.quota
        g["min_members"] = period.min_members
    else:
        pop = {m: round(period.population[m] * 10) for m in period.members}
        share = Fraction(period.pop_share).limit_denominator(10_000)
        total = sum(pop.values())
        g["quota_population"] = -((-share.numerator * total) // share.denominator)
        g["min_members"] = max(period.min_members, math.ceil(period.member_share * n - 1e-9))
        g["count_wins"] = n - period.min_blocking + 1
    return {"votes": votes, "population": pop, "n": n, **g}


def eu_rule(
    actors: Sequence[str],
    has_position: BoolArray,
    periods: Sequence[Period],
    council_rules: Sequence[str],
    procedures: Sequence[str],
) -> LegislativeRule:
    """The EU legislative rule of K issues for the actor rows ``actors`` (DEU codes:
    ``com`` the Commission, ``ep`` the Parliament, member states by their codes).
    ``has_position``: (N, K). The Commission sets the agenda; the Parliament's consent is
    needed under co-decision (``COD``), not under consultation (``CNS``)."""
    n_rows, k = len(actors), len(periods)
    row = {a: i for i, a in enumerate(actors)}
    has = np.asarray(has_position, dtype=bool).reshape(n_rows, k)
    member = np.zeros((n_rows, k), dtype=bool)
    votes = np.zeros((n_rows, k))
    pop = np.zeros((n_rows, k))
    cols: dict[str, list[float]] = {
        x: []
        for x in (
            "absent_members",
            "absent_votes",
            "absent_population",
            "n_members",
            "quota_votes",
            "quota_population",
            "min_members",
            "count_wins",
        )
    }
    setter = np.full(k, -1, dtype=np.int64)
    chamber = np.full(k, -1, dtype=np.int64)
    for j, (per, rule, proc) in enumerate(zip(periods, council_rules, procedures, strict=True)):
        g = council_game(per, rule)
        absent = [0.0, 0.0, 0.0]
        for m in per.members:
            r = row.get(m)
            if r is not None and has[r, j]:
                member[r, j] = True
                votes[r, j] = g["votes"][m]
                pop[r, j] = g["population"][m]
            else:
                absent[0] += 1
                absent[1] += g["votes"][m]
                absent[2] += g["population"][m]
        for key, v in zip(
            ("absent_members", "absent_votes", "absent_population"), absent, strict=True
        ):
            cols[key].append(v)
        cols["n_members"].append(g["n"])
        for key in ("quota_votes", "quota_population", "min_members", "count_wins"):
            cols[key].append(g[key])
        if "com" in row and has[row["com"], j]:
            setter[j] = row["com"]
        if proc.upper() == "COD" and "ep" in row and has[row["ep"], j]:
            chamber[j] = row["ep"]
    return LegislativeRule(
        procedure=tuple(p.upper() for p in procedures),
        council_rule=tuple("UNAN" if r.upper().startswith("U") else "QMV" for r in council_rules),
        period=tuple(p.name for p in periods),
        setter=setter,
        chamber=chamber,
        member=member,
        votes=votes,
        population=pop,
        **{key: np.asarray(v, dtype=float) for key, v in cols.items()},
    )


def check_eu_actors(actor_ids: Sequence[str], source: str = "scenario") -> None:
    """Every actor must be an EU institution or member state named by its DEU code."""
    from backchannel.data.council import PERIODS

    known = {m for p in PERIODS for m in p.members} | {"com", "ep"}
    bad = [a for a in actor_ids if a not in known]
    if bad:
        raise InputError(
            f"actor(s) {bad} are not EU institutions or member states",
            source=source,
            where="actors",
            fix="name the Commission com, the Parliament ep and member states by their DEU "
            "codes (de, fr, uk, el, bu, cr, ...), as `backchannel import --format deu` does",
        )


def normalise(procedure: str, council_rule: str) -> tuple[str, str]:
    """``cod``/``cns`` and ``qmv``/``unanimity`` as the DEU codes COD/CNS, QMV/UNAN."""
    proc, rule = procedure.upper(), council_rule.upper()
    rule = {"UNANIMITY": "UNAN", "U": "UNAN"}.get(rule, rule)
    if proc not in PROCEDURES:
        raise InputError(
            f"unknown legislative procedure {procedure!r}",
            source="--procedure",
            fix="use cod (co-decision) or cns (consultation)",
        )
    if rule not in COUNCIL_RULES:
        raise InputError(
            f"unknown Council voting rule {council_rule!r}",
            source="--council",
            fix="use qmv or unanimity",
        )
    return proc, rule


def scenario_date(scenario: Scenario) -> dt.date:
    """The scenario's date (the proposal's introduction), which fixes the treaty period."""
    text = (scenario.date or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        if len(text) == 4 and text.isdigit():
            return dt.date(int(text), 1, 1)
    raise InputError(
        f"no usable date ({scenario.date!r}) to choose the EU treaty period",
        source="scenario",
        where="date",
        fix="add `date: YYYY-MM-DD` (the proposal's introduction) to the scenario",
    )


def eu_rule_for_actors(
    actor_ids: Sequence[str],
    position: FloatArray,
    *,
    procedure: str,
    council_rule: str,
    date: dt.date | None,
    source: str = "scenario",
) -> LegislativeRule:
    """The EU rule for actor rows (ids = DEU codes, as the DEU importer names them), one
    procedure and Council rule for all issues, the treaty period from ``date`` (the
    proposal's introduction) and the member states with a position."""
    proc, rule = normalise(procedure, council_rule)
    check_eu_actors(actor_ids, source)
    has = ~np.isnan(np.asarray(position, dtype=float))
    with_pos = [a for a, h in zip(actor_ids, has.any(axis=1), strict=True) if h]
    period = period_for(date, with_pos)
    k = has.shape[1]
    return eu_rule(actor_ids, has, [period] * k, [rule] * k, [proc] * k)


def eu_rule_for_scenario(scenario: Scenario, procedure: str, council_rule: str) -> LegislativeRule:
    """The EU rule for a scenario's actors with a position (the rows the models see)."""
    arrays = to_arrays(scenario)
    keep = arrays.with_positions()
    ids = [a for a, k in zip(arrays.actor_ids, keep, strict=True) if k]
    return eu_rule_for_actors(
        ids,
        arrays.position[keep],
        procedure=procedure,
        council_rule=council_rule,
        date=scenario_date(scenario),
    )
