"""Procedural models: outcomes from the decision rules of the EU legislative procedures.

One-dimensional spatial models, one issue at a time, with symmetric single-peaked
preferences: an actor with ideal point p prefers x to the reversion point q when
``|x - p| < |q - p|`` (it is taken to accept when indifferent, so win-sets are closed).

**Win-sets on a line.** For moves above q, the supporters of x are the Council members with
``p_i >= (x + q) / 2``: a prefix of the members sorted by position, highest first. Let
``p*`` be the position of the member that first makes that prefix winning under the
Council's rule (:class:`~backchannel.data.legislative.LegislativeRule`: weighted votes,
the Lisbon double majority with its blocking-minority clause, or unanimity), the pivot.
The Council's win-set above q is ``[q, 2 p* - q]`` when ``p* > q`` and empty otherwise;
below q, the mirror image (Tsebelis 2002, *Veto Players*, ch. 1-2; Tsebelis & Garrett
1996, "Agenda setting power, power indices, and decision making in the European Union",
*International Review of Law and Economics* 16(3):345-361). The Parliament, a unitary
actor at e, accepts ``[q, 2e - q]`` (or its mirror). Under co-decision (``COD``) the
win-set W is the intersection of both; under consultation (``CNS``) it is the Council's.

**Unanimous amendment.** The Council can amend a Commission proposal only by unanimity
(Art. 250(1) TEC, Art. 293(1) TFEU): a proposal outside the hull U of the Council members'
ideal points (and the Parliament's, under co-decision) would be replaced by a point they
all prefer, so the Commission proposes within U (Steunenberg 1994, "Decision making under
different institutional arrangements: legislation by the European Community", *JITE*
150(4):642-669; Crombez 1996, "Legislative procedures in the European Community",
*British Journal of Political Science* 26(2):199-228).

Models (each a vectorised pure function over the K issues):

* ``agenda_setter`` (Tsebelis & Garrett 1996; Crombez 1996; Steunenberg 1994): the
  Commission at c proposes the point of ``W ∩ U`` closest to c, or keeps q when q is closer
  (its gatekeeping right): ``x = argmin_{x in {q} ∪ (W ∩ U)} |x - c|``.
* ``winset_bargain``: the symmetric Nash (1950) bargaining solution of the procedure's
  veto players (the Commission, the Council's pivot on the side of change, and the
  Parliament under co-decision) with disagreement point q and quadratic utilities
  ``u_j(x) = -(x - p_j)^2``; on the side s of change, with ``A_j = s (p_j - q) > 0`` and
  ``t = s (x - q)``, it solves ``max_t sum_j log(t (2 A_j - t))``, i.e.
  ``m / t = sum_j 1 / (2 A_j - t)`` on ``(0, 2 min A_j)`` (unique root, bisection), then is
  restricted to ``W ∩ U``. Any veto player who prefers q to every move on that side keeps
  q. (Nash bargaining on DEU: Achen 2006, in Thomson et al. (eds), *The European Union
  Decides*, ch. 10; Schneider, Finke & Bailer 2010, *Political Studies* 58(1):85-103.)
* ``compromise_winset`` (hybrid): the compromise model's point (capability x salience
  weighted mean, Achen 2006 eq. 10.1) restricted to what the rule allows: the point of
  ``{q} ∪ (W ∩ U)`` nearest to it.

Choices (docs/decisions.md): Council members without a position are ``absent`` and go
along with any change a winning coalition wants (``absent="support"``, default) or, under
QMV, add no votes (``"abstain"``); they never block unanimity (Art. 205(3) TEC). Without a
Commission position the setter's ideal is the salience-weighted mean of the positions.
Without a reference point (q unknown) the models use the *core* of the procedure, the
points no qualified majority (with the Parliament, under co-decision) can replace:
``[p*_R, p*_L]`` for the Council, widened to include e under co-decision; the setter gets
the core point closest to c, the bargain is the mean of c, the middle of the Council's
core and e, put into the core, and the compromise point is put into the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from backchannel.data.legislative import LegislativeRule
from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.models.central import compromise
from backchannel.scenario.arrays import BoolArray, FloatArray
from backchannel.scenario.errors import InputError

Absent = Literal["support", "abstain"]
ABSENT: tuple[Absent, ...] = ("support", "abstain")


def _check(position: FloatArray, rule: LegislativeRule | None, absent: str, name: str) -> None:
    if rule is None:
        raise InputError(
            f"the {name} model needs the legislative rule (who sets the agenda, the Council's "
            "voting rule, the procedure)",
            source=name,
            fix="forecast an EU proposal with --procedure cod|cns and --council qmv|unanimity "
            "(actors named by their DEU codes, e.g. imported with `backchannel import "
            "--format deu`); the DEU backtest supplies the rule itself",
        )
    if rule.member.shape != position.shape:
        raise ValueError(f"rule for {rule.member.shape} actors x issues, got {position.shape}")
    if absent not in ABSENT:
        raise InputError(f"unknown absent={absent!r}", source=name, fix=f"use one of {ABSENT}")


def upper_pivot(
    position: FloatArray, rule: LegislativeRule, absent: str = "support"
) -> tuple[FloatArray, BoolArray]:
    """Per issue: the pivot p* for moves up (the position of the member whose support first
    makes the members, sorted from the highest position, a winning coalition; -inf when no
    prefix wins) and whether the absent members alone already win (then the Council does
    not constrain moves up). The pivot for moves down is ``-upper_pivot(-position)``."""
    unan = np.array([r == "UNAN" for r in rule.council_rule], dtype=bool)
    support = absent == "support"
    zero = np.zeros(rule.n_issues)
    base_c = np.where(unan | support, rule.absent_members, 0.0)
    base_v = rule.absent_votes if support else zero
    base_p = rule.absent_population if support else zero
    key = np.where(rule.member, position, -np.inf)
    order = np.argsort(-key, axis=0, kind="stable")
    v = np.take_along_axis(key, order, axis=0)
    cc = base_c + np.cumsum(np.take_along_axis(rule.member, order, axis=0), axis=0)
    cv = base_v + np.cumsum(np.take_along_axis(rule.votes, order, axis=0), axis=0)
    cp = base_p + np.cumsum(np.take_along_axis(rule.population, order, axis=0), axis=0)
    wins = rule.wins(cc, cv, cp) & np.isfinite(v)
    first = np.argmax(wins, axis=0)
    pivot = np.where(wins.any(axis=0), v[first, np.arange(v.shape[1])], -np.inf)
    return np.asarray(pivot), rule.wins(base_c, base_v, base_p)


def council_winset(
    position: FloatArray,
    reference: FloatArray,
    rule: LegislativeRule,
    *,
    lo: FloatArray,
    hi: FloatArray,
    absent: str = "support",
) -> tuple[FloatArray, FloatArray]:
    """The Council's win-set ``[left, right]`` of a finite reference point q per issue
    (always contains q), within the scale ``[lo, hi]``."""
    up, free_up = upper_pivot(position, rule, absent)
    neg, free_down = upper_pivot(-position, rule, absent)
    down, q = -neg, reference
    right = np.where(free_up, hi, np.where(up > q, np.minimum(hi, 2 * up - q), q))
    left = np.where(free_down, lo, np.where(down < q, np.maximum(lo, 2 * down - q), q))
    return np.asarray(left), np.asarray(right)


def council_core(
    position: FloatArray,
    rule: LegislativeRule,
    *,
    lo: FloatArray,
    hi: FloatArray,
    absent: str = "support",
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The points no winning coalition of the Council can replace: between the pivot
    counted from the top and the pivot counted from the bottom; the whole scale where the
    absent members alone win (third value: the Council does not constrain)."""
    up, free_up = upper_pivot(position, rule, absent)
    neg, free_down = upper_pivot(-position, rule, absent)
    free = free_up | free_down | ~np.isfinite(up) | ~np.isfinite(neg)
    a = np.where(free, lo, np.minimum(up, -neg))
    b = np.where(free, hi, np.maximum(up, -neg))
    return np.asarray(np.clip(a, lo, hi)), np.asarray(np.clip(b, lo, hi)), np.asarray(free)


def _rows(position: FloatArray, idx: np.ndarray) -> FloatArray:
    cols = np.arange(position.shape[1])
    return np.asarray(np.where(idx >= 0, position[np.maximum(idx, 0), cols], np.nan))


@dataclass(frozen=True)
class Feasible:
    """What the procedure allows, per issue: the win-set ``w`` of q (Council, and the
    Parliament under co-decision), the unanimous-amendment hull ``u``, their intersection
    ``i`` (``nonempty``), and the core ``core`` used where q is unknown (``has_q``)."""

    q: FloatArray
    has_q: BoolArray
    w: tuple[FloatArray, FloatArray]
    u: tuple[FloatArray, FloatArray]
    i: tuple[FloatArray, FloatArray]
    nonempty: BoolArray
    core: tuple[FloatArray, FloatArray]
    council_core: tuple[FloatArray, FloatArray]
    council_free: BoolArray

    def diagnostics(self) -> dict[str, Any]:
        return {
            "winset": np.stack(self.w, axis=1),
            "amendment_hull": np.stack(self.u, axis=1),
            "feasible": np.where(self.nonempty[:, None], np.stack(self.i, axis=1), np.nan),
            "core": np.stack(self.core, axis=1),
            "reference_known": self.has_q,
        }


def feasible_set(
    position: FloatArray,
    reference: FloatArray | None,
    rule: LegislativeRule,
    *,
    lo: FloatArray,
    hi: FloatArray,
    absent: str = "support",
) -> Feasible:
    """The win-set W, the amendment hull U, ``W ∩ U`` and the core, per issue."""
    k = position.shape[1]
    q = np.full(k, np.nan) if reference is None else np.asarray(reference, dtype=float)
    has_q = np.isfinite(q)
    q0 = np.where(has_q, q, (lo + hi) / 2)
    wl, wr = council_winset(position, q0, rule, lo=lo, hi=hi, absent=absent)
    e = _rows(position, rule.chamber)
    has_e = np.isfinite(e)
    e0 = np.where(has_e, e, q0)
    wl = np.where(has_e, np.maximum(wl, np.maximum(lo, np.minimum(q0, 2 * e0 - q0))), wl)
    wr = np.where(has_e, np.minimum(wr, np.minimum(hi, np.maximum(q0, 2 * e0 - q0))), wr)
    m = np.where(rule.member, position, np.nan)
    m = np.vstack([m, e[None, :]])
    anyone = np.isfinite(m).any(axis=0)
    ul = np.where(anyone, np.nanmin(np.where(anyone, m, 0.0), axis=0), lo)
    ur = np.where(anyone, np.nanmax(np.where(anyone, m, 0.0), axis=0), hi)
    il, ir = np.maximum(wl, ul), np.minimum(wr, ur)
    cl, cr, free = council_core(position, rule, lo=lo, hi=hi, absent=absent)
    core = (np.where(has_e, np.minimum(cl, e0), cl), np.where(has_e, np.maximum(cr, e0), cr))
    return Feasible(
        q=q,
        has_q=has_q,
        w=(wl, wr),
        u=(ul, ur),
        i=(il, ir),
        nonempty=np.asarray(il <= ir),
        core=core,
        council_core=(cl, cr),
        council_free=free,
    )


def nearest_allowed(target: FloatArray, f: Feasible) -> FloatArray:
    """The point of ``{q} ∪ (W ∩ U)`` nearest to ``target`` (q on a tie); where q is
    unknown, the point of the core nearest to it."""
    y = np.clip(target, f.i[0], f.i[1])
    take = f.nonempty & (np.abs(y - target) < np.abs(f.q - target))
    with_q = np.where(take, y, f.q)
    return np.asarray(np.where(f.has_q, with_q, np.clip(target, f.core[0], f.core[1])))


def setter_ideal(position: FloatArray, salience: FloatArray, rule: LegislativeRule) -> FloatArray:
    """The Commission's position; where it has none, the salience-weighted mean of the
    positions (the mean where every salience is 0)."""
    c = _rows(position, rule.setter)
    tot = salience.sum(axis=0)
    safe = np.where(tot > 0, tot, 1.0)
    mean = np.where(tot > 0, (salience * position).sum(axis=0) / safe, position.mean(axis=0))
    return np.asarray(np.where(np.isfinite(c), c, mean))


def nash_on_line(distance: FloatArray, iterations: int = 64) -> FloatArray:
    """Symmetric Nash bargaining on a line with quadratic utilities: for players at
    distances ``A_j > 0`` (M, K; NaN: not a player) from the disagreement point, the move
    t in ``(0, 2 min A_j)`` with ``m / t = sum_j 1 / (2 A_j - t)`` (bisection; the left
    side minus the right side decreases in t)."""
    a = np.asarray(distance, dtype=float)
    present = np.isfinite(a)
    m = present.sum(axis=0)
    lo = np.zeros(a.shape[1])
    hi = 2 * np.nanmin(np.where(present, a, np.inf), axis=0)
    a0 = np.where(present, a, np.inf)
    for _ in range(iterations):
        t = (lo + hi) / 2
        f = m / np.maximum(t, 1e-300) - (1.0 / (2 * a0 - t[None, :])).sum(axis=0)
        lo = np.where(f > 0, t, lo)
        hi = np.where(f > 0, hi, t)
    return np.asarray((lo + hi) / 2)


def _args(
    position: FloatArray,
    reference: FloatArray | None,
    lo: FloatArray,
    hi: FloatArray,
    rule: LegislativeRule | None,
    absent: str,
    name: str,
) -> tuple[LegislativeRule, Feasible]:
    _check(position, rule, absent, name)
    assert rule is not None
    return rule, feasible_set(position, reference, rule, lo=lo, hi=hi, absent=absent)


def agenda_setter(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    rule: LegislativeRule | None = None,
    absent: str = "support",
    **_: Any,
) -> ModelOutput:
    """The Commission's most preferred point of ``{q} ∪ (W ∩ U)`` (module docstring)."""
    rule, f = _args(position, reference, lo, hi, rule, absent, "agenda_setter")
    c = setter_ideal(position, salience, rule)
    return ModelOutput(outcome=nearest_allowed(c, f), diagnostics={**f.diagnostics(), "setter": c})


def winset_bargain(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    rule: LegislativeRule | None = None,
    absent: str = "support",
    **_: Any,
) -> ModelOutput:
    """Nash bargaining of the procedure's veto players within ``W ∩ U`` (module
    docstring)."""
    rule, f = _args(position, reference, lo, hi, rule, absent, "winset_bargain")
    c = setter_ideal(position, salience, rule)
    e = _rows(position, rule.chamber)
    q = np.where(f.has_q, f.q, c)
    side = np.sign(c - q)
    up, free_up = upper_pivot(position, rule, absent)
    neg, free_down = upper_pivot(-position, rule, absent)
    pivot = np.where(side > 0, up, -neg)
    council_free = np.where(side > 0, free_up, free_down)
    pivot = np.where(council_free, np.nan, np.where(np.isfinite(pivot), pivot, q))
    dist = side * (np.vstack([c, pivot, e]) - q)
    blocked = (side == 0) | np.any(np.isfinite(dist) & (dist <= 0), axis=0)
    t = nash_on_line(np.where(blocked, 1.0, dist))
    x = q + side * t
    with_q = np.where(blocked | ~f.nonempty, f.q, np.clip(x, f.i[0], f.i[1]))
    # without q: the mean of the setter, the middle of the Council's core and e, in the core
    mid = np.where(f.council_free, np.nan, (f.council_core[0] + f.council_core[1]) / 2)
    centre = np.nanmean(np.vstack([c, mid, e]), axis=0)
    out = np.where(f.has_q, with_q, np.clip(centre, f.core[0], f.core[1]))
    return ModelOutput(outcome=out, diagnostics={**f.diagnostics(), "setter": c})


def compromise_winset(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    rule: LegislativeRule | None = None,
    absent: str = "support",
    **_: Any,
) -> ModelOutput:
    """The compromise point restricted to ``{q} ∪ (W ∩ U)`` (module docstring)."""
    rule, f = _args(position, reference, lo, hi, rule, absent, "compromise_winset")
    x = compromise(position, salience, capability, lo=lo, hi=hi).outcome
    return ModelOutput(
        outcome=nearest_allowed(x, f), diagnostics={**f.diagnostics(), "compromise": x}
    )


_CITE = "Tsebelis & Garrett 1996; Crombez 1996; Steunenberg 1994"
register(
    ModelSpec(
        name="agenda_setter",
        title="Agenda setter: the Commission's best point of the procedure's win-set",
        citation=f"{_CITE} (win-sets on a line, Tsebelis 2002)",
        core=agenda_setter,
        needs_rule=True,
    )
)
register(
    ModelSpec(
        name="winset_bargain",
        title="Nash bargaining of the procedure's veto players within the win-set",
        citation=f"Nash 1950; Achen 2006; Schneider, Finke & Bailer 2010; win-set: {_CITE}",
        core=winset_bargain,
        needs_rule=True,
    )
)
register(
    ModelSpec(
        name="compromise_winset",
        title="Compromise point restricted to the procedure's win-set (hybrid)",
        citation=f"Achen 2006, eq. 10.1, restricted to the win-set of {_CITE}",
        core=compromise_winset,
        needs_rule=True,
    )
)
