"""Shared pieces of the importers: cell splitting, number parsing, ids, error helpers.

Every problem is raised as :class:`~backchannel.scenario.errors.InputError` naming the
source, the line and field, and the fix; nothing is silently defaulted.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario

ID_MAX = 64
_ID_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")

FORECAST_ONLY = (
    "Forecast-only: the {fmt} format records no vetoes, red lines (limits), no-deal values "
    "or agenda constraints, so every actor is imported as a state without a veto "
    "(veto: false). Add them before running feasibility or mediation analyses."
)


def source_label(source: str) -> str:
    """The file name of a source path (what the scenario records as its origin)."""
    return PurePath(source).name or source


def fail(problem: str, source: str, where: str | None, fix: str) -> InputError:
    """An :class:`InputError` for an importer (raise the result)."""
    return InputError(problem, source=source, where=where, fix=fix)


def split_line(line: str, sep: str) -> list[str]:
    """Split one line into stripped cells; quotes as in CSV; trailing empty cells dropped."""
    cells = next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])
    cells = [c.strip() for c in cells]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def parse_number(
    cell: str, *, source: str, where: str, what: str, decimal_comma: bool = False
) -> float:
    """A finite float from a cell; ``decimal_comma`` also accepts ``0,75`` as 0.75."""
    text = cell.strip()
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        shown = repr(cell) if cell.strip() else "an empty cell"
        raise fail(
            f"{what} must be a number, got {shown}",
            source,
            where,
            "write a plain number such as 0.5 (decimal point"
            + (" or decimal comma)" if decimal_comma else ")"),
        ) from None
    if not math.isfinite(value):
        raise fail(
            f"{what} must be a finite number, got {cell.strip()!r}",
            source,
            where,
            "replace it with a finite number",
        )
    return value


def make_id(key: str, *, kind: str, source: str, where: str) -> str:
    """A schema identifier from a source key: runs of other characters become ``_``.

    ``China India`` becomes ``China_India``; a key that does not start with a letter gets
    the prefix ``a_`` (actors) or ``i_`` (issues).
    """
    ident = _ID_BAD.sub("_", key.strip()).strip("_")
    if not ident:
        raise fail(
            f"{kind} key {key!r} has no letters or digits",
            source,
            where,
            f"give the {kind} a key made of letters, digits, '_', '-' or '.'",
        )
    if not ident[0].isalpha():
        ident = ("a_" if kind == "actor" else "i_") + ident
    if len(ident) > ID_MAX:
        raise fail(
            f"{kind} key {key!r} is longer than {ID_MAX} characters",
            source,
            where,
            f"shorten the key to at most {ID_MAX} characters",
        )
    return ident


def claim_id(
    ident: str,
    key: str,
    taken: dict[str, tuple[str, str]],
    *,
    kind: str,
    source: str,
    where: str,
) -> None:
    """Record ``ident`` for ``key``; two keys that give the same id are an error."""
    if ident in taken:
        other_key, other_where = taken[ident]
        if other_key == key:
            raise fail(
                f"{kind} {key!r} is declared twice (first at {other_where})",
                source,
                where,
                "remove one of the two declarations",
            )
        raise fail(
            f"{kind} keys {other_key!r} ({other_where}) and {key!r} both become the id {ident!r}",
            source,
            where,
            f"rename one of the two {kind}s",
        )
    taken[ident] = (key, where)


def build_scenario(data: dict[str, Any], source: str) -> Scenario:
    """Validate imported data as a :class:`Scenario` (errors name the field)."""
    return scenario_from_data(data, source)


def scale_from(
    points: Sequence[float], default: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """The hull of ``points`` (and ``default`` if given), or None if it is a single point."""
    values = list(points)
    if default is not None:
        values += list(default)
    if not values:
        return None
    lo, hi = min(values), max(values)
    return (lo, hi) if lo < hi else None
