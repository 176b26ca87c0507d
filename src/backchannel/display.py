"""Short text and notebook (HTML) displays of results, and the :class:`Tabular` mixin
that gives a result class ``to_frame()``, ``tables()``, a short ``repr`` and
``_repr_html_`` from its ``to_dict()`` (see :mod:`backchannel.tables`).

A dataclass that inherits :class:`Tabular` must say ``repr=False`` (otherwise the
dataclass writes its own, very long, ``__repr__``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from backchannel import tables

if TYPE_CHECKING:
    import pandas as pd

MAX_REPR = 240
MAX_ROWS = 20


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else repr(v)


def _clip(text: str, width: int = MAX_REPR) -> str:
    return text if len(text) <= width else text[: width - 4] + " ...>"


def _pairs(d: dict[str, Any], n: int = 4) -> str:
    items = [f"{k}: {_num(v)}" for k, v in list(d.items())[:n]]
    return "{" + ", ".join(items) + (", ..." if len(d) > n else "") + "}"


def summary(result: Any) -> str:
    """One line about ``result`` (its ``repr``): what it is and its main figures."""
    kind = type(result).__name__
    names = {c.__name__ for c in type(result).__mro__}
    if "Forecast" in names:
        rounds = "" if result.rounds is None else f", rounds={result.rounds.shape[0] - 1}"
        text = (
            f"<Forecast {result.model!r}: {len(result.actor_ids)} actors, "
            f"{len(result.issue_ids)} issues{rounds}, outcome={_pairs(result.outcome_by_issue())}>"
        )
    elif "SweepResult" in names:
        p = ""
        if result.feasibility:
            lo, hi = result.p_deal_interval()
            p = f", p_deal={result.p_deal:.4f} [{lo:.4f}, {hi:.4f}]"
        text = (
            f"<SweepResult {result.scenario!r}: {result.draws:,} draws, seed {result.seed}{p}, "
            f"models={list(result.models)}, {len(result.inputs)} uncertain inputs>"
        )
    elif "Scenario" in names:
        text = (
            f"<Scenario {result.name!r}: {len(result.actors)} actors, {len(result.issues)} issues>"
        )
    else:
        data = result.to_dict()
        scalars = {k: v for k, v in data.items() if isinstance(v, str | bool | int | float)}
        text = f"<{kind} " + ", ".join(f"{k}={_num(v)}" for k, v in scalars.items()) + ">"
    return _clip(text)


def _html_table(cols: tables.Columns, max_rows: int = MAX_ROWS) -> str:
    n = len(next(iter(cols.values()), []))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    values = [list(v[:max_rows]) for v in cols.values()]
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in zip(*values, strict=True)
    )
    more = f"<p>{n - max_rows:,} more rows: <code>.to_frame()</code> has them all.</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" + (
        more if n > max_rows else ""
    )


def _cell(v: Any) -> str:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def to_html(result: Any) -> str:
    """A small HTML view of ``result`` for notebooks: its summary, its reasons if it has
    any, and the first rows of its default table."""
    parts = [f"<p><b>{html.escape(summary(result))}</b></p>"]
    reasons = getattr(result, "reasons", None)
    if reasons:
        parts.append("<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in reasons) + "</ul>")
    available = tables.names(result)
    if available:
        parts.append(
            f"<p>table <code>{available[0]}</code> (others: {', '.join(available[1:]) or '-'})</p>"
        )
        parts.append(_html_table(tables.columns(result, available[0])))
    return "<div class='backchannel'>" + "".join(parts) + "</div>"


class Tabular:
    """Mixin for results with ``to_dict()``: ``to_frame()``, ``tables()``, a one-line
    ``repr`` and an HTML view in notebooks."""

    __slots__ = ()

    def to_frame(self, table: str | None = None) -> pd.DataFrame:
        """Table ``table`` (default: the first of :meth:`tables`) as a pandas DataFrame
        (needs the ``[pandas]`` extra)."""
        from backchannel.frames import to_frame

        return to_frame(self, table)

    def tables(self) -> tuple[str, ...]:
        """The names of the tables :meth:`to_frame` offers, the default first."""
        return tables.names(self)

    def __repr__(self) -> str:
        return summary(self)

    def _repr_html_(self) -> str:
        return to_html(self)
