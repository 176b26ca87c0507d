"""Cross-validation by proposal and the convex LAD stack."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.data.deu import DeuData
from backchannel.validation.crossval import (
    cross_validate_stack,
    fit_convex_lad,
    proposal_folds,
)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=200), st.integers(2, 10), st.integers(0, 1000)
)
def test_no_proposal_in_two_folds(groups: list[int], k: int, seed: int) -> None:
    g = np.asarray(groups, dtype=np.int64)
    fold = proposal_folds(g, k, seed)
    for p in np.unique(g):
        assert np.unique(fold[g == p]).size == 1
    sizes = np.bincount(fold[np.unique(g, return_index=True)[1]], minlength=k)
    assert sizes.max() - sizes.min() <= 1  # proposals dealt evenly


def test_dev_file_split(deu_dev: DeuData) -> None:
    _, g = deu_dev.proposal_index()
    fold = proposal_folds(g, 10, 0)
    assert all(np.unique(fold[g == p]).size == 1 for p in np.unique(g))
    assert np.array_equal(fold, proposal_folds(g, 10, 0))  # seeded


def test_convex_lad() -> None:
    rng = np.random.default_rng(1)
    f = rng.uniform(0, 100, (60, 3))
    y = 0.7 * f[:, 0] + 0.3 * f[:, 2]
    w = fit_convex_lad(f, y)
    np.testing.assert_allclose(w, [0.7, 0.0, 0.3], atol=1e-6)
    # robust to outliers: LAD ignores a few wild outcomes
    y2 = f[:, 1].copy()
    y2[:5] += 500
    np.testing.assert_allclose(fit_convex_lad(f, y2), [0, 1, 0], atol=1e-6)


def test_stack_is_out_of_fold() -> None:
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(20), 3)
    y = rng.uniform(0, 100, 60)
    comps = {"a": y + rng.normal(0, 1, 60), "b": rng.uniform(0, 100, 60)}
    cv = cross_validate_stack(comps, y, g, k=5, seeds=(0, 1))
    assert cv.oof.shape == (2, 60) and cv.fold_weights.shape == (2, 5, 2)
    np.testing.assert_allclose(cv.fold_weights.sum(axis=2), 1.0)
    assert np.all(cv.fold_weights[:, :, 0] > 0.9)
    for r in range(2):  # each fold's weights were fitted without that fold's proposals
        for j in range(5):
            test = cv.folds[r] == j
            np.testing.assert_allclose(
                cv.oof[r, test],
                np.column_stack([comps["a"], comps["b"]])[test] @ cv.fold_weights[r, j],
            )
