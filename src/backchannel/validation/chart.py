"""Static chart of backtest MAE per model and baseline with bootstrap intervals
(matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_COLOURS = {
    "model": "#1f77b4",
    "baseline": "#7f7f7f",
    "ensemble": "#d62728",
    "tuned (nested CV)": "#2ca02c",
    "calibrated (nested CV)": "#9467bd",
    "calibrated (no refit)": "#9467bd",
}


def plot_mae(table: dict[str, dict[str, Any]], path: str | Path, title: str) -> Path:
    """Horizontal bars of MAE (0-100 scale) with 95% proposal-bootstrap intervals, best
    at the top; saves a PNG or SVG (by suffix) and returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(
        ((k, v) for k, v in table.items() if v.get("mae") is not None),
        key=lambda kv: -float(kv[1]["mae"]),
    )
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(rows) + 1.4))
    for i, (_name, v) in enumerate(rows):
        lo, hi = v["ci95"]
        mae = float(v["mae"])
        colour = _COLOURS.get(v["kind"], "#333333")
        ax.barh(i, mae, color=colour, alpha=0.75)
        if lo is not None and hi is not None:
            ax.errorbar(mae, i, xerr=[[mae - lo], [hi - mae]], color="black", capsize=3, lw=1)
        ax.text(0.5, i, f"{mae:.1f} (n={v['n']})", va="center", fontsize=8, color="white")
    ax.set_yticks(range(len(rows)), [k for k, _ in rows], fontsize=9)
    ax.set_xlabel("mean absolute error (0-100 scale), 95% bootstrap interval by proposal")
    ax.set_title(title, fontsize=10)
    shown = {k: c for k, c in _COLOURS.items() if any(v["kind"] == k for _, v in rows)}
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.75) for c in shown.values()]
    ax.legend(handles, list(shown), loc="upper right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
