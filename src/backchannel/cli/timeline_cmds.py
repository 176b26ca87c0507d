"""Time commands: ``timeline`` (the verdict at every date, windows of opportunity) and
``stages`` (interim agreements that make a final one feasible)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from backchannel.cli.common import JsonOpt, ScenarioArg, SetOpt, app, console, emit_json, load

if TYPE_CHECKING:
    from backchannel.dynamics.stages import StagesResult
    from backchannel.dynamics.timeline import TimelineResult


def _num(x: float) -> str:
    return f"{x + 0.0:+.3f}" if abs(x) >= 5e-4 else "0.000"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _print_timeline(res: TimelineResult) -> None:
    """Rows at the start, the end, every event and every change of the verdict or the
    margin between them (every date is in ``--json``)."""
    t = Table(title=f"{res.scenario}: {res.start} to {res.end} (scenario as of {res.as_of})")
    t.add_column("date", no_wrap=True)
    t.add_column("event", ratio=1)
    t.add_column("deal", no_wrap=True)
    t.add_column("margin", justify="right", no_wrap=True)
    p_deal = any(p.p_deal is not None for p in res.points)
    if p_deal:
        t.add_column("P(deal)", justify="right", no_wrap=True)
    t.add_column("escalation /month", justify="right")
    t.add_column("P(esc.) since start", justify="right")
    words = {"own_terms": "[green]yes[/]", "mediated": "[yellow]mediated[/]", "none": "[red]no[/]"}
    prev = None
    for n, p in enumerate(res.points):
        d = p.to_dict()
        shown = (d["verdict_class"], d["margin"])
        if not p.events and shown == prev and 0 < n < len(res.points) - 1:
            continue
        prev = shown
        esc = d["escalation"]
        row = [
            d["date"],
            escape("; ".join(p.events) or ("(trend)" if "trend" in p.kinds else "")),
            words.get(d["verdict_class"], "razor-thin"),
            "-" if d["margin"] is None else f"{d['margin']:+.3f}",
        ]
        if p_deal:
            row.append("-" if d["p_deal"] is None else f"{d['p_deal']['estimate']:.0%}")
        row += [
            "-" if esc is None else f"{esc['hazard_per_month']:.3f}",
            "-" if esc is None else _pct(esc["p_since_start"]),
        ]
        t.add_row(*row)
    console.print(t)
    if not res.windows:
        console.print(
            f"[bold red]No window of opportunity[/] between {res.start} and {res.end}: no "
            "deal was feasible on the parties' own terms at any date."
        )
    for w in res.windows:
        head = f"[bold green]Window[/] {w.opens} ({escape(', '.join(w.opened_by))})"
        if w.closes is None:
            console.print(head + " - still open at the end")
            continue
        console.print(head + f" to {w.closes}, closed by {escape(', '.join(w.closed_by))}")
        for c in w.binding:
            console.print(f"  became binding: {escape(c['text'])}")
        for conflict in w.conflicts:
            console.print(f"  conflict: {escape(conflict)}")
    blocks: str | None = None
    for p in res.points:  # the first conflict, each time it changes
        conflicts = p.analysis.conflicts
        now = str(conflicts[0]["text"]) if conflicts and not p.deal_possible else None
        if now is not None and now != blocks:
            console.print(f"What blocks from {p.date}: {escape(now)}")
        blocks = now
    for note in res.notes:
        console.print(f"[dim]note: {escape(note)}[/]")


@app.command()
def timeline(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    set_: SetOpt = None,
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            "-n",
            help="Monte Carlo draws of the inputs' ranges per date for P(deal) (0: none).",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
) -> None:
    """The verdict, zone, blockers, P(deal), escalation and ripeness at every event date
    and between them; windows of opportunity and what closed them."""
    from backchannel import api

    res = api.timeline(load(scenario, set_), draws=draws, seed=seed)
    if json:
        emit_json(res.to_dict())
    else:
        _print_timeline(res)


def _print_stages(res: StagesResult) -> None:
    style = "bold green" if res.helps or res.now["deal_possible"] else "bold red"
    body = "\n".join([res.verdict, *(f"• {w}" for w in res.why)])
    title = "An interim agreement helps" if res.helps else "Staged agreements"
    console.print(Panel(escape(body), title=f"[{style}]{title}[/]", subtitle=res.scenario))
    now = res.now
    console.print(
        f"One stage now: {'deal' if now['deal_possible'] else 'no deal'}"
        + ("" if now["margin"] is None else f" (margin {now['margin']:+.3f})")
    )
    if res.after_waiting is not None:
        w = res.after_waiting
        console.print(
            f"One stage after waiting {w['months']:g} months: "
            f"{'deal' if w['deal_possible'] else 'no deal'}"
            + ("" if w["margin"] is None else f" (margin {w['margin']:+.3f})")
        )
    for n, p in enumerate(res.paths, 1):
        label = f"Path {n}" if p.status == "deal" else "Best attempt"
        t = Table(title=f"{label}: {p.status}, worst-off ratifier's margin {_num(p.margin)}")
        for col in ("stage", "settles", "margin", "surpluses"):
            t.add_column(col)
        for name, st in (("interim", p.interim), ("final", p.final)):
            t.add_row(
                name,
                escape(", ".join(f"{i} {v:.4g}" for i, v in st.point.items())),
                _num(st.margin),
                escape(", ".join(f"{a} {_num(s)}" for a, s in st.surplus.items() if s is not None)),
            )
        console.print(t)
        sq = ", ".join(f"{i} {v:.4g}" for i, v in p.status_quo_after.items())
        console.print(f"  status quo after the interim agreement: {escape(sq)}")
    if res.paths:
        console.print(f"[dim]{escape(res.certificate)}[/]")


@app.command()
def stages(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    set_: SetOpt = None,
    alternatives: Annotated[
        int, typer.Option("--alternatives", help="Interim agendas to show at most (1-10).")
    ] = 3,
) -> None:
    """Interim agreements ("less for less") that make a comprehensive one feasible at the
    next stage, ranked by the worst-off ratifier's surplus; or why no sequence helps."""
    from backchannel import api

    res = api.stages(load(scenario, set_), alternatives=alternatives)
    if json:
        emit_json(res.to_dict())
    else:
        _print_stages(res)
