"""The verdict backtest as one self-contained HTML page (plotly.js inlined once): scores
against the baselines, the reliability diagram, P(deal) per case, the misses and the
per-field table. Takes the JSON of :meth:`backchannel.validation.cases.CaseBacktest.to_dict`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from backchannel.scenario.load import atomic_write
from backchannel.validation.cases import FORECASTER_NAMES

CONFIG = {"displaylogo": False, "responsive": True}
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _scores(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = {"engine": {m: d[m] for m in ("accuracy", "balanced_accuracy", "brier", "log_loss")}}
    if "recalibrated" in d:
        rows["engine_recalibrated"] = d["recalibrated"]
    rows.update(d["baselines"])
    return rows


def scores_figure(d: dict[str, Any]) -> go.Figure:
    """Accuracy and Brier score with 95% bootstrap intervals, engine against baselines."""
    rows = _scores(d)
    fig = go.Figure()
    for metric, colour in (("accuracy", "#1f77b4"), ("brier", "#d62728")):
        est = [rows[k][metric]["estimate"] for k in rows]
        lo = [rows[k][metric]["ci95"][0] for k in rows]
        hi = [rows[k][metric]["ci95"][1] for k in rows]
        fig.add_bar(
            name="accuracy (higher is better)"
            if metric == "accuracy"
            else "Brier (lower is better)",
            x=[FORECASTER_NAMES[k] for k in rows],
            y=est,
            marker_color=colour,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(h or e) - e for e, h in zip(est, hi, strict=True)],
                "arrayminus": [e - (low or e) for e, low in zip(est, lo, strict=True)],
            },
        )
    fig.update_layout(
        barmode="group",
        title=f"Verdicts on {d['n']} historical negotiations (95% bootstrap intervals)",
        yaxis={"range": [0, 1]},
        font=FONT,
        height=380,
    )
    return fig


def reliability_figure(d: dict[str, Any]) -> go.Figure:
    """Mean P(deal) per bin against the observed share of deals (a perfectly calibrated
    forecaster lies on the diagonal); marker size = number of cases."""
    bins = [b for b in d["reliability"] if b["n"]]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": "#888"}, name="calibrated"
    )
    fig.add_scatter(
        x=[b["mean_p"] for b in bins],
        y=[b["observed"] for b in bins],
        mode="markers+text",
        text=[f"n={b['n']}" for b in bins],
        textposition="top center",
        marker={"size": [8 + 3 * b["n"] for b in bins], "color": "#1f77b4"},
        name="engine",
    )
    fig.update_layout(
        title="Reliability of P(deal)",
        xaxis={"title": "mean P(deal) in the bin", "range": [-0.05, 1.05]},
        yaxis={"title": "share of deals", "range": [-0.05, 1.2]},
        font=FONT,
        height=380,
    )
    return fig


def cases_figure(d: dict[str, Any]) -> go.Figure:
    """P(deal) per case, sorted; filled = the verdict was right, open = a miss."""
    cases = sorted(d["cases"], key=lambda c: c["p_deal"])
    fig = go.Figure()
    for deal, colour, label in ((True, "#2ca02c", "deal reached"), (False, "#d62728", "no deal")):
        sub = [c for c in cases if c["outcome"]["deal"] == deal]
        fig.add_scatter(
            x=[c["p_deal"] for c in sub],
            y=[html.escape(c["name"]) for c in sub],
            mode="markers",
            name=label,
            marker={
                "color": colour,
                "size": 11,
                "symbol": ["circle" if c["correct"] else "circle-open" for c in sub],
                "line": {"width": 2, "color": colour},
            },
            text=[html.escape(c["verdict_class"]) for c in sub],
            hovertemplate="%{y}: P(deal) %{x:.2f}, verdict %{text}<extra></extra>",
        )
    fig.update_layout(
        title="P(deal) per case (open marker: the verdict missed)",
        xaxis={"title": "P(deal) from the sweep", "range": [-0.05, 1.05]},
        yaxis={"categoryorder": "array", "categoryarray": [html.escape(c["name"]) for c in cases]},
        font=FONT,
        height=max(400, 22 * len(cases) + 120),
    )
    return fig


def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(d: dict[str, Any]) -> str:
    """The whole HTML page."""
    score_rows = []
    for k, v in _scores(d).items():
        cells = [FORECASTER_NAMES[k]]
        for m in ("accuracy", "balanced_accuracy", "brier", "log_loss"):
            lo, hi = v[m]["ci95"]
            cells.append(f"{_num(v[m]['estimate'])} [{_num(lo)}, {_num(hi)}]")
        score_rows.append(cells)
    misses = [
        [
            html.escape(m["name"]),
            "deal" if m["deal"] else "no deal",
            m["verdict_class"],
            _num(m["p_deal"], 2),
            html.escape(m["reason"]),
        ]
        for m in d["misses"]
    ]
    fields = [
        [html.escape(f), str(v["n"]), str(v["deals"]), _num(v["accuracy"]), _num(v["brier"])]
        for f, v in d["fields"].items()
    ]
    figs = [scores_figure(d), reliability_figure(d), cases_figure(d)]
    divs = "".join(f.to_html(full_html=False, include_plotlyjs=False, config=CONFIG) for f in figs)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>backchannel: verdict backtest</title>"
        f"<style>{style}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>Verdict backtest: {d['n']} coded negotiations</h1>"
        f"<p>{d['deals']} ended in a deal, {d['no_deals']} did not. P(deal) from "
        f"{d['draws']} draws per case; intervals from {d['bootstrap']} bootstrap resamples "
        "of the cases.</p>"
        + _table(["forecaster", "accuracy", "balanced accuracy", "Brier", "log loss"], score_rows)
        + divs
        + "<h2>Misses</h2>"
        + _table(["case", "history", "verdict", "P(deal)", "the engine's reason"], misses)
        + "<h2>By field</h2>"
        + _table(["field", "cases", "deals", "accuracy", "Brier"], fields)
        + "</body></html>"
    )


def write_html(d: dict[str, Any], path: str | Path) -> Path:
    out = Path(path)
    atomic_write(out, page(d))
    return out
