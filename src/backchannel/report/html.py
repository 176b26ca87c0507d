"""Render a :class:`ReportData` as ONE self-contained HTML file.

plotly.js is inlined once (``plotly.offline.get_plotlyjs()``), so the file needs no
network. Every chart has a table with the same numbers beside it, which is what print
shows if scripts are off (a print stylesheet keeps charts and tables on whole pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from backchannel import __version__
from backchannel.report import figures
from backchannel.report.collect import ReportData

PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: (
            resources.files("backchannel.report").joinpath("templates", name).read_text("utf-8")
        )
    )
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.ChainableUndefined)
    env.filters["num"] = fmt_num
    return env


def fmt_num(x: Any, digits: int = 3) -> str:
    """A number for people: ``None`` -> ``—``, floats to ``digits`` significant digits."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        return f"{x:.{digits}g}"
    return str(x)


def fig_html(fig: go.Figure, div_id: str) -> str:
    return str(
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG)
    )


def sweep_figures(scenario: Any, sweep: Mapping[str, Any]) -> dict[str, go.Figure]:
    """Outcome distributions and the sensitivity tornado of a sweep's ``to_dict()``."""
    out: dict[str, go.Figure] = {}
    quant = sweep.get("outcomes")
    if isinstance(quant, Mapping) and quant:
        out["dist"] = figures.distribution_figure(scenario, quant)
    sens = sweep.get("sensitivity")
    if isinstance(sens, Mapping) and sens.get("outputs"):
        from backchannel.engine.sensitivity import tornado_figure

        outputs = sens["outputs"]
        key = next(
            (k for k in ("deal", "slack") if k in outputs and not outputs[k].get("constant")), None
        )
        if key is not None:
            fig = tornado_figure(sens, key, top=12)
            fig.update_layout(
                height=140 + 28 * min(len(outputs[key]["ranking"]), 12),
                font=figures.FONT,
                margin={"l": 260},
            )
            out["tornado"] = fig
    return out


def tornado_note(sweep: Mapping[str, Any]) -> str | None:
    """Why a sweep has no tornado (None when it has one)."""
    sens = sweep.get("sensitivity")
    if not isinstance(sens, Mapping) or not sens.get("outputs"):
        return "No sensitivity analysis was run (no uncertain input, or it was switched off)."
    outputs = sens["outputs"]
    if any(k in outputs and not outputs[k].get("constant") for k in ("deal", "slack")):
        return None
    return (
        "The verdict is the same in every draw (and so is the slack), so no uncertain "
        "input moves it: there is no sensitivity tornado to draw."
    )


def _sweep_parts(scenario: Any, sweep: Mapping[str, Any]) -> dict[str, Any]:
    p = sweep.get("p_deal")
    parts: dict[str, Any] = {
        "p_deal": p.get("estimate") if isinstance(p, Mapping) else p,
        "p_interval": p.get("wilson95") if isinstance(p, Mapping) else None,
        "draws": sweep.get("draws"),
        "seed": sweep.get("seed"),
        "notes": sweep.get("notes") or [],
        "tornado_note": tornado_note(sweep),
    }
    figs = sweep_figures(scenario, sweep)
    if "dist" in figs:
        parts["dist_html"] = fig_html(figs["dist"], "fig-dist")
    if "tornado" in figs:
        parts["tornado_html"] = fig_html(figs["tornado"], "fig-tornado")
    return parts


def render(data: ReportData, *, generated: datetime | None = None) -> str:
    """The report as an HTML string."""
    sc = data.scenario
    analysis = data.analysis.data if data.analysis.ok else None
    ctx: dict[str, Any] = {
        "sc": sc,
        "data": data,
        "analysis": analysis,
        "concessions": data.concessions.data if data.concessions.ok else None,
        "version": __version__,
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "plotlyjs": get_plotlyjs(),
        "positions_html": fig_html(figures.positions_figure(sc), "fig-positions"),
        "zopa_html": None,
        "rounds_html": None,
        "sweep": None,
        "short_label": figures.short_label,
        "names": {a.id: a.name for a in sc.actors},
        "issue_names": {i.id: i.name for i in sc.issues},
    }
    if analysis and analysis.get("zopa"):
        ctx["zopa_html"] = fig_html(figures.zopa_figure(sc, analysis), "fig-zopa")
    fc = data.forecast.data if data.forecast.ok else None
    ctx["forecast"] = fc
    if fc is not None and fc.rounds is not None:
        ctx["rounds_html"] = fig_html(figures.rounds_figure(sc, fc), "fig-rounds")
    if data.sweep.ok:
        ctx["sweep"] = _sweep_parts(sc, data.sweep.data)
    ctx["timeline"] = data.timeline.data if data.timeline.ok else None
    if ctx["timeline"] is not None:
        ctx["timeline_html"] = fig_html(figures.timeline_figure(ctx["timeline"]), "fig-timeline")
    env = _env()
    env.filters["issue_name"] = lambda i: ctx["issue_names"].get(i, i)
    return env.get_template("report.html.j2").render(**ctx)
