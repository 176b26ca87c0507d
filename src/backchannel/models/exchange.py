"""Stokman's exchange model of voting positions, equal-gain variant.

Sources: Stokman & Van Oosten 1994, "The exchange of voting positions", in Bueno de
Mesquita & Stokman (eds), *European Community Decision Making*; Stokman & Thomson 2004,
*European Union Politics* 5(1) (equal-gain exchange rate).

Inputs: ``position`` (N, K) on each issue's scale ``lo``..``hi``; ``salience`` (N, K), any
non-negative scale (ratios matter; the ``decide`` carry-over rule reads it as a fraction of
``salience_max``); ``capability`` (N, K), non-negative, relative.

One round (positions rescaled to 0-100 as in Stokman & Van Oosten):

1. Expected outcome per issue: ``O_k = sum_i c_ik s_ik x_ik / sum_i c_ik s_ik``.
2. Candidate exchanges: actors i, j and issues p, q with i and j on opposite sides of
   ``O`` on both issues (``x <= O`` counts as left), and different relative saliences.
   The actor with the lower relative salience ``s_p / s_q`` supplies on p (moves its voting
   position on p towards the other's position), the other supplies on q.
3. A move ``d`` of i on p shifts ``O_p`` by ``d c_ip s_ip / sum_k c_kp s_kp``. Utility is
   salience x shift of the outcome towards (+) or away from (-) one's position, so
   ``EU_i = dO_q s_iq - dO_p s_ip`` and ``EU_j = dO_p s_jp - dO_q s_jq``. Equal gain
   (Stokman & Thomson 2004): ``dO_q (s_iq + s_jq) = dO_p (s_ip + s_jp)``.
4. The exchange is as large as possible under equal gain: one actor moves all the way to the
   other's position, and neither outcome shift may pass the demanding actor's position
   (beyond it, the demander would lose).
5. Exchanges are realised in order of gain (largest first). An actor's voting position on an
   issue is committed by the first realised exchange in which it supplies on that issue;
   later candidates that would move it again in the same round are dropped. All candidates
   of a round are evaluated on the positions at the start of the round.
6. The round's outcome is the expected outcome on the voting positions. The next round
   starts from the voting positions (``carryover="voting"``) or, as in the ``decide``
   software, from
   ``x + (f + w (1 - s)) (y - x)`` (``carryover="decide"``, f = 0.1, w = 0.4).

Rounds run until no exchange with positive gain remains or ``max_rounds`` is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.scenario.arrays import FloatArray

IntArray = NDArray[np.int64]
Carryover = Literal["voting", "decide"]

_SCALE = 100.0
_SIDE_TOL = 1e-9  # on 0-100: an actor this close to the expected outcome counts as left
_GAIN_DIGITS = 9  # gains equal to 9 significant digits (of the largest) are ties
_MAX_CELLS = 4_000_000  # candidate tensor entries evaluated at once (memory bound)


@dataclass(frozen=True)
class Candidates:
    """Feasible equal-gain exchanges of one round (flat arrays, one entry per exchange).

    Actor ``i`` supplies on issue ``p`` (moves to ``y_i``), actor ``j`` supplies on ``q``
    (moves to ``y_j``); ``gain`` is the equal expected utility gain of each, on the 0-100
    scale with saliences as given."""

    i: IntArray
    j: IntArray
    p: IntArray
    q: IntArray
    gain: FloatArray
    y_i: FloatArray
    y_j: FloatArray


def expected_outcome(x: FloatArray, w: FloatArray) -> FloatArray:
    """Expected outcome: capability x salience weighted mean per issue (Stokman & Van Oosten
    1994)."""
    tot = w.sum(axis=0)
    safe = np.where(tot > 0, tot, 1.0)
    return np.where(tot > 0, (w * x).sum(axis=0) / safe, x.mean(axis=0))


def candidate_exchanges(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    *,
    tol: float = 1e-10,
) -> Candidates:
    """All feasible equal-gain exchanges at positions ``x`` (N, K) on a 0-100 scale.

    Vectorised over ordered actor pairs and issue pairs; issue pairs are processed in chunks
    so that at most ``_MAX_CELLS`` pair x issue-pair entries are held at once."""
    n, k = x.shape
    w = c * s
    wsum = w.sum(axis=0)
    out = expected_outcome(x, w)
    left = x <= out + _SIDE_TOL  # rounding noise must not flip sides at x == O
    pp, qq = np.triu_indices(k, 1)
    chunk = max(1, _MAX_CELLS // max(n * n, 1))
    parts: list[tuple[NDArray[Any], ...]] = []
    for start in range(0, len(pp), chunk):
        parts.append(
            _candidates_chunk(
                x, s, w, wsum, out, left, pp[start : start + chunk], qq[start : start + chunk], tol
            )
        )
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        return Candidates(e, e, e, e, f, f, f)
    cols = [np.concatenate([part[m] for part in parts]) for m in range(7)]
    i, j, p, q = (a.astype(np.int64) for a in cols[:4])
    return Candidates(
        i, j, p, q, cols[4].astype(float), cols[5].astype(float), cols[6].astype(float)
    )


def _candidates_chunk(
    x: FloatArray,
    s: FloatArray,
    w: FloatArray,
    wsum: FloatArray,
    out: FloatArray,
    left: NDArray[np.bool_],
    pp: IntArray,
    qq: IntArray,
    tol: float,
) -> tuple[NDArray[Any], ...]:
    # axes: (issue pair l, supplier-on-p i, supplier-on-q j)
    xp, xq = x[:, pp].T, x[:, qq].T  # (L, N)
    sp, sq = s[:, pp].T, s[:, qq].T
    wp, wq = w[:, pp].T, w[:, qq].T
    lp, lq = left[:, pp].T, left[:, qq].T
    xi_p, xj_p = xp[:, :, None], xp[:, None, :]
    xi_q, xj_q = xq[:, :, None], xq[:, None, :]
    si_p, sj_p = sp[:, :, None], sp[:, None, :]
    si_q, sj_q = sq[:, :, None], sq[:, None, :]
    opposite = (lp[:, :, None] != lp[:, None, :]) & (lq[:, :, None] != lq[:, None, :])
    # i has the lower relative salience for p: s_ip / s_iq < s_jp / s_jq
    ok = opposite & (si_p * sj_q < sj_p * si_q)
    ll, ii, jj = np.nonzero(ok)
    p, q = pp[ll], qq[ll]
    xip, xjp, xiq, xjq = xi_p[ll, ii, 0], xj_p[ll, 0, jj], xi_q[ll, ii, 0], xj_q[ll, 0, jj]
    sip, sjp, siq, sjq = si_p[ll, ii, 0], sj_p[ll, 0, jj], si_q[ll, ii, 0], sj_q[ll, 0, jj]
    wip, wjq = wp[ll, ii], wq[ll, jj]
    # largest outcome shifts: full move to the partner, not past the partner's position
    dp_max = np.minimum(np.abs(xjp - xip) * wip / wsum[p], np.abs(out[p] - xjp))
    dq_max = np.minimum(np.abs(xiq - xjq) * wjq / wsum[q], np.abs(out[q] - xiq))
    a, b = sip + sjp, siq + sjq  # equal gain: dq * b = dp * a
    with np.errstate(divide="ignore", invalid="ignore"):
        dq = np.minimum(dq_max, np.where(b > 0, dp_max * a / b, 0.0))
        dp = np.where(a > 0, dq * b / a, 0.0)
        move_i = np.where(wip > 0, dp * wsum[p] / wip, 0.0)
        move_j = np.where(wjq > 0, dq * wsum[q] / wjq, 0.0)
    gain = dq * siq - dp * sip
    keep = (gain > tol) & (move_i > tol) & (move_j > tol)
    y_i = xip + np.sign(xjp - xip) * move_i
    y_j = xjq + np.sign(xiq - xjq) * move_j
    return tuple(v[keep] for v in (ii, jj, p, q, gain, y_i, y_j))


def greedy_by_gain(cand: Candidates, n: int, k: int) -> NDArray[np.bool_]:
    """Which candidates are realised when exchanges are taken in order of gain and each
    (actor, supply issue) cell may move once per round.

    Equivalent to the sequential greedy scan, computed in parallel: in each pass every
    candidate that ranks first on both of its supply cells is realised, and candidates that
    share a cell with a realised one are dropped (ties in gain: lower index first)."""
    m = len(cand.gain)
    top = float(np.max(cand.gain)) if m else 1.0
    key = np.round(cand.gain / top, _GAIN_DIGITS)  # rounding noise must not break ties
    order = np.argsort(-key, kind="stable")  # ties: lower index first
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    cell_i = cand.i * k + cand.p
    cell_j = cand.j * k + cand.q
    chosen = np.zeros(m, dtype=bool)
    big = np.iinfo(np.int64).max
    alive = np.arange(m)  # compacted after every pass
    while len(alive):
        ci, cj, r = cell_i[alive], cell_j[alive], rank[alive]
        best = np.full(n * k, big, dtype=np.int64)
        np.minimum.at(best, ci, r)
        np.minimum.at(best, cj, r)
        win = (r == best[ci]) & (r == best[cj])
        chosen[alive[win]] = True
        used = np.zeros(n * k, dtype=bool)
        used[ci[win]] = True
        used[cj[win]] = True
        alive = alive[~(used[ci] | used[cj])]
    return chosen


def exchange_model(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    max_rounds: int = 10,
    carryover: Carryover = "voting",
    salience_max: float = 100.0,
    fixed_weight: float = 0.1,
    salience_weight: float = 0.4,
    tol: float = 1e-10,
    **_: Any,
) -> ModelOutput:
    """Stokman's exchange model with equal-gain exchanges (Stokman & Van Oosten 1994;
    Stokman & Thomson 2004). See the module docstring for the steps.

    Returns the expected outcome on the last round's voting positions; ``rounds``
    (R+1, N, K) holds the voting positions per round (round 0 = input). Diagnostics:
    ``outcome_by_round`` (R+1, K), ``exchanges_per_round``, ``first_exchanges`` (the
    realised exchanges of round 1, largest gain first), ``stopped`` ("no exchange" or
    "max_rounds")."""
    if carryover not in ("voting", "decide"):
        raise ValueError(f"carryover must be 'voting' or 'decide', got {carryover!r}")
    n, k = position.shape
    span = np.where(hi > lo, hi - lo, 1.0)
    x = (np.asarray(position, dtype=float) - lo) / span * _SCALE
    s = np.asarray(salience, dtype=float)
    c = np.broadcast_to(np.asarray(capability, dtype=float), (n, k))
    w = c * s
    history = [x.copy()]
    outcomes = [expected_outcome(x, w)]
    counts: list[int] = []
    first: list[dict[str, Any]] = []
    stopped = "max_rounds"
    for r in range(max_rounds):
        cand = candidate_exchanges(x, s, c, tol=tol)
        chosen = greedy_by_gain(cand, n, k) if len(cand.gain) else np.zeros(0, dtype=bool)
        if not chosen.any():
            stopped = "no exchange"
            break
        y = x.copy()
        y[cand.i[chosen], cand.p[chosen]] = cand.y_i[chosen]
        y[cand.j[chosen], cand.q[chosen]] = cand.y_j[chosen]
        counts.append(int(chosen.sum()))
        if r == 0:
            idx = np.flatnonzero(chosen)
            idx = idx[np.argsort(-cand.gain[idx], kind="stable")]
            first = [
                {
                    "i": int(cand.i[e]),
                    "p": int(cand.p[e]),
                    "y_i": float(cand.y_i[e]),
                    "j": int(cand.j[e]),
                    "q": int(cand.q[e]),
                    "y_j": float(cand.y_j[e]),
                    "gain": float(cand.gain[e]),
                }
                for e in idx
            ]
        history.append(y.copy())
        outcomes.append(expected_outcome(y, w))
        if carryover == "voting":
            x = y
        else:
            frac = fixed_weight + salience_weight * (1.0 - s / salience_max)
            x = x + frac * (y - x)
    to_scale = span / _SCALE
    rounds = np.stack(history) * to_scale + lo
    by_round = np.stack(outcomes) * to_scale + lo
    return ModelOutput(
        outcome=by_round[-1],
        rounds=rounds,
        diagnostics={
            "outcome_by_round": by_round,
            "exchanges_per_round": counts,
            "first_exchanges": first,
            "stopped": stopped,
            "carryover": carryover,
        },
    )


register(
    ModelSpec(
        name="exchange",
        title="Stokman's exchange model (equal-gain exchanges of voting positions)",
        citation=(
            "Stokman & Van Oosten 1994, in Bueno de Mesquita & Stokman (eds), European "
            "Community Decision Making; Stokman & Thomson 2004, EUP 5(1)"
        ),
        core=exchange_model,
        has_rounds=True,
    )
)
