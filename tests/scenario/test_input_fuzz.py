"""Any text gives a Scenario or an InputError: never another exception (a traceback)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.scenario.errors import InputError
from backchannel.scenario.importers import import_text
from backchannel.scenario.load import parse_scenario

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DECIDE_LINES = [
    "#O;Title",
    "#/;comment",
    "#A;a1;A1",
    "#A;a2;A 2",
    "#A;a 2;dup id",
    "#P;i1;I1",
    "#P;i2;I2",
    "#M;i1;0;low",
    "#M;i1;100;high",
    "#M;i2;5",
    "#M;i9;1;x",
    "#D;a1;i1;20;0.5;1",
    "#D;a2;i1;80;0,25;3",
    "#D;a1;i2;50;1;2",
    "#D;a2;i2;-5;0.1;0",
    "#D;a1;i1;1;2;3",
    "#D;a3;i1;1;0.1;1",
    "#D;a1;i1;x;0.1;1",
    "#D;a1",
    "#X;y",
    "",
    ";;;",
    "#D;a2;i2;inf;0;0",
    "#A",
    "#P;;",
    "#M;i1;;",
    "#M;i1;0;",
    "plain text",
    "#A\ta9\tTab",
]
KTAB_LINES = [
    "T,d,2,1,",
    "T,d,x,1",
    "Actor,Description,Influence,P Position,P Salience,",
    "Actor,Description,Influence,P Position,P Salience,C Position,C Salience",
    "A,a,10,20,30,",
    "B,b,5,80,60",
    "C,c,-1,1,1",
    "D,d,1,101,1",
    "E,e,1,1,",
    ",,,,",
]
TABLE_LINES = [
    "Actor,Capability,Position,Salience",
    "Actor;Capability;Position;Salience",
    "P,0.5,4,80",
    "Q,0.2,10,60",
    "R,x,1,1",
    "S,1,1",
    "T,1,1,101",
    "P,1,2,3",
    "U;1;2,5;3",
]


def _only_input_errors(text: str, fmt: str | None) -> None:
    try:
        import_text(text, "fuzz.csv", fmt=fmt)
    except InputError as exc:
        assert exc.source == "fuzz.csv" and exc.fix


@FAST
@given(st.lists(st.sampled_from(DECIDE_LINES), max_size=14))
def test_decide_line_soup(lines: list[str]) -> None:
    _only_input_errors("\n".join(lines), "decide")


@FAST
@given(st.lists(st.sampled_from(KTAB_LINES), max_size=6))
def test_ktab_line_soup(lines: list[str]) -> None:
    _only_input_errors("\n".join(lines), "ktab")


@FAST
@given(st.lists(st.sampled_from(TABLE_LINES), max_size=6))
def test_table_line_soup(lines: list[str]) -> None:
    _only_input_errors("\n".join(lines), "table")


@FAST
@given(st.text(max_size=200), st.sampled_from([None, "decide", "ktab", "table"]))
def test_arbitrary_text_import(text: str, fmt: str | None) -> None:
    _only_input_errors(text, fmt)


@FAST
@given(
    st.text(alphabet=st.sampled_from(list("ab:-[]{}#'\" \n\t,.0123456789&*!|>?%@`")), max_size=120)
)
def test_arbitrary_yaml_text(text: str) -> None:
    try:
        parse_scenario(text, "fuzz.yaml")
    except InputError as exc:
        assert exc.source == "fuzz.yaml"


@pytest.mark.parametrize(
    "text",
    [
        "[",
        "{a: *x}",
        "&a [*a]",
        "!!python/object:os.system x",
        "a: !!binary xyz",
        "? [a]\n: b",
        "- &a b\n- *a",
        "%YAML 9",
    ],
)
def test_yaml_oddities(text: str) -> None:
    with pytest.raises(InputError):
        parse_scenario(text, "odd.yaml")
