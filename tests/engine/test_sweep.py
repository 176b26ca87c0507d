"""Monte Carlo sweeps: analytic probabilities, determinism across engines, sensitivity."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pytest
from _sweep_cases import synthetic_scenario, two_party
from scipy import special

from backchannel.engine.batch import PER_ISSUE_MODELS, batch_forecast, draw_slice
from backchannel.engine.budget import design_size
from backchannel.engine.executors import DaskExecutor, LocalExecutor, ProcessExecutor
from backchannel.engine.sampling import sampling_plan
from backchannel.engine.sensitivity import tornado_figure
from backchannel.engine.sweep import SweepResult, run_sweep, wilson_interval
from backchannel.models import forecast
from backchannel.scenario import load_embedded
from backchannel.scenario.errors import InputError

T = TypeVar("T")
R = TypeVar("R")


def _assert_same(a: SweepResult, b: SweepResult) -> None:
    np.testing.assert_array_equal(a.u, b.u)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.deal, b.deal)
    np.testing.assert_array_equal(a.slack, b.slack)
    for m in a.models:
        np.testing.assert_array_equal(a.outcomes[m], b.outcomes[m])
    da, db = a.to_dict(), b.to_dict()
    da.pop("engine")
    db.pop("engine")
    assert da == db


@pytest.mark.parametrize(
    ("limit", "p"),
    [
        ("{value: 40, range: [30, 60]}", 2 / 3),  # uniform: P(L >= 40) = 20 / 30
        ("{value: 30, dist: {dist: triangular, low: 20, high: 60}}", 20**2 / (40 * 30)),
        (
            "{value: 45, dist: {dist: normal, sd: 10}}",  # normal(45, 10) truncated to [0, 100]
            (special.ndtr(5.5) - special.ndtr(-0.5)) / (special.ndtr(5.5) - special.ndtr(-4.5)),
        ),
    ],
)
def test_p_deal_matches_the_analytic_probability(limit: str, p: float) -> None:
    plan = sampling_plan(two_party(limit))
    r = run_sweep(plan, 20_000, seed=11, models=("compromise",), n_base=None)
    se = np.sqrt(p * (1 - p) / r.draws)
    assert abs(r.p_deal - p) < 4 * se
    lo, hi = r.p_deal_interval()
    assert lo < r.p_deal < hi
    # the verdict is exactly the red-line condition, draw by draw
    np.testing.assert_array_equal(r.deal, r.x[:, 0] >= 40)


def test_wilson_interval_hand_checked() -> None:
    lo, hi = wilson_interval(0, 100)
    assert lo == 0 and hi == pytest.approx(0.03699, abs=1e-4)
    lo, hi = wilson_interval(50, 100)
    assert (lo, hi) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def _small_plan() -> Any:
    return sampling_plan(
        two_party(
            "{value: 40, range: [0, 100]}",
            limit_b="{value: 40, range: [38, 42]}",
            position_a="{value: 2, range: [0, 5]}",
            salience_a="{value: 50, range: [10, 90]}",
        )
    )


def test_same_seed_same_result_and_chunks_are_prefixes() -> None:
    plan = _small_plan()
    a = run_sweep(plan, 3000, seed=5, models=("compromise",), n_base=None, chunk_size=1000)
    b = run_sweep(plan, 3000, seed=5, models=("compromise",), n_base=None, chunk_size=1000)
    _assert_same(a, b)
    c = run_sweep(plan, 3000, seed=6, models=("compromise",), n_base=None, chunk_size=1000)
    assert not np.array_equal(a.x, c.x)
    # chunk i always draws from SeedSequence(seed).spawn(...)[i]: more draws extend, not change
    d = run_sweep(plan, 2000, seed=5, models=("compromise",), n_base=None, chunk_size=1000)
    np.testing.assert_array_equal(d.x, a.x[:2000])


class ReversedExecutor(LocalExecutor):
    """Finishes chunks in reverse order (results still returned in task order)."""

    name = "reversed"

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        progress: Callable[[int], None] | None = None,
    ) -> list[R]:
        done = {i: fn(tasks[i]) for i in reversed(range(len(tasks)))}
        return [done[i] for i in range(len(tasks))]


def test_order_of_completion_does_not_matter() -> None:
    plan = _small_plan()
    kw: dict[str, Any] = {
        "seed": 3,
        "models": ("compromise", "median"),
        "n_base": 16,
        "chunk_size": 500,
    }
    _assert_same(
        run_sweep(plan, 1700, **kw), run_sweep(plan, 1700, executor=ReversedExecutor(), **kw)
    )


@pytest.mark.slow
def test_dask_gives_identical_results_for_any_worker_count(dask_client: Any) -> None:
    plan = _small_plan()
    kw: dict[str, Any] = {
        "seed": 9,
        "models": ("compromise", "median"),
        "n_base": 32,
        "chunk_size": 700,
    }
    local = run_sweep(plan, 3000, **kw)
    with DaskExecutor(client=dask_client) as ex:
        two = run_sweep(plan, 3000, executor=ex, **kw)
        assert two.engine["workers"] == 2
    _assert_same(local, two)
    # a one-worker cluster (started and closed by the executor)
    with DaskExecutor(workers=1) as ex1:
        one = run_sweep(plan, 3000, executor=ex1, **kw)
    _assert_same(local, one)


@pytest.mark.slow
def test_process_pool_one_core_and_dask_agree_bit_for_bit(dask_client: Any) -> None:
    """34 actors: the expected-utility model takes its tiled round, on threads in this
    process and on one thread in each pool worker (feasibility: the Dask tests above)."""
    plan = sampling_plan(synthetic_scenario(34, 1, seed=3))
    kw: dict[str, Any] = {
        "seed": 2,
        "models": ("compromise", "eum"),
        "n_base": 16,
        "chunk_size": 100,
        "run_feasibility": False,
    }
    one = run_sweep(plan, 300, executor=LocalExecutor(), **kw)
    assert one.sensitivity is not None and one.design is not None
    with ProcessExecutor(workers=2) as pool:
        several = run_sweep(plan, 300, executor=pool, **kw)
    assert several.engine == {"engine": "local", "workers": 2}
    _assert_same(one, several)
    with DaskExecutor(client=dask_client) as ex:
        _assert_same(one, run_sweep(plan, 300, executor=ex, **kw))


def test_the_draws_bound_the_sobol_design() -> None:
    # the largest power of 2 up to --sobol whose n (D + 2) evaluations fit in the draws
    assert design_size(256, 25, 10_000).n_base == 256  # 6,912 evaluations
    assert design_size(256, 25, 5_000).n_base == 128  # 3,456 <= 5,000 < 6,912
    assert design_size(100, 3, 1_000).n_base == 64  # the power of 2 below --sobol 100
    none = design_size(256, 12_062, 4)
    assert none.n_base == 0 and "--draws 24128" in none.reason
    assert design_size(None, 5, 1000).n_base == 0
    plan = _small_plan()
    d = len(plan.active())
    r = run_sweep(plan, 10 * (d + 2), seed=1, models=("compromise",), n_base=256)
    assert r.design is not None and r.design.n_base == 8 and r.design.evaluations <= r.draws
    assert r.sensitivity is not None and r.sensitivity.n_base == 8
    assert r.sensitivity.evaluations == 8 * (d + 2)
    assert r.to_dict()["sensitivity_design"]["n_base"] == 8
    tiny = run_sweep(plan, 5, seed=1, models=("compromise",), n_base=256)
    assert tiny.sensitivity is None and "no Sobol' design" in tiny.notes[-1]


def test_a_budget_cuts_the_draws_and_records_how_to_reproduce_them() -> None:
    plan = sampling_plan(synthetic_scenario(40, 2, seed=3))
    kw: dict[str, Any] = {"seed": 4, "models": ("eum",), "n_base": 64}
    r = run_sweep(plan, 1_000_000, budget=0.5, **kw)
    assert r.budget is not None and r.design is not None
    assert 1 <= r.draws < 1_000_000 and r.budget["draws"] == r.draws
    assert r.budget["draws_requested"] == 1_000_000
    assert r.budget["pilot"]["seconds_per_draw"] > 0 and r.budget["elapsed"] > 0
    assert r.design.evaluations <= r.draws
    assert any("--budget 0.5 s" in n for n in r.notes)
    # the same draws and base sample without a budget give the same numbers
    again = run_sweep(plan, r.draws, **{**kw, "n_base": r.design.n_base or None})
    np.testing.assert_array_equal(again.outcomes["eum"], r.outcomes["eum"])
    # a budget too small for more than the pilot's one draw: the pilot's result is used
    one = run_sweep(plan, 1000, budget=0.01, **kw)
    assert one.draws == 1 and one.budget is not None and one.budget["pilot"]["draws"] == 1
    np.testing.assert_array_equal(one.outcomes["eum"], run_sweep(plan, 1, **kw).outcomes["eum"])
    with pytest.raises(InputError, match="--budget"):
        run_sweep(plan, 10, budget=0.0, **kw)


def test_sensitivity_ranks_the_dominant_input_first() -> None:
    plan = _small_plan()
    r = run_sweep(plan, 4000, seed=1, models=("compromise",), n_base=512)
    sens = r.sensitivity
    assert sens is not None
    deal = sens.outputs["deal"]
    ranking = deal.ranking()
    # deal iff A's red line (uniform on [0, 100]) clears B's (uniform on [38, 42])
    assert ranking[0]["input"] == "a.x.limit"
    assert ranking[0]["ST"] > 0.8
    sal = next(row for row in ranking if row["input"] == "a.x.salience")
    assert sal["ST"] < 0.02  # salience does not enter the red-line verdict
    # tornado data: P(deal | A's limit in its top 20%) = 1, bottom 20% = 0
    assert ranking[0]["high"] == 1.0 and ranking[0]["low"] == 0.0
    # the compromise outcome (s_a p_a + 50*100) / (s_a + 50) is driven by A's salience
    assert sens.outputs["compromise.x"].ranking()[0]["input"] == "a.x.salience"
    fig = tornado_figure(sens, "deal", top=3)
    assert len(fig.data) == 2 and len(fig.data[0].y) == 3
    assert tornado_figure(sens.to_dict(), "compromise.x").data[0].y[-1] == "a.x.salience"


def test_single_uncertain_input_explains_everything() -> None:
    plan = sampling_plan(two_party("{value: 40, range: [30, 60]}"))
    r = run_sweep(plan, 1000, seed=2, models=(), n_base=1024)
    assert r.sensitivity is not None
    row = r.sensitivity.outputs["deal"].ranking()[0]
    assert row["S1"] == pytest.approx(1.0, abs=0.05)
    assert row["ST"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("model", sorted(PER_ISSUE_MODELS))
def test_batched_forecast_equals_one_forecast_per_draw(model: str) -> None:
    sc = load_embedded("iran_us_2019")
    # make positions, saliences and capabilities uncertain to exercise the reshaping
    plan = sampling_plan(sc)
    rng = np.random.default_rng(0)
    d = plan.draw(5, 0)
    a = d.arrays
    pos = np.where(
        np.isnan(a.position),
        np.nan,
        np.clip(a.position + rng.normal(0, 10, a.position.shape), 0, 100),
    )
    sal = np.clip(a.salience + rng.normal(0, 10, a.salience.shape), 0, 100)
    cap = a.capability * rng.uniform(0.5, 1.5, a.capability.shape)
    sq = np.clip(a.status_quo + rng.normal(0, 5, a.status_quo.shape), 0, 100)
    a = dataclasses.replace(a, position=pos, salience=sal, capability=cap, status_quo=sq)
    batched = batch_forecast(a, model)
    for i in range(5):
        single = forecast(draw_slice(a, i), model).outcome
        np.testing.assert_allclose(batched[i], single, rtol=1e-9, atol=1e-9)


def test_embedded_scenario_sweep_gives_the_essays_verdict() -> None:
    plan = sampling_plan(load_embedded("iran_us_2019"))
    r = run_sweep(plan, 2048, seed=0, models=("compromise",), n_base=64)
    assert r.p_deal == 0.0  # no admissible agenda: the US requires what Iran refuses
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["p_deal"]["wilson95"][1] < 0.002
    assert set(d["outcomes"]["compromise"]["nuclear"]) == {
        "q05",
        "q25",
        "q50",
        "q75",
        "q95",
        "mean",
    }
    assert d["sensitivity"]["outputs"]["deal"]["constant"] is True


BROKER = """
name: an inducement opens a deal
issues:
  - {id: x, name: the issue, status_quo: 50}
actors:
  - id: a
    name: A
    kind: state
    no_deal: {utility: -0.4}
    positions: {x: {position: 0, limit: 60}}
  - id: b
    name: B
    kind: state
    no_deal: {utility: -0.55}
    positions: {x: {position: 100, limit: 40}}
  - id: m
    name: M
    kind: mediator
    inducements:
      - {target: b, kind: side_payment, amount: 0.1, credibility: {value: 0.5, range: [0, 1]}}
"""


def test_inducements_open_a_deal_with_the_analytic_probability() -> None:
    # A needs x <= 40, B needs x >= 45 - 10 c: a deal exists iff credibility c >= 0.5
    from backchannel.scenario import parse_scenario

    plan = sampling_plan(parse_scenario(BROKER, "<test>"))
    r = run_sweep(plan, 8000, seed=3, models=(), n_base=256)
    assert r.p_deal == 0.0
    assert r.deal_with_inducements is not None
    np.testing.assert_array_equal(r.deal_with_inducements, r.x[:, 0] >= 0.5 - 1e-6)
    assert abs(r.deal_with_inducements.mean() - 0.5) < 4 * np.sqrt(0.25 / 8000)
    assert r.sensitivity is not None
    row = r.sensitivity.outputs["deal_with_inducements"].ranking()[0]
    assert row["input"] == "m.inducements[0].credibility" and row["ST"] > 0.95
    assert r.to_dict()["p_deal_with_inducements"]["estimate"] == pytest.approx(
        float(r.deal_with_inducements.mean())
    )


def test_escalation_risk_matches_the_mediation_module_at_central_values() -> None:
    from backchannel.analysis.mediation import escalation_risk

    sc = load_embedded("iran_us_2019")
    plan = sampling_plan(sc)
    central = np.array([[c.value for c in plan.columns]])
    without, with_channels = plan.escalation_risk(central)  # type: ignore[misc]
    ref = escalation_risk(sc)
    assert ref is not None
    assert without[0] == pytest.approx(ref.p_without_channel)
    assert with_channels[0] == pytest.approx(ref.p_with_channels)
    r = run_sweep(plan, 2000, seed=0, models=(), n_base=32)
    assert r.escalation is not None and r.escalation_with_channels is not None
    assert np.all(r.escalation_with_channels <= r.escalation)
    assert r.sensitivity is not None
    top = r.sensitivity.outputs["escalation"].ranking()[0]["input"]
    assert top in {"escalation.rate", "escalation.p_escalate"}


def test_seed_zero_is_reproducible_including_bootstrap_intervals() -> None:
    plan = _small_plan()
    a = run_sweep(plan, 1000, seed=0, models=("compromise",), n_base=32)
    b = run_sweep(plan, 1000, seed=0, models=("compromise",), n_base=32)
    _assert_same(a, b)


def test_pruned_inducement_feasibility_equals_solving_every_draw() -> None:
    from backchannel.analysis.feasibility import feasibility_batch
    from backchannel.engine.batch import _induced
    from backchannel.scenario import parse_scenario

    text = (
        BROKER.replace("utility: -0.4", "utility: {value: -0.4, range: [-0.6, -0.3]}")
        .replace("utility: -0.55", "utility: {value: -0.55, range: [-0.7, -0.4]}")
        .replace("limit: 40}", "limit: {value: 40, range: [30, 70]}}")
        .replace("amount: 0.1", "amount: {value: 0.1, range: [0, 0.3]}")
    )
    plan = sampling_plan(parse_scenario(text, "<test>"))
    d = plan.draw(3000, 4)
    base = feasibility_batch(d.arrays)
    pruned = _induced(plan, d.arrays, d.x, base.deal_possible, base.slack)
    full = feasibility_batch(d.arrays, shift=plan.inducement_shift(d.x)).deal_possible
    np.testing.assert_array_equal(pruned, full)
    flips = full & ~base.deal_possible
    assert 0 < flips.sum() and (~base.deal_possible).sum() > flips.sum()
    assert (~np.isfinite(base.slack)).any()  # some draws excluded by red lines


def _slow(x: int) -> int:
    import time

    time.sleep(5)
    return x


@pytest.mark.slow
def test_dask_map_gives_up_after_its_timeout(dask_client: Any) -> None:
    with DaskExecutor(client=dask_client, timeout=0.5) as ex:
        with pytest.raises(RuntimeError, match="did not finish 2 chunks"):
            ex.map(_slow, [1, 2])


def test_a_spoiler_closes_deals_in_the_sweep() -> None:
    """a at 0 (no deal 0.3 below the status quo 50), b at 100 (0.05 above): a deal needs x
    in [55, 80]. A third party backs b to hold out by a in [0.2, 0.4]: b then needs
    x >= 55 + 100 a, so the deal survives only for a <= 0.25: P = 0.25 with the spoiler,
    1 without (every draw)."""
    from backchannel.engine.sampling import sampling_plan
    from backchannel.scenario.load import scenario_from_data

    sc = scenario_from_data(
        {
            "name": "spoiler",
            "issues": [{"id": "x", "name": "X", "status_quo": 50}],
            "actors": [
                {
                    "id": "a",
                    "name": "A",
                    "kind": "state",
                    "positions": {"x": {"position": 0}},
                    "no_deal": {"adjustment": -0.3},
                },
                {
                    "id": "b",
                    "name": "B",
                    "kind": "state",
                    "positions": {"x": {"position": 100}},
                    "no_deal": {"adjustment": 0.05},
                },
                {
                    "id": "t",
                    "name": "T",
                    "kind": "third_party",
                    "inducements": [
                        {
                            "target": "b",
                            "kind": "side_payment",
                            "aim": "no_deal",
                            "amount": {"value": 0.3, "range": [0.2, 0.4]},
                        }
                    ],
                },
            ],
        }
    )
    res = run_sweep(sampling_plan(sc), 4000, seed=0, models=(), n_base=None)
    assert res.deal.mean() == 1.0
    assert res.deal_with_inducements is not None
    assert abs(res.deal_with_inducements.mean() - 0.25) < 0.03
