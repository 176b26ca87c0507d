"""Results as named tables of columns, without pandas: the CLI writes them as CSV
(``--format csv``) or Parquet, and :mod:`backchannel.frames` wraps them in pandas frames.

Every result has one or more tables, the first is the default:

=================  ==========================================================================
result             tables (columns)
=================  ==========================================================================
``Forecast``       ``rounds`` (model, round, actor, issue, position); ``outcome`` (model,
                   issue, outcome)
``SweepResult``    ``draws`` (draw, deal, slack, ..., one column per uncertain input, one per
                   ``model.issue`` outcome); ``outcomes`` (model, issue, q05 ... q95, mean);
                   ``sensitivity`` (output, input, S1, S1_conf, ST, ST_conf, low, high);
                   a streamed sweep has no ``draws`` (``--draws-out`` writes them)
``Analysis``       ``zopa`` (issue, low, high, empty, acceptable.<actor>); ``blocking``;
                   ``mediators``; ``two_level``
``Concessions``    ``concessions``; ``by_actor`` (actor, cost); ``point`` (issue, value)
``BacktestResult`` ``models`` (model, kind, mae, ci_low, ci_high, ...); ``subsets`` (subset,
                   group, model, mae, ...)
``Scenario``       ``stances`` (actor, issue, position, salience, capability, limit)
=================  ==========================================================================

Results that are not listed but have ``to_dict()`` get a table for every entry that is a
list of records or a mapping of records. The analysis tables are read from ``to_dict()``,
whose keys are documented and kept stable, so they follow the verdict engine as it grows.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from backchannel.scenario.errors import InputError

Columns = dict[str, Any]
"""A table: column name -> values (lists or 1-D numpy arrays of equal length)."""

#: what the keys of a mapping stand for, by table name
INDEX = {"zopa": "issue", "two_level": "state", "by_actor": "actor", "point": "issue"}
#: what the values of a mapping of numbers stand for, by table name
VALUE = {"by_actor": "cost", "point": "value"}


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings become dotted column names: ``{"a": {"b": 1}} -> {"a.b": 1}``;
    a pair ``[low, high]`` becomes ``.low`` and ``.high`` columns."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif _is_interval(value):
            out[f"{name}.low"], out[f"{name}.high"] = value
        else:
            out[name] = value
    return out


def _is_interval(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) or v is None for v in value)
    )


def from_records(records: Iterable[Mapping[str, Any]]) -> Columns:
    """Columns from flat records (a key missing from a record gives ``None``)."""
    recs = [dict(r) for r in records]
    names = list(dict.fromkeys(k for r in recs for k in r))
    return {n: [r.get(n) for r in recs] for n in names}


def _from_data(value: Any, table: str) -> Columns | None:
    """A table from a ``to_dict()`` entry: a list of records, or a mapping of records (or
    of numbers) keyed by ``INDEX[table]``; None for anything else."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return from_records(flatten(v) for v in value)
    if isinstance(value, Mapping) and value:
        key = INDEX.get(table, "key")
        if all(isinstance(v, Mapping) for v in value.values()):
            return from_records({key: k, **flatten(v)} for k, v in value.items())
        if all(isinstance(v, int | float) or v is None for v in value.values()):
            return {key: list(value), VALUE.get(table, "value"): list(value.values())}
    return None


# -- results with arrays ---------------------------------------------------------------------
def _forecast(fc: Any, table: str) -> Columns:
    import numpy as np

    if table == "outcome":
        return {
            "model": [fc.model] * len(fc.issue_ids),
            "issue": list(fc.issue_ids),
            "outcome": np.asarray(fc.outcome, dtype=float),
        }
    r, n, k = fc.rounds.shape
    return {
        "model": [fc.model] * (r * n * k),
        "round": np.repeat(np.arange(r), n * k),
        "actor": list(np.tile(np.repeat(np.array(fc.actor_ids, dtype=object), k), r)),
        "issue": list(np.tile(np.array(fc.issue_ids, dtype=object), r * n)),
        "position": np.asarray(fc.rounds, dtype=float).reshape(-1),
    }


def draw_columns(
    res: Any,
    start: int,
    deal: Any,
    slack: Any,
    x: Any,
    outcomes: Mapping[str, Any],
    extra: Mapping[str, Any],
) -> Columns:
    """The ``draws`` table of a sweep ``res`` (its inputs, models and issues) for the
    draws ``start, start + 1, ...`` with these per-draw arrays; ``extra``: the optional
    columns (``deal_with_inducements``, ``escalation``, ``escalation_with_channels``)
    that are not None."""
    import numpy as np

    cols: Columns = {"draw": np.arange(start, start + len(x))}
    if res.feasibility:
        cols["deal"] = np.asarray(deal, dtype=bool)
        cols["slack"] = np.asarray(slack, dtype=float)
    for name in ("deal_with_inducements", "escalation", "escalation_with_channels"):
        if extra.get(name) is not None:
            cols[name] = np.asarray(extra[name])
    for j, col in enumerate(res.inputs):
        cols[col.name] = np.asarray(x[:, j], dtype=float)
    for m in res.models:
        for k, issue in enumerate(res.issue_ids):
            cols[f"{m}.{issue}"] = np.asarray(outcomes[m][:, k], dtype=float)
    return cols


def _sweep(res: Any, table: str) -> Columns:
    if table == "draws":
        if res.streamed:
            raise InputError(
                f"the sweep of {res.draws:,} draws was streamed: its draws were not kept",
                source="table",
                fix="write them as they are drawn (`sweep --draws-out FILE`, or "
                "`backchannel.sweep(..., draws_out=FILE)`), or keep them in memory "
                "(`--draws-in-memory keep`, keep_draws=True)",
            )
        extra = {
            n: getattr(res, n)
            for n in ("deal_with_inducements", "escalation", "escalation_with_channels")
        }
        return draw_columns(res, 0, res.deal, res.slack, res.x, res.outcomes, extra)
    if table == "outcomes":
        return from_records(
            {"model": m, "issue": issue, **qs}
            for m in res.models
            for issue, qs in res.quantiles(m).items()
        )
    return from_records(
        {"output": out, **row} for out, o in res.sensitivity.outputs.items() for row in o.ranking()
    )


def _backtest(res: Any, table: str) -> Columns:
    data = res.to_dict()
    if table == "models":
        return from_records({"model": m, **flatten(v)} for m, v in data["models"].items())
    return from_records(
        {"subset": subset, "group": group, "n_issues": g.get("n"), "model": m, **flatten(v)}
        for subset, groups in data["subsets"].items()
        for group, g in groups.items()
        for m, v in g.get("models", {}).items()
    )


def _scenario(sc: Any, table: str) -> Columns:
    from backchannel.scenario.frames import stance_records

    return from_records(stance_records(sc))


def _forecast_tables(fc: Any) -> tuple[str, ...]:
    return ("rounds", "outcome") if fc.rounds is not None else ("outcome",)


def _sweep_tables(res: Any) -> tuple[str, ...]:
    first = ("outcomes", "draws") if res.streamed else ("draws", "outcomes")
    return first + (("sensitivity",) if res.sensitivity is not None else ())


Kind = tuple[Callable[[Any], tuple[str, ...]], Callable[[Any, str], Columns]]
_KINDS: dict[str, Kind] = {
    "Forecast": (_forecast_tables, _forecast),
    "SweepResult": (_sweep_tables, _sweep),
    "BacktestResult": (lambda _: ("models", "subsets"), _backtest),
    "Scenario": (lambda _: ("stances",), _scenario),
}
#: preferred order of the tables read from ``to_dict()`` (others follow in key order)
_PREFERRED = ("zopa", "blocking", "mediators", "two_level", "concessions", "by_actor", "point")


def _kind(result: Any) -> Kind | None:
    for cls in type(result).__mro__:
        if cls.__name__ in _KINDS:
            return _KINDS[cls.__name__]
    return None


def names(result: Any) -> tuple[str, ...]:
    """The tables ``result`` offers, the default first."""
    kind = _kind(result)
    if kind is not None:
        return kind[0](result)
    if not hasattr(result, "to_dict"):
        raise TypeError(f"{type(result).__name__} is not a backchannel result")
    data = result.to_dict()
    found = [k for k, v in data.items() if _from_data(v, k) is not None]
    return tuple(sorted(found, key=lambda k: _PREFERRED.index(k) if k in _PREFERRED else 99))


def _no_table(result: Any, table: str) -> InputError:
    return InputError(
        f"{type(result).__name__} has no table {table!r}",
        source="table",
        fix=f"use one of {list(names(result))}",
    )


def columns(result: Any, table: str | None = None) -> Columns:
    """Table ``table`` of ``result`` (default: its first table) as columns."""
    available = names(result)
    table = table or (available[0] if available else "")
    if table not in available:
        raise _no_table(result, table)
    kind = _kind(result)
    if kind is not None:
        return kind[1](result, table)
    cols = _from_data(result.to_dict()[table], table)
    assert cols is not None
    return cols


# -- output ----------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list | tuple | dict):
        import json

        return json.dumps(value)
    return value


def write_csv(cols: Columns, out: IO[str], header: bool = True) -> None:
    """Write columns as CSV (header row, then one row per entry; None as an empty cell)."""
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(list(cols))
    values = [v.tolist() if hasattr(v, "tolist") else list(v) for v in cols.values()]
    for row in zip(*values, strict=True):
        writer.writerow([_cell(v) for v in row])


def csv_text(cols: Columns) -> str:
    """Columns as CSV text."""
    buf = io.StringIO()
    write_csv(cols, buf)
    return buf.getvalue()


def write_table(cols: Columns, path: Path) -> None:
    """Write columns to ``path``: Parquet for ``.parquet`` (needs pyarrow), else CSV."""
    if path.suffix.lower() == ".parquet":
        from backchannel._extras import require

        pa = require("pyarrow", "parquet", "writing Parquet files")
        import pyarrow.parquet as pq

        pq.write_table(pa.table({k: _arrow_column(v) for k, v in cols.items()}), str(path))
        return
    from backchannel.scenario.load import atomic_write

    atomic_write(path, csv_text(cols))


class DrawWriter:
    """Writes a sweep's ``draws`` table chunk by chunk (:meth:`write` with each chunk's
    columns, in draw order) to ``path``: CSV, or Parquet for ``.parquet``. The rows go to a
    temporary file beside ``path`` that replaces it on :meth:`close`, so a sweep that fails
    leaves any earlier file as it was. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        import tempfile

        self.path = path
        self._parquet = path.suffix.lower() == ".parquet"
        if self._parquet:
            from backchannel._extras import require

            require("pyarrow", "parquet", "writing Parquet files")
        from backchannel.scenario.load import new_file_mode

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.fchmod(fd, new_file_mode(path))
        except OSError as exc:
            raise InputError(
                f"cannot write {path}: {exc.strerror or exc}",
                source="--draws-out",
                fix="give a file in a folder you can write to",
            ) from None
        self._tmp = Path(tmp)
        self._file: Any = (
            open(fd, "wb") if self._parquet else open(fd, "w", encoding="utf-8", newline="")
        )
        self._writer: Any = None
        self.rows = 0

    def write(self, cols: Columns) -> None:
        if self._parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({k: _arrow_column(v) for k, v in cols.items()})
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._file, table.schema)
            self._writer.write_table(table)
        else:
            write_csv(cols, self._file, header=self._writer is None)
            self._writer = True
        self.rows += len(next(iter(cols.values()))) if cols else 0

    def __enter__(self) -> DrawWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self._parquet and self._writer is not None:
            self._writer.close()
        self._file.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def _arrow_column(values: Any) -> Any:
    return values.tolist() if hasattr(values, "dtype") and values.dtype == object else values
