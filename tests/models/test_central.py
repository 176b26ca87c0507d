"""Compromise model and weighted median on hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pytest

from backchannel.models.central import compromise, weighted_median, weighted_median_1d

LO, HI = np.array([0.0]), np.array([100.0])


def test_compromise_is_the_capability_salience_weighted_mean() -> None:
    pos = np.array([[0.0], [100.0]])
    sal = np.array([[50.0], [100.0]])
    cap = np.array([[2.0], [1.0]])
    out = compromise(pos, sal, cap, lo=LO, hi=HI).outcome
    assert out[0] == pytest.approx(50.0)  # weights 100 and 100


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [
        ([1, 2, 3, 4], [1, 1, 0, 1], 2.0),  # cumulative 1,2,2,3: half 1.5 reached at 2
        ([1, 2, 3, 4], [1, 1, 0, 2], 3.0),  # exact half after 2: mean with 4 (3 has no weight)
        ([4, 1, 3], [1, 5, 1], 1.0),  # one heavy actor is the median
        ([7], [1], 7.0),
    ],
)
def test_weighted_median(values: list[float], weights: list[float], expected: float) -> None:
    got = weighted_median_1d(np.array(values, dtype=float), np.array(weights, dtype=float))
    assert got == pytest.approx(expected)


def test_weighted_median_model_per_issue() -> None:
    pos = np.array([[0.0, 10.0], [50.0, 20.0], [100.0, 90.0]])
    sal = np.full((3, 2), 50.0)
    cap = np.array([[1.0], [1.0], [3.0]]) * np.ones((1, 2))
    out = weighted_median(pos, sal, cap, lo=LO.repeat(2), hi=HI.repeat(2)).outcome
    assert out.tolist() == [100.0, 90.0]
