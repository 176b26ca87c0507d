"""Votes of Bueno de Mesquita's expected-utility model, computed exactly and fast.

In the model (Bueno de Mesquita 1994, pp. 77-80; Scholz, Calbert & Smith 2011, section 3.2,
eq. 5-6), actor k's vote in a contest between the positions of actors i and j is

    v^k_ij = c_k s_k (|x_k - x_j| - |x_k - x_i|) / dx,

and the probability that i prevails over j (Scholz et al. 2011, section 4, eq. 7) is the
share of the votes cast for i in all votes cast:

    P^i_ij = sum_{k: v^k_ij > 0} v^k_ij / sum_k |v^k_ij|.

Done naively this is O(N) per pair, O(N^3) per issue and round. On one dimension the sign
of v^k_ij only depends on which side of the midpoint m = (x_i + x_j)/2 actor k stands, and
its size is piecewise linear in x_k (constant outside [a, b] = [min, max](x_i, x_j), linear
inside). With positions sorted and prefix sums of w_k = c_k s_k and w_k x_k, both sums are
closed-form in the prefix sums at a, m and b, so a pair costs one binary search:
O(N^2 log N) per issue and round. All functions here work on K issues at once, on
positions ``u`` already mapped to the unit interval ([lo, hi] -> [0, 1]).

The Condorcet (pairwise-majority) position among actor positions is the weighted median:
sum_k v^k_ij = (F(x_j) - F(x_i)) / dx with F(x) = sum_k w_k |x_k - x|, so i beats j exactly
when F(x_i) < F(x_j), and the Condorcet winners are the minimisers of F, i.e. the weighted
medians (Black 1958).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from backchannel.scenario.arrays import FloatArray

IntArray = NDArray[np.intp]

_OFFSET = 4.0  # issue k's positions are searched as u + 4k (u lies in [0, 1])
MEDIAN_TOL = 1e-12
VOTE_SNAP = 1e-13
"""Sums of votes (unit scale, share of the total weight) at or below this count as none."""


class VoteTable(NamedTuple):
    """Sorted positions and prefix sums of vote weights, per issue (K rows, N actors).

    ``flat``: sorted positions of every issue, issue k shifted by 4k, as one sorted array.
    ``W``/``X``: (K, N+1) prefix sums of w and w*u in sorted order (W[:, 0] = 0).
    ``alpha``: (K, N) per actor, X - u W at the actor's own position (prefix sums over the
    actors strictly below it); the vote sums below are affine in it.
    ``order``: (K, N) the actors by position (stable argsort of the positions).
    ``sorted_u``: (K, N) the sorted positions when places are found by counting (see
    :func:`vote_table`), else None.
    """

    flat: FloatArray
    W: FloatArray
    X: FloatArray
    alpha: FloatArray
    n: int
    order: IntArray
    sorted_u: FloatArray | None = None

    @property
    def total(self) -> FloatArray:
        return self.W[:, -1]


def vote_table(u: FloatArray, w: FloatArray, count: bool = False) -> VoteTable:
    """Build the :class:`VoteTable` of positions ``u`` (K, N) in [0, 1], weights ``w`` (K, N).

    Places in the sorted positions are found by one binary search over all issues, issue k
    shifted by 4k (which rounds positions to the float spacing at 4K), or, with ``count``
    and several issues, by counting the positions below (O(N^2) per issue here and O(N^3)
    in :func:`pair_shares`; exact, so every issue gets what it would get alone)."""
    k, n = u.shape
    order = np.argsort(u, axis=1, kind="stable")
    rows = np.arange(k)[:, None]
    us = u[rows, order]
    ws = w[rows, order]
    W = np.zeros((k, n + 1))
    X = np.zeros((k, n + 1))
    np.add.accumulate(ws, axis=1, out=W[:, 1:])
    np.add.accumulate(ws * us, axis=1, out=X[:, 1:])
    counted = count and k > 1
    if k == 1:  # no shift needed (and none used by pair_terms)
        flat = us.ravel()
        below = flat.searchsorted(u.ravel(), side="left").reshape(1, n)
    elif counted:
        flat = us.ravel()
        below = np.add.reduce(us[:, :, None] < u[:, None, :], axis=1)
    else:
        offs = _OFFSET * rows
        flat = (us + offs).ravel()
        below = np.searchsorted(flat, (u + offs).ravel(), side="left").reshape(k, n)
        below -= n * rows
    alpha = X[rows, below] - u * W[rows, below]
    return VoteTable(
        flat=flat, W=W, X=X, alpha=alpha, n=n, order=order, sorted_u=us if counted else None
    )


def pair_terms(
    table: VoteTable,
    u: FloatArray,
    senders: IntArray | slice,
    receivers: IntArray | slice,
) -> tuple[FloatArray, FloatArray]:
    """(P^i_ij, |u_i - u_j|) for i in ``senders``, j in ``receivers``: (K, |I|, |J|) each.

    With a = min, b = max of the two positions and m their midpoint, the votes for the
    lower position are sum_{u_k < m} w_k g_k with g_k = b - a below a and a + b - 2 u_k
    inside [a, b]; in prefix sums at a and m that is 2 (alpha_a + m W(m) - X(m)). The votes
    for the upper one are 2 (alpha_b + m W(m) - X(m)) + (b - a) W_total. P is the share of
    the votes for i (Scholz et al. 2011, eq. 7); 0.5 where no vote is cast. Fastest when
    the positions of ``u`` are sorted (the binary searches then run over sorted keys)."""
    ui = u[:, senders][:, :, None]
    uj = u[:, receivers][:, None, :]
    alpha = table.alpha
    p, d, _ = pair_shares(
        table, ui, uj, alpha[:, senders][:, :, None], alpha[:, receivers][:, None, :]
    )
    return p, d


def pair_shares(
    table: VoteTable,
    ui: FloatArray,
    uj: FloatArray,
    alpha_i: FloatArray,
    alpha_j: FloatArray,
    issues: slice | None = None,
    window: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(P^i_ij, |u_i - u_j|, u_i - u_j) of :func:`pair_terms` from the positions and
    alphas of senders ``ui``, ``alpha_i`` (K, |I|, 1) and receivers ``uj``, ``alpha_j``
    (K, 1, |J|), of the table's issues ``issues`` (default: all).

    ``window``: senders and receivers are each sorted by position, so the midpoints lie
    between those of the first and of the last pair; on one issue the places of the
    midpoints are then searched among the positions between those two only (the same
    places, found faster)."""
    m = 0.5 * (ui + uj)
    W = table.W if issues is None else table.W[issues]
    if len(table.W) == 1:
        if window:
            lo = table.flat.searchsorted(m[0, 0, 0], side="left")
            hi = table.flat.searchsorted(m[0, -1, -1], side="right")
            idx = table.flat[lo:hi].searchsorted(m, side="left")
            idx += lo
        else:
            idx = table.flat.searchsorted(m, side="left")
    else:
        part = slice(None) if issues is None else issues
        ks = np.arange(len(table.W))[part][:, None, None]
        if table.sorted_u is not None:  # count the positions below each midpoint
            idx = np.add.reduce(table.sorted_u[part, :, None, None] < m[:, None], axis=1)
            idx += (table.n + 1) * ks
        else:
            idx = np.searchsorted(table.flat, m + _OFFSET * ks, side="left")
            idx += ((table.n + 1) - table.n) * ks
    # idx indexes the flat (K, N+1) prefix tables: row k starts at k (N+1)
    mid = m * table.W.ravel()[idx]
    mid -= table.X.ravel()[idx]
    diff = ui - uj
    d = np.abs(diff)
    # half the votes for i and for j: alpha at one's own position + mid, plus
    # (b - a) W_total / 2 for whichever of the two is the upper position
    total = W[:, -1]
    h = d * (0.5 * total)[:, None, None]
    h_i = np.where(diff > 0.0, h, 0.0)  # (u_i > u_j)
    votes = np.empty((2, *mid.shape))  # (half) the votes for i; for j
    num = np.add(mid, alpha_i, out=votes[0])
    num += h_i
    other = np.add(mid, alpha_j, out=votes[1])
    other += h
    other -= h_i
    # vote sums below VOTE_SNAP of the total weight are rounding noise (e.g. the only
    # weighted voter standing exactly at the midpoint): no vote
    snap = (0.5 * VOTE_SNAP) * total[:, None, None]
    num, other = np.where(votes > snap, votes, 0.0)
    gross = num + other
    pos = gross > 0.0
    return np.where(pos, num / np.where(pos, gross, 1.0), 0.5), d, diff


def win_probability(
    table: VoteTable,
    u: FloatArray,
    senders: IntArray | slice,
    receivers: IntArray | slice,
) -> FloatArray:
    """P^i_ij (Scholz et al. 2011, eq. 7) for i in ``senders``, j in ``receivers``."""
    return pair_terms(table, u, senders, receivers)[0]


def condorcet_median(u: FloatArray, w: FloatArray) -> FloatArray:
    """The Condorcet position per issue: the weighted median of ``u`` (K, N) with weights
    ``w``. Where the median is an interval (cumulative weight exactly half), its midpoint;
    where all weights are zero (every position ties), the midpoint of the positions."""
    order = np.argsort(u, axis=1, kind="stable")
    rows = np.arange(u.shape[0])
    us = u[rows[:, None], order]
    cw = np.add.accumulate(w[rows[:, None], order], axis=1)
    total = cw[:, -1:]
    half = total / 2.0
    tol = MEDIAN_TOL * total
    lo = (cw >= half - tol).argmax(axis=1)
    hi = (cw > half + tol).argmax(axis=1)
    med = 0.5 * (us[rows, lo] + us[rows, hi])
    return np.where(total[:, 0] > 0.0, med, 0.5 * (us[:, 0] + us[:, -1]))
