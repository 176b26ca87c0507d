"""The compromise model tuned by nested cross-validation: grid, exactness of the plain
specification, institution weights, and that no test proposal influences a selection."""

from __future__ import annotations

import numpy as np
import pytest

from backchannel.data.capability import capabilities, issue_periods
from backchannel.data.deu import DeuData
from backchannel.validation.crossval import proposal_folds
from backchannel.validation.runner import run_models
from backchannel.validation.tuning import (
    Spec,
    candidate_forecasts,
    grid,
    institution_weights,
    nested_cross_validate,
    select_per_fold,
)


@pytest.fixture(scope="module")
def cands(deu_dev: DeuData) -> tuple[tuple[Spec, ...], np.ndarray, np.ndarray, np.ndarray]:
    mask = deu_dev.scoreable()
    specs, f = candidate_forecasts(deu_dev)
    scored = deu_dev.subset(mask)
    _, group = scored.proposal_index()
    return specs, f[:, mask], scored.outcome, group


def test_grid() -> None:
    g = grid()
    assert g[0] == Spec("shapley_shubik", "game", "mean", 0.0, 0.0)  # the plain model first
    assert len(g) == len(set(g)) == 648
    assert all(s.target_weight + s.rp_weight <= 1 + 1e-9 for s in g)
    assert not any(s.target_weight == 0 and s.target != "mean" for s in g)


def test_plain_spec_is_the_registered_compromise(deu_dev: DeuData) -> None:
    _, f = candidate_forecasts(deu_dev, grid()[:1])
    comp = run_models(deu_dev, capabilities(deu_dev), ["compromise"])["compromise"].forecast
    np.testing.assert_array_equal(f[0], comp)


def test_shrinkage_is_convex(deu_dev: DeuData) -> None:
    s = (
        Spec("banzhaf", "game", "mean", 0.0, 0.0),
        Spec("banzhaf", "game", "mean", 1.0, 0.0),
        Spec("banzhaf", "game", "mean", 0.4, 0.0),
        Spec("banzhaf", "game", "mean", 0.0, 0.3),
    )
    _, f = candidate_forecasts(deu_dev, s)
    ok = np.isfinite(f).all(axis=0)
    np.testing.assert_allclose(f[2, ok], 0.6 * f[0, ok] + 0.4 * f[1, ok])
    rp = deu_dev.reference
    has = ok & np.isfinite(rp)
    np.testing.assert_allclose(f[3, has], 0.7 * f[0, has] + 0.3 * rp[has])
    np.testing.assert_allclose(f[3, ok & ~has], f[0, ok & ~has])  # no rp: no effect


def test_institution_weights(deu_dev: DeuData) -> None:
    cap = capabilities(deu_dev, "shapley_shubik")
    com, ep = deu_dev.actors.index("com"), deu_dev.actors.index("ep")
    none = institution_weights(cap, deu_dev, "none")
    assert not none[[com, ep]].any()
    np.testing.assert_array_equal(np.delete(none, [com, ep], 0), np.delete(cap, [com, ep], 0))
    mm = institution_weights(cap, deu_dev, "member_mean")
    # n99056i1: EU15 unanimity under consultation; every player has 1/16, so the member
    # mean is 1/16 and the Parliament (0 in the game) gets it too
    k = deu_dev.issue_ids.index("n99056i1")
    assert cap[ep, k] == 0.0 and mm[ep, k] == pytest.approx(1 / 16)
    assert mm[com, k] == pytest.approx(1 / 16)
    per = issue_periods(deu_dev)
    for j in (0, 50, 200):  # member mean = Council members' total / number of members
        members = [deu_dev.actors.index(a) for a in per[j].members]
        assert mm[com, j] == pytest.approx(cap[members, j].sum() / len(members))
    assert institution_weights(cap, deu_dev, "game") is cap
    eq = capabilities(deu_dev, "equal")
    np.testing.assert_allclose(eq.sum(axis=0), 1.0)


def test_selection_prefers_a_perfect_candidate() -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 100, 60)
    g = np.repeat(np.arange(20), 3)
    cand = np.vstack([rng.uniform(0, 100, 60), y + rng.normal(0, 0.5, 60), rng.uniform(0, 100, 60)])
    specs = grid()[:3]
    cv = nested_cross_validate(specs, cand, y, g, k=5, seeds=(0, 1))
    assert (cv.selected == 1).all()
    np.testing.assert_array_equal(cv.oof[0], cand[1])


def test_poisoned_test_fold_does_not_change_its_selection(cands) -> None:  # type: ignore[no-untyped-def]
    """Replace the outcomes of one outer test fold by adversarial values (0/100 pushed toward
    an odd specification): the specification chosen for that fold must not change, nor its
    out-of-fold forecasts. Positive controls: the other folds' choices (whose training part
    contains the poisoned proposals) and a leaky choice on all issues do change."""
    specs, f, y, group = cands
    k = 10
    fold = proposal_folds(group, k, 0)
    base = select_per_fold(f, y, fold, k)
    base_cv = nested_cross_validate(specs, f, y, group, k=k, seeds=(0,))
    leaky = int(np.argmin(np.abs(f - y).mean(axis=1)))
    odd = len(specs) - 1  # equal power, no institutions, all weight on the salience mean
    others_changed = leaky_changed = 0
    for j in range(k):
        test = fold == j
        poisoned = y.copy()
        poisoned[test] = np.where(f[odd, test] >= f[0, test], 100.0, 0.0)
        sel = select_per_fold(f, poisoned, fold, k)
        assert sel[j] == base[j]
        cv = nested_cross_validate(specs, f, poisoned, group, k=k, seeds=(0,))
        np.testing.assert_array_equal(cv.oof[0, test], base_cv.oof[0, test])
        others_changed += int((sel != base).any())
        leaky_changed += int(np.argmin(np.abs(f - poisoned).mean(axis=1)) != leaky)
    assert others_changed >= 5 and leaky_changed >= 3


def test_out_of_fold_forecasts_follow_the_choice(cands) -> None:  # type: ignore[no-untyped-def]
    """The out-of-fold forecast of every issue is the forecast of the specification chosen
    for its fold, and the folds are those of the stack (same seeds)."""
    specs, f, y, group = cands
    cv = nested_cross_validate(specs, f, y, group, k=10, seeds=(0, 3))
    for r, seed in enumerate((0, 3)):
        np.testing.assert_array_equal(cv.folds[r], proposal_folds(group, 10, seed))
        for j in range(10):
            test = cv.folds[r] == j
            np.testing.assert_array_equal(cv.oof[r, test], f[cv.selected[r, j], test])
    counts = cv.selection_counts()
    assert sum(counts["power"].values()) == 20
