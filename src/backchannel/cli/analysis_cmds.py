"""Analysis commands: ``analyze`` and ``what-it-takes``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from backchannel.cli.common import (
    FormatOpt,
    JsonOpt,
    ScenarioArg,
    SetOpt,
    TableOpt,
    app,
    console,
    emit,
    load,
    output_format,
)

if TYPE_CHECKING:
    from backchannel.analysis import Analysis, Concessions
    from backchannel.scenario.schema import Scenario

MAX_ACTOR_COLUMNS = 4  # more veto players: show who sets each end of the ZOPA instead


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def _print_analysis(sc: Scenario, res: Analysis) -> None:
    style = "bold green" if res.deal_possible else "bold red"
    body = escape("\n".join(f"• {r}" for r in res.reasons))
    console.print(Panel(body, title=f"[{style}]{res.verdict}[/]", subtitle=sc.name))
    zt = Table(title="Zone of possible agreement per issue (red lines of the veto players)")
    zt.add_column("issue")
    zt.add_column("status quo", justify="right")
    vetoes = list(next(iter(res.zopa.values()))["acceptable"])
    per_actor = len(vetoes) <= MAX_ACTOR_COLUMNS
    for a in vetoes if per_actor else ("highest floor", "lowest ceiling"):
        zt.add_column(a, justify="center")
    zt.add_column("ZOPA", justify="center")
    for iid, z in res.zopa.items():
        issue = sc.issue(iid)
        sq = issue.status_quo.value if issue.status_quo else None
        acc = z["acceptable"]
        if per_actor:
            cells = [f"{lo:g}–{hi:g}" for lo, hi in acc.values()]
        else:  # who sets each end of the intersection
            floor = max(acc, key=lambda a: acc[a][0])
            ceiling = min(acc, key=lambda a: acc[a][1])
            lo, hi = acc[floor][0], acc[ceiling][1]
            cells = [
                f"{lo:g}" if lo <= issue.scale.min else f"{lo:g} ({floor})",
                f"{hi:g}" if hi >= issue.scale.max else f"{hi:g} ({ceiling})",
            ]
        zopa = "[red]empty[/]" if z["empty"] else f"[green]{z['low']:g}–{z['high']:g}[/]"
        zt.add_row(escape(issue.name), _fmt(sq), *cells, zopa)
    console.print(zt)
    if res.blocking:
        bt = Table(title="What blocks a deal (ranked)")
        for col in ("actor", "issue", "kind", "score"):
            bt.add_column(col)
        for b in res.blocking[:12]:
            bt.add_row(b.actor, b.issue or "-", b.kind, f"{b.score:.3f}")
        console.print(bt)
    if res.mediators:
        mt = Table(title="Mediators and third parties")
        for col in ("name", "role", "can open ZOPA", "why"):
            mt.add_column(col)
        for m in res.mediators:
            mt.add_row(escape(m.name), m.role, "yes" if m.can_open_zopa else "no", escape(m.reason))
        console.print(mt)
    r = res.ripeness
    console.print(
        f"Ripeness: mutually hurting stalemate [bold]{r['mutually_hurting_stalemate']}[/], "
        f"way out [bold]{r['way_out']}[/], ripe [bold]{r['ripe']}[/]"
        + (
            ""
            if r["months_until_feasible"] is None or res.deal_possible
            else f"; if no-deal values keep their trends, a deal opens in "
            f"{r['months_until_feasible']} month(s)"
        )
    )
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")


@app.command()
def analyze(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    set_: SetOpt = None,
) -> None:
    """Can a deal happen? ZOPA per issue and package, blockers, mediators, risk
    (CSV tables: zopa, blocking, mediators, two_level)."""
    from backchannel import api

    sc = load(scenario, set_)
    res = api.analyze(sc)
    emit(res, output_format(fmt, json), table, lambda: _print_analysis(sc, res))


@app.command("what-it-takes")
def what_it_takes(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    set_: SetOpt = None,
) -> None:
    """The cheapest concessions that would make a deal feasible, by whom and at what cost
    (CSV tables: concessions, by_actor, point)."""
    from backchannel import api

    res = api.what_it_takes(load(scenario, set_))
    emit(res, output_format(fmt, json), table, lambda: _print_concessions(res))


def _print_concessions(res: Concessions) -> None:
    if res.feasible_already:
        console.print("[green]A deal is already feasible: no concession is needed.[/]")
        return
    t = Table(title=f"What it would take (total cost {res.total_cost:.3f} utility)")
    for col in ("actor", "kind", "cost", "what"):
        t.add_column(col)
    for c in res.concessions:
        t.add_row(c.actor, c.kind, f"{c.cost:.3f}", escape(c.detail))
    console.print(t)
    point = ", ".join(f"{k} {v:.0f}" for k, v in res.point.items())
    console.print(f"Agenda: {', '.join(res.agenda)}; agreement point: {point}")
    console.print("Cost by actor: " + ", ".join(f"{a} {c:.3f}" for a, c in res.by_actor.items()))
