"""Importer for the simple one-issue actor table ``Actor,Capability,Position,Salience``.

This is the layout of the Bueno de Mesquita (1994) EC car-emissions example as reproduced
by Scholz, Calbert & Smith (2011): one row per actor, one issue. Columns may come in any
order (header names are case-insensitive); cells are separated by commas, semicolons or
tabs (detected from the header). Salience is 0-100 as in the source; capability any
non-negative relative number. The table gives no scale: the issue's scale is the range of
the positions, unless ``scale=(min, max)`` is passed (``--scale MIN:MAX`` on the CLI).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from backchannel.scenario.importers.common import (
    FORECAST_ONLY,
    build_scenario,
    claim_id,
    fail,
    make_id,
    parse_number,
    source_label,
    split_line,
)
from backchannel.scenario.schema import Scenario

FORMAT = "table"
COLUMNS = ("actor", "capability", "position", "salience")
ISSUE_ID = "issue"


def _sniff(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda s: counts[s])


def looks_like_table(text: str) -> bool:
    """True when the first non-blank line is the header Actor,Capability,Position,Salience."""
    for line in text.splitlines():
        if line.strip():
            cells = split_line(line, _sniff(line))
            return sorted(c.lower() for c in cells) == sorted(COLUMNS)
    return False


def parse_table(
    text: str,
    source: str = "<text>",
    *,
    name: str | None = None,
    scale: tuple[float, float] | None = None,
) -> Scenario:
    """Parse an ``Actor,Capability,Position,Salience`` table into a one-issue scenario."""
    numbered = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if not numbered:
        raise fail(
            "the file is empty",
            source,
            None,
            "give a header line Actor,Capability,Position,Salience and one row per actor",
        )
    if scale is not None and not scale[0] < scale[1]:
        raise fail(
            f"scale minimum {scale[0]:g} is not below maximum {scale[1]:g}",
            source,
            "--scale",
            "give the scale as MIN:MAX with MIN < MAX, e.g. 0:100",
        )
    nh, header_line = numbered[0]
    sep = _sniff(header_line)
    header = [c.lower() for c in split_line(header_line, sep)]
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra or len(header) != len(COLUMNS):
        raise fail(
            f"the header has columns {header}; expected exactly {list(COLUMNS)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (unknown {extra})" if extra else ""),
            source,
            f"line {nh}",
            "write the header Actor,Capability,Position,Salience",
        )
    col = {c: header.index(c) for c in COLUMNS}
    if len(numbered) < 2:
        raise fail(
            "the table has a header but no actor rows",
            source,
            f"line {nh}",
            "add one row per actor below the header",
        )
    ids: dict[str, tuple[str, str]] = {}
    actors: list[dict[str, Any]] = []
    positions: list[float] = []
    for n, line in numbered[1:]:
        cells = split_line(line, sep)
        where = f"line {n}"
        if len(cells) != len(COLUMNS):
            raise fail(
                f"row has {len(cells)} cells, expected {len(COLUMNS)} like the header on line {nh}",
                source,
                where,
                "give every actor a name, capability, position and salience",
            )
        key = cells[col["actor"]]
        ident = make_id(
            key, kind="actor", source=source, where=f"{where}, field {col['actor'] + 1}"
        )
        claim_id(ident, key, ids, kind="actor", source=source, where=where)
        vals = {
            c: parse_number(
                cells[col[c]],
                source=source,
                where=f"{where}, field {col[c] + 1} ({c})",
                what=c,
                decimal_comma=sep != ",",
            )
            for c in ("capability", "position", "salience")
        }
        if vals["capability"] < 0:
            raise fail(
                f"capability {vals['capability']:g} is negative",
                source,
                f"{where}, field {col['capability'] + 1} (capability)",
                "capability is a non-negative relative weight",
            )
        if not 0.0 <= vals["salience"] <= 100.0:
            raise fail(
                f"salience {vals['salience']:g} is outside 0-100",
                source,
                f"{where}, field {col['salience'] + 1} (salience)",
                "write salience between 0 and 100",
            )
        if scale is not None and not scale[0] <= vals["position"] <= scale[1]:
            raise fail(
                f"position {vals['position']:g} is outside the given scale "
                f"[{scale[0]:g}, {scale[1]:g}]",
                source,
                f"{where}, field {col['position'] + 1} (position)",
                "widen --scale or correct the position",
            )
        positions.append(vals["position"])
        actors.append(
            {
                "id": ident,
                "name": key,
                "kind": "state",
                "veto": False,
                "capability": vals["capability"],
                "positions": {
                    ISSUE_ID: {"position": vals["position"], "salience": vals["salience"]}
                },
            }
        )
    if scale is not None:
        lo, hi = scale
        scale_note = f"scale [{lo:g}, {hi:g}] given at import"
    else:
        lo, hi = min(positions), max(positions)
        if not lo < hi:
            raise fail(
                f"every position is {lo:g}, so the table gives no scale",
                source,
                None,
                "pass the issue's scale, e.g. --scale 0:100",
            )
        scale_note = (
            "the table gives no scale: the scale is the range of the positions "
            f"[{lo:g}, {hi:g}]; pass --scale MIN:MAX to set it"
        )
    label = source_label(source)
    data: dict[str, Any] = {
        "name": name or PurePath(source).stem or label,
        "description": " ".join(
            [
                f"Imported from {label} (actor table Actor,Capability,Position,Salience).",
                FORECAST_ONLY.format(fmt="actor-table"),
                "Salience 0-100 as in the file; capability: the Capability column.",
            ]
        ),
        "issues": [
            {
                "id": ISSUE_ID,
                "name": "Issue (the Position column)",
                "scale": {"min": lo, "max": hi},
                "note": scale_note,
            }
        ],
        "actors": actors,
        "sources": {"import": f"{label} (actor table)"},
    }
    return build_scenario(data, source)
