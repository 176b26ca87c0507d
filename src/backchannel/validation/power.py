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
        [fact[s] * fact[n_total - s - 1] / fact[n_total] if 0 <= s < n_total else 0.0
         for s in sizes], dtype=float)


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
    quota: int, weights: Sequence[int], players: Sequence[str] | None = None,
    min_members: int = 0, required: Sequence[str] = (),
) -> PowerIndices:
    """Weighted voting game ``[quota; w_1, ..., w_n]`` (optionally also needing
    ``min_members`` members)."""

    def win(c: IntArray, v: IntArray) -> NDArray[np.bool_]:
        return np.asarray((v >= quota) & (c >= min_members))

    return power_indices(weights, win, players, required,
                         method=f"exact generating functions, [{quota}; weights]")


def unanimity_game(players: Sequence[str], required: Sequence[str] = ()) -> PowerIndices:
    """Every member is a veto player: symmetric power 1/N."""
    n = len(players)

    def win(c: IntArray, v: IntArray) -> NDArray[np.bool_]:
        return np.asarray(c >= n)

    return power_indices([1] * n, win, players, required, method="unanimity")


def double_majority_game(
    population: Sequence[float], players: Sequence[str], *, member_share: float,
    min_members: int, pop_share: float, min_blocking: int, required: Sequence[str] = (),
) -> PowerIndices:
    """Lisbon double majority (Art. 16(4) TEU): at least ``member_share`` of the members and
    at least ``min_members`` of them, representing at least ``pop_share`` of the
    population; a coalition whose complement has fewer than ``min_blocking`` members also
    wins.

    Exactness: populations are counted in whole units (give them in thousands); the
    rounding moves a coalition's total by at most the sum of its members' rounding errors,
    so a coalition can be misclassified only if its rounded total lies in the band
    ``[quota - sum(positive errors), quota - sum(negative errors)]``.
    ``notes['ambiguous_coalitions']`` counts the coalitions (of a size where population
    matters) in that band: an upper bound on the misclassified ones; 0 means exact.
    """
    pop = np.asarray(population, dtype=float)
    n = len(pop)
    units = np.rint(pop).astype(np.int64)
    quota_true = pop_share * pop.sum()
    quota_units = math.ceil(quota_true - 1e-9)
    q_members = max(min_members, math.ceil(member_share * n - 1e-9))

    def win(c: IntArray, v: IntArray) -> NDArray[np.bool_]:
        return np.asarray(((c >= q_members) & (v >= quota_units)) | (c > n - min_blocking))

    f = coalition_table(units)
    res = power_indices(units, win, players, required,
                        method="exact generating functions over (members, population "
                        "in thousands)", table=f)
    err = pop - units  # a coalition's true total = rounded total + sum of its members' err
    # true total in [t + neg, t + pos]: ambiguous iff t + neg < quota <= t + pos
    lo = max(0, math.ceil(quota_true - err[err > 0].sum() - 1e-9))
    hi = min(f.shape[1] - 1, math.ceil(quota_true - err[err < 0].sum() - 1e-9) - 1)
    sizes = np.arange(n + 1)
    relevant = (sizes >= q_members) & (sizes <= n - min_blocking)
    ambiguous = int(f[relevant, lo: hi + 1].sum()) if hi >= lo else 0
    return PowerIndices(
        players=res.players, shapley_shubik=res.shapley_shubik, banzhaf=res.banzhaf,
        banzhaf_absolute=res.banzhaf_absolute, method=res.method, exact=ambiguous == 0,
        notes={"ambiguous_coalitions": float(ambiguous), "quota_thousands": quota_true},
    )
