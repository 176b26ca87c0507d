"""Exact Shapley-Shubik and Banzhaf power indices of weighted and double-majority games.

Method: generating functions (Brams & Affuso 1976; Bilbao, Fernandez, Jimenez Losada &
Lopez 2000, "Generating functions for computing power indices efficiently", TOP 8(2)).
The coefficient table ``F[c, w]`` counts the coalitions of ``c`` players and total integer
weight ``w``; it is the product of ``(1 + y x^{w_i})`` over players, built by a dynamic
programme over players. A player's table without it is recovered exactly by polynomial
division (``G[c] = F[c] - x^{w_i} G[c-1]``). A coalition S not containing i is a swing for i
when ``win(S + i)`` and not ``win(S)``; since ``win`` depends on (size, weight) only, the
swings are counted from ``G`` and a boolean table ``win[c, w]``:

* Shapley-Shubik: ``phi_i = sum_{c,w} G[c,w] swing_i[c,w] c!(N-c-1)!/N!`` (Shapley &
  Shubik 1954);
* Banzhaf: ``beta'_i = sum G swing_i / 2^(N-1)`` (absolute), normalised to sum 1
  (Banzhaf 1965).

"Required" players (e.g. the Commission and the Parliament as veto players of a
legislative procedure) join the game as players without weight that every winning
coalition must contain; their indices follow in closed form from the same table.
All counts are exact integers (int64 for up to 62 players); the indices are floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
WinRule = Callable[[IntArray, IntArray], NDArray[np.bool_]]


@dataclass(frozen=True)
class PowerIndices:
    """Power of each player (in ``players`` order, required players last)."""

    players: tuple[str, ...]
    shapley_shubik: NDArray[np.float64]
    banzhaf: NDArray[np.float64]
    banzhaf_absolute: NDArray[np.float64]
    method: str
    exact: bool = True
    notes: dict[str, float] = field(default_factory=dict)

    def as_dict(self, index: str = "shapley_shubik") -> dict[str, float]:
        vals = self.shapley_shubik if index == "shapley_shubik" else self.banzhaf
        return {p: float(v) for p, v in zip(self.players, vals, strict=True)}


def coalition_table(weights: Sequence[int] | IntArray) -> IntArray:
    """``F[c, w]``: number of coalitions with ``c`` members and total weight ``w``."""
    w = np.asarray(weights, dtype=np.int64)
    if np.any(w < 0):
        raise ValueError("weights must be non-negative integers")
    n, total = len(w), int(w.sum())
    f = np.zeros((n + 1, total + 1), dtype=np.int64)
    f[0, 0] = 1
    for wi in w:
        g = f.copy()
        if wi == 0:
            g[1:] += f[:-1]
        else:
            g[1:, wi:] += f[:-1, :-wi]
        f = g
    return f


def remove_player(f: IntArray, wi: int) -> IntArray:
    """Divide ``(1 + y x^wi)`` out of a coalition table (exact)."""
    g = np.empty_like(f)
    g[0] = f[0]
    for c in range(1, f.shape[0]):
        g[c] = f[c]
        if wi == 0:
            g[c] -= g[c - 1]
        else:
            g[c, wi:] -= g[c - 1, :-wi]
    return g


def _ss_weights(n_total: int, sizes: IntArray) -> NDArray[np.float64]:
    fact = [math.factorial(k) for k in range(n_total + 1)]
    return np.array(
        [
            fact[s] * fact[n_total - s - 1] / fact[n_total] if 0 <= s < n_total else 0.0
            for s in sizes
        ],
        dtype=float,
    )


def power_indices(
    weights: Sequence[int] | IntArray,
    win: WinRule,
    players: Sequence[str] | None = None,
    required: Sequence[str] = (),
    method: str = "generating functions",
    table: IntArray | None = None,
) -> PowerIndices:
    """Shapley-Shubik and Banzhaf indices of a game whose winning coalitions are those of
    the weighted players with ``win(size, weight)`` true that also contain every
    ``required`` player. ``win`` is evaluated on broadcast integer grids and must be
    monotone."""
    w = np.asarray(weights, dtype=np.int64)
    n, r = len(w), len(required)
    names = tuple(players) if players is not None else tuple(str(i) for i in range(n))
    f = coalition_table(w) if table is None else table
    total = f.shape[1] - 1
    cs = np.arange(n + 1, dtype=np.int64)[:, None]
    ws = np.arange(total + 1, dtype=np.int64)[None, :]
    wins = np.asarray(win(cs, ws), dtype=bool) & np.ones_like(f, dtype=bool)
    n_total = n + r
    ss = np.zeros(n_total)
    swings = np.zeros(n_total)
    # weighted players: S (size c, weight v) without i; with all r required players in front
    ss_row = _ss_weights(n_total, np.arange(n + 1) + r)
    for i, wi in enumerate(w):
        g = remove_player(f, int(wi))[:n]  # coalitions of the other n-1 players: size <= n-1
        after = np.zeros_like(wins[:n])
        after[:, : total + 1 - wi] = wins[1:, wi:]
        swing = after & ~wins[:n]
        per_size = (g * swing).sum(axis=1)
        swings[i] = per_size.sum()
        ss[i] = float(per_size @ ss_row[:n])
    if r:
        # a required player is pivotal when the other required players and a winning set
        # of weighted players precede it
        per_size = (f * wins).sum(axis=1)
        ss_req = _ss_weights(n_total, np.arange(n + 1) + r - 1)
        ss[n:] = float(per_size @ ss_req)
        swings[n:] = per_size.sum()
    absolute = swings / 2.0 ** (n_total - 1)
    tot = swings.sum()
    return PowerIndices(
        players=names + tuple(required),
        shapley_shubik=ss,
        banzhaf=swings / tot if tot > 0 else swings,
        banzhaf_absolute=absolute,
        method=method,
    )


def weighted_game(
    quota: int,
    weights: Sequence[int],
    players: Sequence[str] | None = None,
    min_members: int = 0,
    required: Sequence[str] = (),
) -> PowerIndices:
    """Weighted voting game ``[quota; w_1, ..., w_n]`` (optionally also needing
    ``min_members`` members)."""

    def win(c: IntArray, v: IntArray) -> NDArray[np.bool_]:
        return np.asarray((v >= quota) & (c >= min_members))

    return power_indices(
        weights, win, players, required, method=f"exact generating functions, [{quota}; weights]"
    )


def unanimity_game(players: Sequence[str], required: Sequence[str] = ()) -> PowerIndices:
    """Every member is a veto player: symmetric power 1/N."""
    n = len(players)

    def win(c: IntArray, v: IntArray) -> NDArray[np.bool_]:
        return np.asarray(c >= n)

    return power_indices([1] * n, win, players, required, method="unanimity")


def _subset_sums(units: IntArray) -> tuple[IntArray, IntArray]:
    """Size and total of every subset of ``units`` (2^h of them)."""
    h = len(units)
    masks = np.arange(1 << h, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(h, dtype=np.int64)[None, :]) & 1
    return np.asarray(bits.sum(axis=1), dtype=np.int64), np.asarray(bits @ units, dtype=np.int64)


def count_in_ranges(units: IntArray, lo: Sequence[int], hi: Sequence[int]) -> IntArray:
    """Exact number of coalitions of each size ``s`` (0..n) whose total lies in
    ``[lo[s], hi[s])``, by meet in the middle: the subsets of the two halves are enumerated,
    those of the second half sorted by total within each size, and the pairs counted with
    binary searches (Horowitz & Sahni 1974)."""
    n = len(units)
    half = n // 2
    sa, pa = _subset_sums(units[:half])
    sb, pb = _subset_sums(units[half:])
    out = np.zeros(n + 1, dtype=np.int64)
    lo_a = np.asarray(lo, dtype=np.int64)
    hi_a = np.asarray(hi, dtype=np.int64)
    for s2 in range(n - half + 1):
        b = np.sort(pb[sb == s2])
        if b.size == 0:
            continue
        s = sa + s2
        cnt = np.searchsorted(b, hi_a[s] - pa, side="left") - np.searchsorted(
            b, lo_a[s] - pa, side="left"
        )
        out += np.bincount(s, weights=cnt, minlength=n + 1).astype(np.int64)
    return out


def double_majority_game(
    population: Sequence[float],
    players: Sequence[str],
    *,
    member_share: float,
    min_members: int,
    pop_share: float,
    min_blocking: int,
    required: Sequence[str] = (),
    decimals: int = 1,
) -> PowerIndices:
    """Lisbon double majority (Art. 16(4) TEU): at least ``member_share`` of the members and
    at least ``min_members`` of them, representing at least ``pop_share`` of the
    population; a coalition whose complement has fewer than ``min_blocking`` members also
    wins.

    Exact: populations are scaled by ``10**decimals`` to integers (the Council's figures
    have one decimal in thousands), the quota is compared in integers
    (``den * p >= num * P`` with ``pop_share = num/den``), and for each player the swing
    coalitions of each size are counted exactly by :func:`count_in_ranges` (for a given
    size, the swings of player i are the coalitions whose population lies in one interval).
    """
    from fractions import Fraction

    pop = np.asarray(population, dtype=float)
    n, r = len(pop), len(required)
    units = np.rint(pop * 10**decimals).astype(np.int64)
    if not np.allclose(units, pop * 10**decimals, atol=1e-6 * 10**decimals):
        raise ValueError(f"population figures have more than {decimals} decimals")
    share = Fraction(pop_share).limit_denominator(10_000)
    total = int(units.sum())
    quota = -((-share.numerator * total) // share.denominator)  # ceil: p >= quota wins
    q_members = max(min_members, math.ceil(member_share * n - 1e-9))
    count_win = n - min_blocking + 1  # this many members win whatever their population
    big = int(units.sum()) + 1
    n_total = n + r
    ss = np.zeros(n_total)
    swings = np.zeros(n_total)
    size_w = _ss_weights(n_total, np.arange(n) + r)
    for i in range(n):
        w = int(units[i])
        lo, hi = [], []
        for s in range(n):  # S: s other members
            if s >= count_win:
                a, b = 0, 0  # S already wins
            elif s + 1 >= count_win:
                a, b = (0, quota) if s >= q_members else (0, big)
            elif s + 1 < q_members:
                a, b = 0, 0
            elif s < q_members:
                a, b = quota - w, big
            else:
                a, b = quota - w, quota
            lo.append(max(a, 0))
            hi.append(max(b, 0))
        lo.append(0)
        hi.append(0)
        per_size = count_in_ranges(np.delete(units, i), lo, hi)[:n]
        swings[i] = per_size.sum()
        ss[i] = float(per_size @ size_w)
    if r:
        lo = [0 if s >= count_win else quota if s >= q_members else 0 for s in range(n + 1)]
        hi = [big if (s >= count_win or s >= q_members) else 0 for s in range(n + 1)]
        per_size = count_in_ranges(units, lo, hi)
        ss[n:] = float(per_size @ _ss_weights(n_total, np.arange(n + 1) + r - 1))
        swings[n:] = per_size.sum()
    tot = swings.sum()
    return PowerIndices(
        players=tuple(players) + tuple(required),
        shapley_shubik=ss,
        banzhaf=swings / tot if tot > 0 else swings,
        banzhaf_absolute=swings / 2.0 ** (n_total - 1),
        method="exact meet-in-the-middle count of swings (members, population)",
        notes={"quota_units": float(quota), "units_per_population_unit": 10.0**decimals},
    )
