"""Importer for the decide exchange-model data format (Stokman's exchange model tooling).

One record per line, the first cell a tag, cells separated by tab, semicolon or comma
(detected from the first record; trailing empty cells are ignored):

* ``#A key name`` an actor, ``#P key name`` an issue;
* ``#M issue position meaning`` a labelled point of an issue's scale (-> issue anchors);
* ``#D actor issue position salience power`` one actor's data on one issue;
* ``#O text`` a title (the first becomes the scenario name), ``#/ text`` a comment.

Units (as in the decide exchange model, Stokman & Van Oosten 1994): positions on the issue
scale (0-100 by convention), salience 0-1 (mapped to our 0-100 by x 100), power a
non-negative relative number per actor and issue (-> capability). See
``docs/decisions.md`` for every choice made here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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

FORMAT = "decide"
TAGS = ("#A", "#P", "#M", "#D", "#O", "#/")
_TAG_RE = re.compile(r"^#[A-Za-z/]")
DEFAULT_SCALE = (0.0, 100.0)
_SEP_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma"}
_D_FIELDS = "#D, actor, issue, position, salience, power"


@dataclass
class _Declared:
    key: str
    ident: str
    name: str
    line: int


@dataclass
class _Issue(_Declared):
    points: list[tuple[float, str, int]] = field(default_factory=list)


@dataclass
class _Row:
    actor: str
    issue: str
    position: float
    salience: float
    power: float
    line: int


def looks_like_decide(text: str) -> bool:
    """True when the first non-blank line is a decide record (``#A``, ``#O``, ...)."""
    for line in text.splitlines():
        if line.strip():
            return bool(_TAG_RE.match(line.lstrip())) and line.lstrip()[:2] in TAGS
    return False


def detect_separator(text: str, source: str) -> str:
    """The cell separator: the character after the tag of the first record."""
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip(" ")
        if s.startswith("#") and len(s) > 2:
            sep = s[2]
            if sep in _SEP_NAMES:
                return sep
            raise fail(
                f"cannot tell the separator: {s[:2]!r} is followed by {sep!r}",
                source,
                f"line {n}",
                "separate cells with tabs or semicolons, e.g. '#A;usa;USA'",
            )
    raise fail(
        "no decide records found (lines starting #A, #P, #M, #D)",
        source,
        None,
        "check that this is a decide exchange-model file, or pass --format",
    )


def parse_decide(text: str, source: str = "<text>", *, name: str | None = None) -> Scenario:
    """Parse decide exchange-model text into a forecast-only :class:`Scenario`."""
    if not text.strip():
        raise fail(
            "the file is empty",
            source,
            None,
            "give a decide file with #A (actor), #P (issue) and #D (data) lines",
        )
    sep = detect_separator(text, source)
    decimal_comma = sep != ","
    titles: list[str] = []
    actors: dict[str, _Declared] = {}
    issues: dict[str, _Issue] = {}
    actor_ids: dict[str, tuple[str, str]] = {}
    issue_ids: dict[str, tuple[str, str]] = {}
    raw_points: list[tuple[list[str], int]] = []
    raw_rows: list[tuple[list[str], int]] = []

    for n, line in enumerate(text.splitlines(), 1):
        cells = split_line(line, sep)
        if not cells:
            continue
        tag = cells[0]
        where = f"line {n}"
        if not tag.startswith("#"):
            raise fail(
                f"line does not start with a record tag: {line.strip()[:40]!r}",
                source,
                where,
                "start each line with #A, #P, #M, #D, #O or #/ (use #/ for comments)",
            )
        if tag not in TAGS:
            raise fail(
                f"unknown record tag {tag!r}",
                source,
                where,
                "use #A (actor), #P (issue), #M (scale point), #D (data), #O or #/ "
                "(comments); check the separator is the same on every line",
            )
        if tag == "#/":
            continue
        if tag == "#O":
            if len(cells) > 1:
                titles.append(" ".join(cells[1:]))
            continue
        if tag in ("#A", "#P"):
            kind = "actor" if tag == "#A" else "issue"
            if len(cells) < 2:
                raise fail(
                    f"{tag} line without a key", source, where, f"write {tag}{sep}key{sep}full name"
                )
            key = cells[1]
            ident = make_id(key, kind=kind, source=source, where=f"{where}, field 2")
            claim_id(
                ident,
                key,
                actor_ids if kind == "actor" else issue_ids,
                kind=kind,
                source=source,
                where=where,
            )
            # a name split over extra cells (a separator inside the text) is joined back
            label = "; ".join(c for c in cells[2:] if c) or key
            if kind == "actor":
                actors[key] = _Declared(key, ident, label, n)
            else:
                issues[key] = _Issue(key, ident, label, n)
            continue
        if tag == "#M":
            raw_points.append((cells, n))
        else:
            raw_rows.append((cells, n))

    if not actors:
        raise fail("no actors declared", source, None, f"add '#A{sep}key{sep}name' lines")
    if not issues:
        raise fail("no issues declared", source, None, f"add '#P{sep}key{sep}name' lines")

    for cells, n in raw_points:
        where = f"line {n}"
        if len(cells) < 3:
            raise fail(
                f"#M line has {len(cells)} cells, expected #M, issue, position, meaning",
                source,
                where,
                f"write #M{sep}issue{sep}position{sep}meaning",
            )
        iss = issues.get(cells[1])
        if iss is None:
            raise fail(
                f"#M names issue {cells[1]!r}, which no #P line declares",
                source,
                f"{where}, field 2",
                f"add '#P{sep}{cells[1]}{sep}name' or correct the key; declared issues: "
                f"{sorted(issues)}",
            )
        value = parse_number(
            cells[2],
            source=source,
            where=f"{where}, field 3",
            what="scale point position",
            decimal_comma=decimal_comma,
        )
        for v, _, m in iss.points:
            if v == value:
                raise fail(
                    f"issue {iss.key!r} has two scale points at {value:g} (first at line {m})",
                    source,
                    where,
                    "keep one of the two",
                )
        # a meaning split over extra cells (a separator inside the text) is joined back
        meaning = "; ".join(c for c in cells[3:] if c)
        iss.points.append((value, meaning or f"{value:g}", n))

    rows: dict[tuple[str, str], _Row] = {}
    for cells, n in raw_rows:
        where = f"line {n}"
        if len(cells) != 6:
            raise fail(
                f"#D line has {len(cells)} cells, expected 6 ({_D_FIELDS})",
                source,
                where,
                f"write #D{sep}actor{sep}issue{sep}position{sep}salience{sep}power; "
                f"check the separator ({_SEP_NAMES[sep]}) and that no cell is missing",
            )
        akey, ikey = cells[1], cells[2]
        if akey not in actors:
            raise fail(
                f"#D names actor {akey!r}, which no #A line declares",
                source,
                f"{where}, field 2",
                f"add '#A{sep}{akey}{sep}name' or correct the key; declared actors: "
                f"{sorted(actors)}",
            )
        if ikey not in issues:
            raise fail(
                f"#D names issue {ikey!r}, which no #P line declares",
                source,
                f"{where}, field 3",
                f"add '#P{sep}{ikey}{sep}name' or correct the key; declared issues: "
                f"{sorted(issues)}",
            )
        if (akey, ikey) in rows:
            raise fail(
                f"second #D line for actor {akey!r} on issue {ikey!r} (first at line "
                f"{rows[akey, ikey].line})",
                source,
                where,
                "keep one of the two lines",
            )
        pos, sal, pw = (
            parse_number(
                cells[i],
                source=source,
                where=f"{where}, field {i + 1} ({what})",
                what=what,
                decimal_comma=decimal_comma,
            )
            for i, what in ((3, "position"), (4, "salience"), (5, "power"))
        )
        if not 0.0 <= sal <= 1.0:
            raise fail(
                f"salience {sal:g} is outside 0-1 (the decide format's salience scale)",
                source,
                f"{where}, field 5 (salience)",
                "write salience as a share between 0 and 1 (divide percentages by 100)",
            )
        if pw < 0:
            raise fail(
                f"power {pw:g} is negative",
                source,
                f"{where}, field 6 (power)",
                "power is a non-negative relative weight; write 0 or more",
            )
        rows[akey, ikey] = _Row(akey, ikey, pos, sal, pw, n)

    if not rows:
        raise fail(
            "no #D data lines",
            source,
            None,
            f"add '#D{sep}actor{sep}issue{sep}position{sep}salience{sep}power' lines",
        )
    return _assemble(titles, actors, issues, rows, source, name)


def _assemble(
    titles: list[str],
    actors: dict[str, _Declared],
    issues: dict[str, _Issue],
    rows: dict[tuple[str, str], _Row],
    source: str,
    name: str | None,
) -> Scenario:
    label = source_label(source)
    issues_with_data = {i for _, i in rows}
    actors_with_data = {a for a, _ in rows}
    dropped_issues = [k for k in issues if k not in issues_with_data]
    dropped_actors = [k for k in actors if k not in actors_with_data]

    issue_data: list[dict[str, Any]] = []
    for key, iss in issues.items():
        if key not in issues_with_data:
            continue
        positions = [r.position for r in rows.values() if r.issue == key]
        points = sorted(v for v, _, _ in iss.points)
        notes: list[str] = []
        if len(points) >= 2:
            lo, hi = points[0], points[-1]
            outside = sorted({p for p in positions if not lo <= p <= hi})
            if outside:
                notes.append(
                    f"scale widened from the #M points [{lo:g}, {hi:g}] to include "
                    f"positions {[float(p) for p in outside]}"
                )
                lo, hi = min(lo, *positions), max(hi, *positions)
        else:
            hull = [*points, *positions]
            if min(hull) >= DEFAULT_SCALE[0] and max(hull) <= DEFAULT_SCALE[1]:
                lo, hi = DEFAULT_SCALE
                notes.append(
                    "fewer than two #M scale points: the decide convention 0-100 "
                    "is used as the scale"
                )
            else:
                lo, hi = min(hull), max(hull)
                if not lo < hi:
                    line = iss.line
                    raise fail(
                        f"issue {key!r} has no scale: fewer than two #M points and every "
                        f"position is {lo:g}",
                        source,
                        f"line {line}",
                        "add #M lines giving the two ends of the issue's scale",
                    )
                notes.append(
                    "fewer than two #M scale points: scale taken as the range of "
                    "the scale points and positions"
                )
        issue_data.append(
            {
                "id": iss.ident,
                "name": iss.name,
                "scale": {"min": lo, "max": hi},
                "anchors": [{"value": v, "label": t} for v, t, _ in sorted(iss.points)],
                **({"note": "; ".join(notes)} if notes else {}),
                **({"description": f"key in source: {key!r}"} if iss.ident != key else {}),
            }
        )

    actor_data: list[dict[str, Any]] = []
    n_missing = 0
    for key, act in actors.items():
        if key not in actors_with_data:
            continue
        mine = [r for k, r in rows.items() if k[0] == key]
        by_issue = {r.issue: r for r in mine}
        powers = {r.power for r in mine}
        uniform = len(powers) == 1
        stances: dict[str, Any] = {}
        for ikey, iss in issues.items():
            r = by_issue.get(ikey)
            if r is None:
                if ikey in issues_with_data:
                    n_missing += 1
                continue
            st: dict[str, Any] = {"position": r.position, "salience": round(r.salience * 100.0, 9)}
            if not uniform:
                st["capability"] = r.power
            stances[iss.ident] = st
        entry: dict[str, Any] = {
            "id": act.ident,
            "name": act.name,
            "kind": "state",
            "veto": False,
            "capability": max(powers),
            "positions": stances,
        }
        if act.ident != key:
            entry["note"] = f"key in source: {key!r}"
        actor_data.append(entry)

    details = [
        f"Imported from {label} (decide exchange-model format).",
        FORECAST_ONLY.format(fmt="decide"),
        "Salience: the format's 0-1 share x 100. Capability: the power column (per actor "
        "and issue where it differs between issues).",
    ]
    if titles[1:]:
        details.append("Titles: " + " | ".join(titles[1:]) + ".")
    if n_missing:
        details.append(
            f"{n_missing} actor-issue pair(s) have no #D line: those actors take "
            "no position on those issues."
        )
    if dropped_issues:
        details.append(f"Issue(s) declared without any #D line, left out: {dropped_issues}.")
    if dropped_actors:
        details.append(f"Actor(s) declared without any #D line, left out: {dropped_actors}.")
    data: dict[str, Any] = {
        "name": name or (titles[0] if titles else label),
        "description": " ".join(details),
        "issues": issue_data,
        "actors": actor_data,
        "sources": {"import": f"{label} (decide exchange-model format)"},
    }
    return build_scenario(data, source)
