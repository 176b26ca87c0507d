"""Streamed sweeps (:mod:`backchannel.engine.stream`): the same counts and tornado bars as
a sweep that keeps its draws, quantiles within one bin of the exact ones, rows written as
they come, and memory that does not grow with the draws."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from _sweep_cases import synthetic_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel import api, tables
from backchannel.engine.executors import LocalExecutor, ProcessExecutor
from backchannel.engine.sampling import sampling_plan
from backchannel.engine.stream import BINS, Histogram
from backchannel.engine.sweep import QUANTILES, SweepResult, run_sweep
from backchannel.scenario import load_embedded

values = st.lists(
    st.one_of(
        st.floats(-1.5, 1.5, allow_nan=False),
        st.sampled_from([-1.0, 0.0, 0.25, 1.0, float("-inf")]),
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(1, 5))
def test_histogram_quantiles_are_within_one_bin_of_numpy(ys: list[float], parts: int) -> None:
    """Against numpy's type 7 (finite values) and type 1 (with -inf), on data added in
    ``parts`` pieces, with values beyond the range clipped into the end bins."""
    y = np.array(ys)
    h = Histogram(-1.0, 1.0)
    for piece in np.array_split(y, parts):
        h.add(piece)
    clipped = np.where(np.isfinite(y), np.clip(y, -1.0, 1.0), y)
    tol = h.width * (1 + 1e-9)
    for q in (0.0, *QUANTILES, 1.0):
        exact = np.quantile(clipped, q, method="inverted_cdf")
        got = h.quantile(q, "inverted_cdf")
        assert got == exact if not np.isfinite(exact) else abs(got - exact) <= tol
        if np.isfinite(y).all():
            assert abs(h.quantile(q) - np.quantile(clipped, q)) <= tol
    finite = clipped[np.isfinite(clipped)]
    if finite.size:
        assert h.mean() == pytest.approx(finite.mean(), abs=1e-12)
    assert h.minus_inf == int(np.sum(np.isneginf(y)))


def _pair(plan_name: str = "iran_us_2019", draws: int = 3000) -> tuple[SweepResult, SweepResult]:
    plan = sampling_plan(load_embedded(plan_name))
    kw = dict(seed=4, models=("compromise",), n_base=32, chunk_size=500)
    kept = run_sweep(plan, draws, keep_draws=True, **kw)  # type: ignore[arg-type]
    streamed = run_sweep(plan, draws, keep_draws=False, **kw)  # type: ignore[arg-type]
    return kept, streamed


def test_a_streamed_sweep_agrees_with_one_that_keeps_its_draws() -> None:
    kept, streamed = _pair()
    assert streamed.streamed and not kept.streamed
    assert streamed.u is None and streamed.deal is None and streamed.outcomes is None
    assert (streamed.deals, streamed.deals_induced) == (kept.deals, kept.deals_induced)
    assert kept.deals == int(kept.deal.sum())  # type: ignore[union-attr]
    a, b = kept.to_dict(), streamed.to_dict()
    assert (
        a["p_deal"] == b["p_deal"] and a["p_deal_with_inducements"] == b["p_deal_with_inducements"]
    )
    assert a["sensitivity"] == b["sensitivity"]  # same design; tornado bars folded exactly
    assert b["quantiles"].startswith("histogram") and a["quantiles"] == "exact"
    width = 100.0 / BINS
    for iss, qs in a["outcomes"]["compromise"].items():
        for k, v in qs.items():
            assert b["outcomes"]["compromise"][iss][k] == pytest.approx(v, abs=width)
    for k, v in a["slack"].items():
        w = b["slack"][k]
        assert (v is None and w is None) or w == pytest.approx(v, abs=2.0 / BINS)
    assert a["escalation"] is not None
    for side in ("without_channel", "with_channels"):
        for k, v in a["escalation"][side].items():
            assert b["escalation"][side][k] == pytest.approx(v, abs=1.0 / BINS)


def test_tornado_bars_folded_by_chunk_equal_the_whole_array() -> None:
    """The bars of the kept sweep, recomputed from its per-draw arrays in one go."""
    kept, _ = _pair(draws=2000)
    assert kept.sensitivity is not None and kept.u is not None and kept.deal is not None
    out = kept.sensitivity.outputs["deal"]
    names = [c.name for c in kept.inputs]
    u = kept.u[:, [names.index(i) for i in out.inputs]]
    y = kept.deal.astype(float)
    low = np.array([y[u[:, i] <= 0.2].mean() for i in range(u.shape[1])])
    high = np.array([y[u[:, i] >= 0.8].mean() for i in range(u.shape[1])])
    np.testing.assert_allclose(out.low, low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.high, high, rtol=0, atol=1e-12)
    assert out.base == pytest.approx(y.mean(), abs=1e-12)


def test_rows_written_as_they_come_equal_the_kept_draws_table(tmp_path: Path) -> None:
    sc = load_embedded("iran_us_2019")
    path = tmp_path / "draws.csv"
    kept = api.sweep(sc, 2500, seed=2, models=("compromise",), sobol=0, workers=1)
    streamed = api.sweep(
        sc,
        2500,
        seed=2,
        models=("compromise",),
        sobol=0,
        workers=1,
        keep_draws=False,
        draws_out=path,
    )
    assert streamed.streamed and any("streamed" in n for n in streamed.notes)
    want = tables.csv_text(tables.columns(kept, "draws")).splitlines()
    assert path.read_text(encoding="utf-8").splitlines() == want
    assert [p.name for p in tmp_path.iterdir()] == ["draws.csv"]  # no temporary left
    with pytest.raises(Exception, match="streamed"):
        tables._sweep(streamed, "draws")
    assert tables.names(streamed)[0] == "outcomes"


def test_a_failed_sweep_leaves_an_earlier_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "draws.csv"
    path.write_text("earlier\n", encoding="utf-8")
    with pytest.raises(ZeroDivisionError), tables.DrawWriter(path) as w:
        w.write({"draw": np.arange(3)})
        raise ZeroDivisionError
    assert path.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["draws.csv"]


def _peak(plan: object, draws: int) -> int:
    tracemalloc.start()
    try:
        run_sweep(
            plan,
            draws,
            seed=0,
            models=("compromise",),
            n_base=None,  # type: ignore[arg-type]
            keep_draws=False,
            chunk_size=250,
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_of_a_streamed_sweep_does_not_grow_with_the_draws() -> None:
    """Eight times the draws (32 chunks against 4) peak within 20% of the same memory; a
    sweep that kept them would need 8x the per-draw arrays."""
    plan = sampling_plan(synthetic_scenario(6, 6, seed=1))
    small, large = _peak(plan, 1000), _peak(plan, 8000)
    assert large < 1.2 * small, (small, large)


def test_the_pool_yields_results_in_order_with_a_bounded_window() -> None:
    tasks = list(range(23))
    with ProcessExecutor(2) as pool:
        got = list(pool.imap(abs, [-t for t in tasks]))
    assert got == tasks
    done: list[int] = []
    assert list(LocalExecutor().imap(abs, [-1, -2], done.append)) == [1, 2] and done == [1, 1]
