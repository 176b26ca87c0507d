"""How the dashboard reports problems: input errors with the place they concern, and
internal errors as an id (details go to the server's log, never to the page).

An :class:`InputError` from the schema names its place in ``where``
(``line 3, actors[1] (id: usa).positions.nuclear.salience.value``); :func:`where_to_path`
turns that back into a path into the scenario data (``["actors", 1, "positions",
"nuclear", "salience", "value"]``) so the page can mark the field in the form, and
:func:`cell_of` into a grid cell key (``usa|nuclear|salience``).
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from backchannel.scenario.errors import InputError, ManyErrors

log = logging.getLogger("backchannel.web")

Path = list[str | int]
_LINE = re.compile(r"^line \d+(?:, column \d+)?(?:, |$)")
_INDEX = re.compile(r"\[(\d+)\](?: \(id: [^)]*\))?\.?")
_TOKEN = re.compile(r"\[(\d+)\]|([^.\[]+)")
GRID_FIELDS = ("position", "salience", "limit")
NO_DEAL_FIELDS = ("adjustment", "trend", "utility")


def where_to_path(where: str | None, data: Any) -> Path | None:
    """The data path an error's ``where`` names (None when it names no field)."""
    if not where:
        return None
    rest = _LINE.sub("", where, count=1)
    if rest in ("", "top level"):
        return [] if rest == "top level" else None
    path: Path = []
    cur: Any = data
    while rest:
        if isinstance(cur, list):
            m = _INDEX.match(rest)
            if m is None:
                break
            i = int(m.group(1))
            path.append(i)
            cur = cur[i] if i < len(cur) else None
            rest = rest[m.end() :]
        elif isinstance(cur, dict):
            # keys may hold dots (issue ids): take the longest run of dot-separated
            # tokens that is a key, else the first token (a missing field)
            parts = re.split(r"(?=[.\[])", rest)
            key = parts[0]
            for j in range(len(parts), 0, -1):
                cand = "".join(parts[:j])
                if cand in cur:
                    key = cand
                    break
            path.append(key)
            cur = cur.get(key)
            rest = rest[len(key) :].removeprefix(".")
        else:
            for index, name in _TOKEN.findall(rest):
                path.append(int(index) if index else name)
            break
    return path


def cell_of(path: Path | None, data: Any) -> str | None:
    """The grid cell (``actor|issue|field`` or ``actor|no_deal|field``) a path points at."""
    if not path or len(path) < 4 or path[0] != "actors" or not isinstance(path[1], int):
        return None
    actors = data.get("actors") if isinstance(data, dict) else None
    if not isinstance(actors, list) or path[1] >= len(actors):
        return None
    actor = actors[path[1]]
    aid = actor.get("id") if isinstance(actor, dict) else None
    if not isinstance(aid, str):
        return None
    if path[2] == "positions" and len(path) >= 5 and path[4] in GRID_FIELDS:
        return f"{aid}|{path[3]}|{path[4]}"
    if path[2] == "no_deal" and path[3] in NO_DEAL_FIELDS:
        return f"{aid}|no_deal|{path[3]}"
    return None


def problem_list(exc: InputError, data: Any = None, limit: int = 200) -> list[dict[str, Any]]:
    """Each problem (at most ``limit``, then a count of the rest) with its path and cell."""
    errors = exc.errors if isinstance(exc, ManyErrors) else [exc]
    out: list[dict[str, Any]] = []
    for e in errors[:limit]:
        path = where_to_path(e.where, data) if data is not None else None
        out.append({"text": e.render(), "cell": cell_of(path, data), "path": path})
    if len(errors) > limit:
        out.append(
            {
                "text": f"... and {len(errors) - limit:,} more problems (the first {limit} "
                "are listed)",
                "cell": None,
                "path": None,
            }
        )
    return out


def internal_error(detail: str, what: str = "request") -> dict[str, Any]:
    """Log ``detail`` (a traceback) under a new id; the problem the page shows."""
    ident = secrets.token_hex(4)
    log.error("internal error %s in %s:\n%s", ident, what, detail)
    return {
        "text": f"internal error {ident}: the server could not finish this {what}; its log "
        "has the details under this id",
        "cell": None,
        "path": None,
        "code": "internal",
        "id": ident,
    }
