"""Importer for KTAB spatial-model-of-politics (SMP) CSV scenarios (KAPSARC KTAB, ``smpc``).

Layout (comma-separated; trailing empty cells are ignored)::

    scenario name, description, number of actors, number of dimensions
    Actor, Description, Influence, <dim> Position, <dim> Salience, ...
    key, description, influence, position, salience, ...      (one row per actor)

Units as KTAB reads them: positions on 0-100 (so each issue's scale is 0-100), salience
0-100 with an actor's saliences summing to at most 100 (kept as is: our salience is 0-100
too), influence a non-negative relative number (-> actor capability).
"""

from __future__ import annotations

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

FORMAT = "ktab"
SCALE = (0.0, 100.0)


def _header_line(text: str) -> tuple[int, list[str]] | None:
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if len(lines) < 2:
        return None
    n, line = lines[1]
    return n, split_line(line, ",")


def looks_like_ktab(text: str) -> bool:
    """True when the second non-blank line is an SMP header ``Actor,Description,...``."""
    found = _header_line(text)
    if found is None:
        return False
    cells = [c.lower() for c in found[1]]
    return (
        len(cells) >= 5
        and cells[0] == "actor"
        and cells[1] == "description"
        and cells[3].endswith(" position")
    )


def parse_ktab(text: str, source: str = "<text>", *, name: str | None = None) -> Scenario:
    """Parse KTAB SMP CSV text into a forecast-only :class:`Scenario`."""
    if not text.strip():
        raise fail(
            "the file is empty",
            source,
            None,
            "give a KTAB SMP CSV: a title line, a header line, one row per actor",
        )
    numbered = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if len(numbered) < 3:
        raise fail(
            "a KTAB SMP CSV needs a title line, a header line and actor rows",
            source,
            f"line {numbered[-1][0]}",
            "add the missing lines",
        )
    (n0, title_line), (nh, header_line) = numbered[0], numbered[1]
    title = split_line(title_line, ",")
    if len(title) < 4:
        raise fail(
            f"the first line has {len(title)} cell(s), expected 4 (name, description, "
            "number of actors, number of dimensions)",
            source,
            f"line {n0}",
            "write e.g. 'My scenario,Description,12,2'",
        )
    n_actors = _count(title[-2], source, f"line {n0}, field {len(title) - 1}", "number of actors")
    n_dims = _count(title[-1], source, f"line {n0}, field {len(title)}", "number of dimensions")
    # a description containing commas was split: join the middle cells back
    scen_name, scen_desc = title[0], ",".join(title[1:-2])

    header = split_line(header_line, ",")
    expected = 3 + 2 * n_dims
    if len(header) != expected:
        raise fail(
            f"the header has {len(header)} columns, expected {expected} (Actor, Description, "
            f"Influence, then Position and Salience for each of {n_dims} dimension(s))",
            source,
            f"line {nh}",
            f"make the header match the number of dimensions on line {n0}",
        )
    if [c.lower() for c in header[:2]] != ["actor", "description"]:
        raise fail(
            f"the header starts {header[:2]!r}, expected 'Actor,Description'",
            source,
            f"line {nh}",
            "start the header with Actor,Description,Influence",
        )
    issue_data: list[dict[str, Any]] = []
    issue_ids: dict[str, tuple[str, str]] = {}
    for d in range(n_dims):
        col_p, col_s = 3 + 2 * d, 4 + 2 * d
        pos_h, sal_h = header[col_p], header[col_s]
        if not pos_h.lower().endswith("position") or not sal_h.lower().endswith("salience"):
            raise fail(
                f"columns {col_p + 1}-{col_s + 1} are {pos_h!r}, {sal_h!r}; expected "
                "'<dimension> Position', '<dimension> Salience'",
                source,
                f"line {nh}, field {col_p + 1}",
                "name each pair '<dim> Position,<dim> Salience'",
            )
        dim = pos_h[: -len("position")].strip() or f"dim{d + 1}"
        where = f"line {nh}, field {col_p + 1}"
        ident = make_id(dim, kind="issue", source=source, where=where)
        claim_id(ident, dim, issue_ids, kind="issue", source=source, where=where)
        issue_data.append({"id": ident, "name": dim, "scale": {"min": SCALE[0], "max": SCALE[1]}})

    rows = numbered[2:]
    if len(rows) != n_actors:
        raise fail(
            f"line {n0} says {n_actors} actors, but there are {len(rows)} actor rows",
            source,
            f"line {n0}, field {len(title) - 1}",
            "correct the number of actors on the first line, or add/remove rows",
        )
    actor_ids: dict[str, tuple[str, str]] = {}
    actor_data: list[dict[str, Any]] = []
    for n, line in rows:
        cells = split_line(line, ",")
        where = f"line {n}"
        if len(cells) != expected:
            raise fail(
                f"row has {len(cells)} cells, expected {expected} like the header on line {nh}",
                source,
                where,
                "give every actor a key, description, influence, and a position "
                "and salience per dimension",
            )
        key, desc = cells[0], cells[1]
        ident = make_id(key, kind="actor", source=source, where=f"{where}, field 1")
        claim_id(ident, key, actor_ids, kind="actor", source=source, where=where)
        infl = parse_number(
            cells[2], source=source, where=f"{where}, field 3 (Influence)", what="influence"
        )
        if infl < 0:
            raise fail(
                f"influence {infl:g} is negative",
                source,
                f"{where}, field 3",
                "influence is a non-negative relative weight",
            )
        positions: dict[str, Any] = {}
        total = 0.0
        for d, iss in enumerate(issue_data):
            cp, cs = 3 + 2 * d, 4 + 2 * d
            pos = parse_number(
                cells[cp],
                source=source,
                where=f"{where}, field {cp + 1} ({header[cp]})",
                what="position",
            )
            sal = parse_number(
                cells[cs],
                source=source,
                where=f"{where}, field {cs + 1} ({header[cs]})",
                what="salience",
            )
            if not SCALE[0] <= pos <= SCALE[1]:
                raise fail(
                    f"position {pos:g} is outside KTAB's 0-100 scale",
                    source,
                    f"{where}, field {cp + 1} ({header[cp]})",
                    "write positions between 0 and 100",
                )
            if not 0.0 <= sal <= 100.0:
                raise fail(
                    f"salience {sal:g} is outside 0-100",
                    source,
                    f"{where}, field {cs + 1} ({header[cs]})",
                    "write salience between 0 and 100",
                )
            total += sal
            positions[iss["id"]] = {"position": pos, "salience": sal}
        if total > 100.0 + 1e-9:
            raise fail(
                f"the saliences of actor {key!r} add up to {total:g}, over 100",
                source,
                where,
                "KTAB saliences are shares of attention: scale them to sum to at most 100",
            )
        entry: dict[str, Any] = {
            "id": ident,
            "name": desc or key,
            "kind": "state",
            "veto": False,
            "capability": infl,
            "positions": positions,
        }
        if ident != key:
            entry["note"] = f"key in source: {key!r}"
        actor_data.append(entry)

    label = source_label(source)
    details = [
        f"Imported from {label} (KTAB SMP CSV)." + (f" {scen_desc}." if scen_desc else ""),
        FORECAST_ONLY.format(fmt="KTAB SMP"),
        "Positions on KTAB's 0-100 scale; salience 0-100 as in the file; capability: the "
        "Influence column.",
    ]
    data: dict[str, Any] = {
        "name": name or scen_name or label,
        "description": " ".join(details),
        "issues": issue_data,
        "actors": actor_data,
        "sources": {"import": f"{label} (KTAB SMP CSV)"},
    }
    return build_scenario(data, source)


def _count(cell: str, source: str, where: str, what: str) -> int:
    value = parse_number(cell, source=source, where=where, what=what)
    if value != int(value) or value < 1:
        raise fail(
            f"{what} must be a whole number of at least 1, got {cell!r}",
            source,
            where,
            f"write the {what} as a whole number",
        )
    return int(value)
