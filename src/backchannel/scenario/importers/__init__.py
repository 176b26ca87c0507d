"""Importers: turn the formats people already have into a :class:`Scenario`.

* ``decide`` - the decide exchange-model file (``#A``/``#P``/``#M``/``#D`` records);
* ``ktab`` - KTAB spatial-model-of-politics CSV;
* ``table`` - the one-issue table ``Actor,Capability,Position,Salience``;
* ``deu`` - a DEU issue table (EU legislative negotiations), one issue or proposal at a time.

Each importer is a pure function ``text -> Scenario``; :func:`import_file` adds the file
reading (size and encoding checks of :func:`backchannel.scenario.load.read_text`). The
imported scenarios are forecast-only (no vetoes, limits or no-deal values; see their
description). Choices are documented in ``docs/decisions.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backchannel.scenario.errors import InputError
from backchannel.scenario.importers.decide import looks_like_decide, parse_decide
from backchannel.scenario.importers.deu import looks_like_deu, parse_deu_scenario
from backchannel.scenario.importers.ktab import looks_like_ktab, parse_ktab
from backchannel.scenario.importers.table import looks_like_table, parse_table
from backchannel.scenario.load import read_text
from backchannel.scenario.schema import Scenario

FORMATS: tuple[str, ...] = ("decide", "ktab", "table", "deu")
_DETECTORS: dict[str, Callable[[str], bool]] = {
    "decide": looks_like_decide,
    "ktab": looks_like_ktab,
    "table": looks_like_table,
    "deu": looks_like_deu,
}

__all__ = [
    "FORMATS",
    "detect_format",
    "import_file",
    "import_text",
    "parse_decide",
    "parse_deu_scenario",
    "parse_ktab",
    "parse_table",
]


def detect_format(text: str, source: str = "<text>") -> str:
    """The format of ``text`` judged from its content (``decide``, ``ktab`` or ``table``)."""
    if not text.strip():
        raise InputError(
            "the file is empty", source=source, fix="give a decide, KTAB SMP or actor-table file"
        )
    hits = [name for name, test in _DETECTORS.items() if test(text)]
    if len(hits) == 1:
        return hits[0]
    first = next(ln for ln in text.splitlines() if ln.strip())
    raise InputError(
        f"cannot tell the file's format from its content (first line: {first.strip()[:60]!r})"
        if not hits
        else f"the content fits several formats {hits}",
        source=source,
        where="line 1" if not hits else None,
        fix="pass --format decide|ktab|table|deu; decide files start with #O/#A/#P lines, "
        "KTAB SMP files have the header 'Actor,Description,Influence,...' on line 2, actor "
        "tables the header 'Actor,Capability,Position,Salience', DEU tables a header with "
        "prnr, isnr, proc, counvte, intro, rp and out",
    )


def import_text(
    text: str,
    source: str = "<text>",
    *,
    fmt: str | None = None,
    name: str | None = None,
    scale: tuple[float, float] | None = None,
    issue: str | None = None,
    proposal: str | None = None,
) -> Scenario:
    """Import ``text`` in format ``fmt`` (detected from the content when None); ``issue``
    / ``proposal`` select what to import from a DEU file."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt!r}",
            source=source,
            where="--format",
            fix=f"use one of {', '.join(FORMATS)}",
        )
    text = text.removeprefix("\ufeff")
    fmt = fmt or detect_format(text, source)
    if scale is not None and fmt != "table":
        raise InputError(
            f"--scale applies only to actor tables; the {fmt} format gives its own scales",
            source=source,
            where="--scale",
            fix="leave out --scale",
        )
    if (issue is not None or proposal is not None) and fmt != "deu":
        raise InputError(
            f"--issue/--proposal apply only to DEU files; this is a {fmt} file",
            source=source,
            where="--issue/--proposal",
            fix="leave out --issue and --proposal",
        )
    if fmt == "deu":
        return parse_deu_scenario(text, source, issue=issue, proposal=proposal, name=name)
    if fmt == "decide":
        return parse_decide(text, source, name=name)
    if fmt == "ktab":
        return parse_ktab(text, source, name=name)
    return parse_table(text, source, name=name, scale=scale)


def import_file(
    path: str | Path,
    *,
    fmt: str | None = None,
    name: str | None = None,
    scale: tuple[float, float] | None = None,
    issue: str | None = None,
    proposal: str | None = None,
) -> Scenario:
    """Read ``path`` (UTF-8, size-checked) and import it; see :func:`import_text`."""
    p = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt!r}",
            source=str(p),
            where="--format",
            fix=f"use one of {', '.join(FORMATS)}",
        )
    return import_text(
        read_text(p), str(p), fmt=fmt, name=name, scale=scale, issue=issue, proposal=proposal
    )
