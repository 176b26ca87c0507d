"""Sobol' indices on a reference function with known analytic indices (Ishigami & Homma
1990, a = 7, b = 0.1; analytic values as in Saltelli et al. 2008, *Global Sensitivity
Analysis: The Primer*, sec. 4.9), from our design and scipy's estimators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backchannel.engine.sensitivity import sobol_design, sobol_indices

A, B = 7.0, 0.1
NAMES = ("x1", "x2", "x3")


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -math.pi + 2 * math.pi * u
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def analytic() -> tuple[np.ndarray, np.ndarray]:
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + B * pi4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * pi8 / 225
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_design_layout_is_saltelli_a_ab_b() -> None:
    u = sobol_design(NAMES, 8, seed=3).reshape(8, 5, 3)
    a, b = u[:, 0], u[:, -1]
    for i in range(3):
        expect = a.copy()
        expect[:, i] = b[:, i]
        np.testing.assert_array_equal(u[:, 1 + i], expect)
    assert np.all((u >= 0) & (u < 1))
    np.testing.assert_array_equal(sobol_design(NAMES, 8, seed=3), sobol_design(NAMES, 8, 3))


@pytest.mark.parametrize("seed", [0, 1])
def test_ishigami_indices_match_the_analytic_values(seed: int) -> None:
    s1, s1c, st, stc = sobol_indices(NAMES, ishigami(sobol_design(NAMES, 4096, seed)), seed)
    s1_true, st_true = analytic()
    np.testing.assert_allclose(s1, s1_true, atol=0.012)
    np.testing.assert_allclose(st, st_true, atol=0.006)
    # the 95% half-widths are honest: they cover the truth and are not huge
    assert np.all(np.abs(s1 - s1_true) <= s1c) and np.all(s1c < 0.05)
    assert np.all(np.abs(st - st_true) <= stc + 1e-3) and np.all(stc < 0.05)


def test_many_outputs_at_once_equal_one_at_a_time_and_constant_gives_zeros() -> None:
    u = sobol_design(NAMES, 64, seed=2)
    ys = np.stack([ishigami(u), np.full(len(u), 3.0), u[:, 1] ** 2])
    together = sobol_indices(NAMES, ys, seed=5)
    for k in range(3):
        alone = sobol_indices(NAMES, ys[k], seed=5)
        np.testing.assert_allclose(together[0][k], alone[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(together[2][k], alone[2], rtol=1e-12, atol=1e-15)
    assert not np.any([together[j][1] for j in range(4)])  # the constant output
    s1, _, st, _ = sobol_indices(NAMES, ys[2], seed=5)
    assert s1[1] > 0.9 and st[1] > 0.9 and abs(s1[0]) < 0.05 and abs(st[2]) < 1e-12
    # seeded: the same half-widths on a second call
    np.testing.assert_array_equal(together[1], sobol_indices(NAMES, ys, seed=5)[1])
