"""Plotly figures shared by the HTML report and the web dashboard.

Each function takes plain data (a scenario, or the JSON-able ``to_dict()`` of a result) and
returns a :class:`plotly.graph_objects.Figure`; none does I/O. Figures are laid out one
subplot row per issue, on the issue's own scale, with its anchor labels as tick labels.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backchannel.scenario.schema import Issue, Scenario, q

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
BAR_COLOURS = ("#1f77b4", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def esc(text: str) -> str:
    """User text made inert for plotly's pseudo-HTML labels (and for the JSON that
    ``to_html`` puts inside a ``<script>``): ``<``, ``>`` and ``&`` as entities."""
    return html.escape(str(text), quote=False)


def short_label(label: str, width: int = 26) -> str:
    """The head of an anchor label (before ':'), cut to ``width`` characters, escaped."""
    head = label.split(":")[0].strip()
    return esc(head if len(head) <= width else head[: width - 1] + "…")


def _axis_ticks(issue: Issue) -> dict[str, Any]:
    lo, hi = issue.scale.min, issue.scale.max
    if not issue.anchors:
        return {"range": [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)]}
    vals = [a.value for a in issue.anchors]
    text = [f"{a.value:g}<br>{short_label(a.label)}" for a in issue.anchors]
    return {
        "range": [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)],
        "tickvals": vals,
        "ticktext": text,
        "tickfont": {"size": 10},
    }


def _issue_axis(fig: go.Figure, issue: Issue, row: int) -> None:
    """An issue's row: the scale with its anchor labels, and the status quo dashed."""
    sq = q(issue.status_quo)
    if sq is not None:
        fig.add_vline(x=sq, line={"dash": "dash", "color": "#555", "width": 1}, row=row, col=1)
    fig.update_xaxes(row=row, col=1, **_axis_ticks(issue))


def _label(name: str, width: int = 36) -> str:
    return esc(name if len(name) <= width else name[: width - 1] + "…")


def _spacing(rows: int, height: float, gap_px: float = 80.0) -> float:
    """Vertical gap between subplot rows as a fraction of the plot area (room for the
    two-line anchor tick labels and the next row's title)."""
    if rows <= 1:
        return 0.0
    return min(gap_px / max(height - 100.0, 1.0), 0.9 / (rows - 1))


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _base_layout(fig: go.Figure, height: int, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "font": {"size": 15}},
        height=height,
        font=FONT,
        margin={"l": 230, "r": 30, "t": 60, "b": 40},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": -0.03, "yanchor": "top"},
    )
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5", zeroline=False)
    fig.update_yaxes(showgrid=False)
    return fig


def positions_figure(scenario: Scenario) -> go.Figure:
    """Each actor's position per issue: marker size = salience (0-100), colour =
    capability (relative); the dashed line is the status quo, whiskers reach the limit."""
    issues = scenario.issues
    actors = [a for a in scenario.actors if a.positions]
    caps = [a.capability.value for a in actors] or [1.0]
    cmax = max(max(caps), 1e-9)
    height = len(issues) * (90 + 26 * max(len(actors), 1)) + 120
    fig = make_subplots(
        rows=len(issues),
        cols=1,
        subplot_titles=[esc(i.name) for i in issues],
        vertical_spacing=_spacing(len(issues), height),
    )
    for r, issue in enumerate(issues, start=1):
        names, xs, sizes, colours, hover, err_plus, err_minus = [], [], [], [], [], [], []
        for a in actors:
            st = a.positions.get(issue.id)
            if st is None:
                continue
            cap = q(st.capability) if st.capability is not None else a.capability.value
            pos, sal, lim = st.position.value, st.salience.value, q(st.limit)
            names.append(_label(a.name))
            xs.append(pos)
            sizes.append(8 + 22 * sal / 100.0)
            colours.append(float(cap or 0.0))
            lim_txt = "none" if lim is None else f"{lim:g}"
            hover.append(
                f"{esc(a.name)}<br>position {pos:g}, salience {sal:g}, "
                f"capability {cap:g}<br>limit (red line) {lim_txt}"
            )
            err_plus.append(max(lim - pos, 0.0) if lim is not None else 0.0)
            err_minus.append(max(pos - lim, 0.0) if lim is not None else 0.0)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=names,
                mode="markers",
                showlegend=False,
                hovertext=hover,
                hoverinfo="text",
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": err_plus,
                    "arrayminus": err_minus,
                    "color": "#999",
                    "thickness": 1.2,
                    "width": 0,
                },
                marker={
                    "size": sizes,
                    "color": colours,
                    "cmin": 0,
                    "cmax": cmax,
                    "colorscale": "Blues",
                    "line": {"color": "#333", "width": 1},
                    "showscale": r == 1,
                    "colorbar": {
                        "title": {"text": "capability"},
                        "len": 0.3,
                        "y": 1.0,
                        "yanchor": "top",
                        "thickness": 12,
                    },
                },
            ),
            row=r,
            col=1,
        )
        _issue_axis(fig, issue, r)
    return _base_layout(
        fig,
        height=height,
        title="Positions, salience (marker size) and capability (colour); "
        "dashed: status quo; whisker: red line",
    )


def zopa_figure(scenario: Scenario, analysis: Mapping[str, Any]) -> go.Figure:
    """Win-sets per issue: each veto player's acceptable interval as a bar; the ZOPA (their
    intersection) shaded green, or marked empty; the package point as a diamond."""
    zopa: Mapping[str, Any] = analysis.get("zopa") or {}
    package: Mapping[str, Any] = analysis.get("package") or {}
    point: Mapping[str, float] = package.get("point") or {}
    agenda = package.get("agenda")
    issues = [i for i in scenario.issues if i.id in zopa]
    nmax = max([len(zopa[i.id].get("acceptable") or {}) for i in issues] or [1])
    height = max(len(issues), 1) * (100 + 26 * nmax) + 120
    titles = []
    for i in issues:
        z = zopa[i.id]
        if not z.get("empty") and z.get("low") is not None and z.get("high") is not None:
            zopa_txt = f"ZOPA {z['low']:g}–{z['high']:g}"
            t = f"{esc(i.name)} — <span style='color:#1a7f1a'>{zopa_txt}</span>"
        else:
            t = f"{esc(i.name)} — <span style='color:#c00000'>ZOPA empty</span>"
        if agenda is not None and i.id not in agenda:
            t += " (off the package agenda)"
        titles.append(t)
    fig = make_subplots(
        rows=max(len(issues), 1),
        cols=1,
        subplot_titles=titles or ["no ZOPA data"],
        vertical_spacing=_spacing(len(issues), height),
    )
    names = {a.id: a.name for a in scenario.actors}
    for r, issue in enumerate(issues, start=1):
        z = zopa[issue.id]
        acc: Mapping[str, Sequence[float]] = z.get("acceptable") or {}
        ys = [_label(names.get(a, a)) for a in acc]
        lows = [float(v[0]) for v in acc.values()]
        highs = [float(v[1]) for v in acc.values()]
        fig.add_trace(
            go.Bar(
                y=ys,
                x=[h - lo for lo, h in zip(lows, highs, strict=True)],
                base=lows,
                orientation="h",
                showlegend=False,
                marker={
                    "color": [BAR_COLOURS[i % len(BAR_COLOURS)] for i in range(len(ys))],
                    "opacity": 0.6,
                },
                hovertext=[
                    f"{y}: accepts {lo:g} to {h:g}"
                    for y, lo, h in zip(ys, lows, highs, strict=True)
                ],
                hoverinfo="text",
            ),
            row=r,
            col=1,
        )
        lo_z, hi_z = z.get("low"), z.get("high")
        if not z.get("empty") and lo_z is not None and hi_z is not None:
            fig.add_vrect(
                x0=lo_z,
                x1=max(hi_z, lo_z + 1e-6),
                fillcolor="#2ca02c",
                opacity=0.25,
                line_width=0,
                row=r,
                col=1,
            )
        if issue.id in point and point[issue.id] is not None:
            fig.add_trace(
                go.Scatter(
                    x=[point[issue.id]] * len(ys),
                    y=ys,
                    mode="markers",
                    showlegend=False,
                    marker={"symbol": "diamond", "size": 11, "color": "black"},
                    hovertext=f"package point {point[issue.id]:g}",
                    hoverinfo="text",
                ),
                row=r,
                col=1,
            )
        _issue_axis(fig, issue, r)
    return _base_layout(
        fig,
        height=height,
        title="Win-sets: what each veto player accepts; green: ZOPA; ◆ package point; "
        "dashed: status quo",
    )


def rounds_figure(scenario: Scenario, fc: Any) -> go.Figure:
    """Positions per round of a forecast (``Forecast.rounds`` is (R+1, N, K)); the dotted
    line is the forecast outcome."""
    rounds = np.asarray(fc.rounds, dtype=float)
    issue_by_id = {i.id: i for i in scenario.issues}
    names = {a.id: a.name for a in scenario.actors}
    k = len(fc.issue_ids)
    fig = make_subplots(
        rows=k,
        cols=1,
        subplot_titles=[esc(issue_by_id[i].name if i in issue_by_id else i) for i in fc.issue_ids],
        vertical_spacing=_spacing(k, k * 230 + 140, gap_px=70.0),
    )
    x = list(range(rounds.shape[0]))
    fig.update_layout(height=k * 230 + 140)
    for r, iid in enumerate(fc.issue_ids, start=1):
        for a_i, aid in enumerate(fc.actor_ids):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=rounds[:, a_i, r - 1],
                    mode="lines+markers",
                    name=esc(names.get(aid, aid)),
                    legendgroup=aid,
                    showlegend=r == 1,
                    line={"color": _colour(a_i), "width": 2},
                    marker={"size": 4},
                ),
                row=r,
                col=1,
            )
        fig.add_hline(
            y=float(fc.outcome[r - 1]), line={"dash": "dot", "color": "black"}, row=r, col=1
        )
        issue = issue_by_id.get(iid)
        if issue is not None:
            ticks = _axis_ticks(issue)
            fig.update_yaxes(row=r, col=1, **ticks)
        fig.update_xaxes(
            row=r, col=1, title_text="round" if r == k else None, dtick=1 if len(x) <= 20 else None
        )
    fig = _base_layout(
        fig,
        height=k * 230 + 140,
        title=f"Positions per round ({fc.model}); dotted: forecast outcome",
    )
    fig.update_layout(margin={"l": 150})
    return fig


def tornado_figure(sensitivity: Sequence[Mapping[str, Any]], top: int = 15) -> go.Figure:
    """Sensitivity tornado: inputs ranked by their effect on the probability of a deal."""
    rows = list(sensitivity)[:top][::-1]
    labels = [esc(r.get("label") or r.get("input") or r.get("name") or "?") for r in rows]
    lows = [r.get("low") for r in rows]
    if rows and all(v is not None for v in lows) and all(r.get("high") is not None for r in rows):
        base = [float(r.get("base", 0.0)) for r in rows]
        fig = go.Figure(
            [
                go.Bar(
                    y=labels,
                    x=[float(r["low"]) - b for r, b in zip(rows, base, strict=True)],
                    base=base,
                    orientation="h",
                    name="input low",
                    marker_color="#1f77b4",
                ),
                go.Bar(
                    y=labels,
                    x=[float(r["high"]) - b for r, b in zip(rows, base, strict=True)],
                    base=base,
                    orientation="h",
                    name="input high",
                    marker_color="#d62728",
                ),
            ]
        )
        fig.update_layout(barmode="overlay")
    else:
        scores = [float(_score(r)) for r in rows]
        fig = go.Figure(
            go.Bar(y=labels, x=scores, orientation="h", marker_color="#1f77b4", showlegend=False)
        )
    fig = _base_layout(
        fig,
        height=120 + 24 * max(len(rows), 1),
        title="What drives the verdict (sensitivity, largest first)",
    )
    fig.update_layout(margin={"l": 260})
    return fig


def _score(row: Mapping[str, Any]) -> float:
    for key in ("score", "effect", "index", "st", "s1", "value"):
        v = row.get(key)
        if isinstance(v, int | float):
            return float(v)
    return 0.0


def distribution_figure(
    scenario: Scenario, quantiles: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> go.Figure:
    """Outcome distributions per issue and model from quantiles
    (``{model: {issue: {"5": x, "25": x, "50": x, "75": x, "95": x}}}``) as box plots."""
    issue_by_id = {i.id: i for i in scenario.issues}
    issue_ids = [i.id for i in scenario.issues]
    fig = go.Figure()
    for m_i, (model, per_issue) in enumerate(quantiles.items()):
        ys, q1, med, q3, lo, hi = [], [], [], [], [], []
        for iid in issue_ids:
            qs = per_issue.get(iid)
            if not qs:
                continue
            vals = {
                _qkey(k): float(v)
                for k, v in qs.items()
                if v is not None and str(k).lower().startswith(("q", "p"))
            }
            if not vals:
                continue
            ordered = sorted(vals)
            ys.append(esc(issue_by_id[iid].name))
            lo.append(vals[ordered[0]])
            hi.append(vals[ordered[-1]])
            med.append(vals.get(0.5, vals[ordered[len(ordered) // 2]]))
            q1.append(vals.get(0.25, vals[ordered[max(len(ordered) // 2 - 1, 0)]]))
            q3.append(vals.get(0.75, vals[ordered[min(len(ordered) // 2 + 1, len(ordered) - 1)]]))
        fig.add_trace(
            go.Box(
                y=ys,
                q1=q1,
                median=med,
                q3=q3,
                lowerfence=lo,
                upperfence=hi,
                orientation="h",
                name=model,
                marker_color=_colour(m_i),
            )
        )
    fig.update_layout(boxmode="group")
    return _base_layout(
        fig,
        height=140 + 60 * len(issue_ids),
        title="Forecast outcome distributions (box: quartiles, whiskers: outer quantiles)",
    )


def _qkey(k: Any) -> float:
    s = str(k).strip().lower().lstrip("pq").rstrip("%")
    try:
        v = float(s)
    except ValueError:
        return 0.5
    return v / 100.0 if v > 1 else v


def timeline_figure(timeline: Mapping[str, Any]) -> go.Figure:
    """A negotiation in time (a ``TimelineResult.to_dict()``): whether a deal is feasible
    (or P(deal) when computed) and the probability of escalation since the start, on a
    time axis with the events marked and the windows of opportunity shaded."""
    points = list(timeline.get("points") or [])
    dates = [p["date"] for p in points]
    fig = go.Figure()
    for w in timeline.get("windows") or []:
        fig.add_vrect(
            x0=w["opens"],
            x1=w["closes"] or timeline.get("end"),
            fillcolor="#2ca02c",
            opacity=0.12,
            line_width=0,
        )
    if any(p.get("p_deal") for p in points):
        y = [None if p.get("p_deal") is None else p["p_deal"]["estimate"] for p in points]
        name = "P(deal)"
    else:
        y = [1.0 if p["deal_possible"] else 0.0 for p in points]
        name = "deal feasible (1) or not (0)"
    fig.add_trace(
        go.Scatter(
            x=dates, y=y, name=name, mode="lines+markers", line={"shape": "hv", "color": "#1f77b4"}
        )
    )
    esc_y = [(p.get("escalation") or {}).get("p_since_start") for p in points]
    if any(v is not None for v in esc_y):
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=esc_y,
                name="P(escalation) since the start",
                mode="lines",
                line={"color": "#d62728"},
            )
        )
    events = [p for p in points if p.get("events")]
    fig.add_trace(
        go.Scatter(
            x=[p["date"] for p in events],
            y=[1.04] * len(events),
            mode="markers",
            marker={"symbol": "triangle-down", "size": 9, "color": "#555"},
            name="events",
            text=[esc("; ".join(p["events"])) for p in events],
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    fig = _base_layout(
        fig,
        height=380,
        title="Over time: a deal feasible?, escalation, events (green: windows of opportunity)",
    )
    fig.update_layout(margin={"l": 60, "b": 70}, legend={"y": -0.12})
    fig.update_yaxes(range=[-0.02, 1.1], tickformat=".0%", showgrid=True, gridcolor="#e5e5e5")
    return fig
