"""Hostile files for the loader and the importers (the dashboard's upload reaches both):
any text gives a scenario or an input error, never another exception, and the work to
locate errors grows linearly with the number of problems.

Property-based (hypothesis); ``make fuzz`` runs many more examples
(``BACKCHANNEL_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import FUZZ_EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.scenario.errors import InputError
from backchannel.scenario.importers import import_text
from backchannel.scenario.load import parse_scenario, scenario_from_data
from backchannel.scenario.schema import Quantity
from backchannel.web.compute import parse_text

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASE = """name: x
issues:
- {id: a, name: A}
actors:
- id: u
  name: U
  kind: state
  positions: {a: {position: 1}}
"""


class Counting(list[Any]):
    """A mapping node's entries that count how often they are walked."""

    walks = 0

    def __iter__(self) -> Any:
        Counting.walks += 1
        return super().__iter__()


@pytest.mark.parametrize("n", [100, 2000])
def test_locating_unknown_keys_walks_each_mapping_once(n: int) -> None:
    text = BASE + "".join(f"k{i}: 1\n" for i in range(n))
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode)
    Counting.walks = 0
    root.value = Counting(root.value)
    with pytest.raises(InputError) as err:
        scenario_from_data(yaml.safe_load(text), "t", root)
    assert len(err.value.errors) == n  # type: ignore[attr-defined]
    assert "line 9" in err.value.errors[0].render()  # type: ignore[attr-defined]
    assert Counting.walks <= 2  # was one walk per error: quadratic


@pytest.mark.parametrize(
    ("dist", "ok"),
    [
        ("{dist: normal, sd: 5, low: 50, high: 80}", False),  # value 0: 10 sd below
        ("{dist: normal, sd: 5, low: 10, high: 80}", True),  # 2 sd below: a truncated normal
        ("{dist: normal, sd: 5, high: -20}", False),
        ("{dist: normal, sd: 5}", True),
    ],
)
def test_a_normal_centred_far_outside_its_range_is_refused(dist: str, ok: bool) -> None:
    text = BASE.replace("{position: 1}", f"{{position: {{value: 0, dist: {dist}}}}}")
    if ok:
        parse_scenario(text, "t")
        return
    with pytest.raises(InputError, match="standard deviations outside") as err:
        parse_scenario(text, "t")
    assert "line 8" in err.value.render() and "position" in err.value.render()
    with pytest.raises(ValueError, match="every draw would sit at the bound"):
        Quantity.model_validate({"value": 100, "dist": {"dist": "normal", "sd": 1, "high": 50}})


def _must_be_input_error(text: str) -> None:
    try:
        parse_text(text, "<fuzz>")
    except InputError:
        pass


HOSTILE_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just("9" * 5000),  # over Python's 4,300-digit limit for int()
    st.just("1e400"),
    st.just("[" * 300 + "]" * 300),
    st.just("{a: " * 200 + "1" + "}" * 200),
    st.just("&a [*a]"),
    st.just("!!python/object/apply:os.system ['true']"),
    st.just("!!binary aGVsbG8="),
    st.just("~"),
    st.just("'\x00'"),
)


@FUZZ
@given(
    key=st.sampled_from(
        ["name", "date", "loss", "issues", "actors", "escalation", "sources", "unknown"]
    ),
    value=HOSTILE_VALUES,
    extra=st.integers(0, 300),
)
def test_hostile_top_level_values_give_input_errors(key: str, value: Any, extra: int) -> None:
    text = BASE + f"{key}: {value}\n" + "".join(f"x{i}: {i}\n" for i in range(extra))
    _must_be_input_error(text)


@FUZZ
@given(
    field=st.sampled_from(["position", "salience", "limit", "capability", "note"]),
    value=HOSTILE_VALUES,
)
def test_hostile_stance_values_give_input_errors(field: str, value: Any) -> None:
    text = BASE.replace("{position: 1}", f"{{position: 1, {field}: {value}}}")
    _must_be_input_error(text)


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_scenario_or_an_input_error(raw: bytes) -> None:
    _must_be_input_error(raw.decode("utf-8", errors="replace"))


@FUZZ
@given(
    fmt=st.sampled_from(["decide", "ktab", "table", None]),
    lines=st.lists(
        st.one_of(
            st.text(alphabet=";,\t#ADPMO0123456789.-e ", max_size=40),
            st.sampled_from(
                [
                    "#A;a;" + "9" * 5000,
                    "#D;a;i;" + "9" * 5000 + ";1;1",
                    "Actor,Capability,Position,Salience",
                    "x,1e400,1e400,1e400",
                    "x," + "9" * 5000 + ",1,1",
                    "T,d,2,1," + "," * 500,
                ]
            ),
        ),
        max_size=20,
    ),
)
def test_importers_give_a_scenario_or_an_input_error(fmt: str | None, lines: list[str]) -> None:
    try:
        import_text("\n".join(lines), "<fuzz>", fmt=fmt)
    except InputError:
        pass
