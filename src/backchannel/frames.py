"""Results as pandas frames (the optional ``[pandas]`` extra).

:func:`to_frame` turns any result (forecast, sweep, analysis, what-it-takes, backtest,
scenario) into a :class:`pandas.DataFrame`; the tables each result offers and their
columns are listed in :mod:`backchannel.tables`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backchannel import tables
from backchannel._extras import require

if TYPE_CHECKING:
    import pandas as pd


def to_frame(result: Any, table: str | None = None) -> pd.DataFrame:
    """Table ``table`` of ``result`` (default: its first, see
    :func:`backchannel.tables.names`) as a pandas DataFrame."""
    pandas = require("pandas", "pandas", "results as pandas frames")
    return pandas.DataFrame(tables.columns(result, table))
