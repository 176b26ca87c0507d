"""Many small independent LPs solved as one block-diagonal LP with HiGHS.

A sweep needs the same small LP for thousands of draws (and agendas). Stacking them into
one sparse block-diagonal problem with a separable objective gives every block its own
optimum in a single HiGHS call (the optimum of a sum of independent problems is the sum of
their optima), with no Python loop over blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

from backchannel.scenario.arrays import FloatArray


@dataclass(frozen=True)
class BlockTemplate:
    """The sparsity pattern of one block: ``rows``/``cols`` (nnz,), sizes ``n_rows``/``n_cols``."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    n_rows: int
    n_cols: int


def solve_blocks(
    template: BlockTemplate,
    values: FloatArray,
    b_ub: FloatArray,
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Minimise ``cost . v`` s.t. ``A v <= b_ub``, ``lower <= v <= upper`` for M blocks.

    ``values`` (M, nnz) fills the template per block; ``b_ub`` (M, n_rows); ``cost``,
    ``lower``, ``upper`` (M, n_cols). Returns the solutions (M, n_cols) and a flag per
    block that is False where that block is infeasible (its solution is NaN).
    """
    m = values.shape[0]
    if m == 0:
        return np.empty((0, template.n_cols)), np.empty(0, dtype=bool)
    row_off = (np.arange(m) * template.n_rows)[:, None]
    col_off = (np.arange(m) * template.n_cols)[:, None]
    a = sp.csr_array(
        (values.ravel(), ((template.rows + row_off).ravel(), (template.cols + col_off).ravel())),
        shape=(m * template.n_rows, m * template.n_cols),
    )
    bounds = np.column_stack([lower.ravel(), upper.ravel()])
    res = linprog(cost.ravel(), A_ub=a, b_ub=b_ub.ravel(), bounds=bounds, method="highs")
    if res.status == 0:
        return res.x.reshape(m, template.n_cols), np.ones(m, dtype=bool)
    if res.status != 2 or m == 1:  # not "infeasible", or a single block: report as such
        if res.status == 2:
            return np.full((1, template.n_cols), np.nan), np.zeros(1, dtype=bool)
        raise RuntimeError(f"HiGHS failed: {res.message}")
    # some block is infeasible: split to find which (rare; blocks are built feasible)
    half = m // 2
    xa, fa = solve_blocks(
        template, values[:half], b_ub[:half], cost[:half], lower[:half], upper[:half]
    )
    xb, fb = solve_blocks(
        template, values[half:], b_ub[half:], cost[half:], lower[half:], upper[half:]
    )
    return np.vstack([xa, xb]), np.concatenate([fa, fb])
