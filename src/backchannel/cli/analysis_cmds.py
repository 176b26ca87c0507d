"""Analysis commands: ``analyze``, ``what-it-takes`` and ``evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
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
    emit_json,
    load,
    output_format,
    status,
)

if TYPE_CHECKING:
    from backchannel.analysis import Concessions
    from backchannel.analysis.verdict import Analysis
    from backchannel.scenario.schema import Scenario

MAX_ACTOR_COLUMNS = 4  # more deciders: show who sets each end of the ZOPA instead


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def _zopa_table(sc: Scenario, res: Analysis) -> Table:
    zt = Table(title="Zone of possible agreement per issue (red lines of the deciders)")
    zt.add_column("issue")
    zt.add_column("status quo", justify="right")
    deciders = list(next(iter(res.zopa.values()))["acceptable"])
    per_actor = len(deciders) <= MAX_ACTOR_COLUMNS
    for a in deciders if per_actor else ("highest floor", "lowest ceiling"):
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
    return zt


def _print_analysis(sc: Scenario, res: Analysis) -> None:
    style = {"own_terms": "bold green", "mediated": "bold yellow"}.get(
        res.verdict_class, "bold red"
    )
    body = escape("\n".join(f"• {r}" for r in res.reasons))
    console.print(Panel(body, title=f"[{style}]{escape(res.verdict)}[/]", subtitle=sc.name))
    console.print(f"Margin: {escape(res.margin['words'])} [dim]({res.margin['certificate']})[/]")
    pk = res.package
    if pk["point"] is not None:
        shown = ", ".join(f"{sc.issue(i).name} {pk['point'][i]:.4g}" for i in pk["agenda"] or [])
        deferred = ", ".join(sc.issue(i).name for i in pk["deferred"] or [])
        console.print(
            escape(f"Best package: {shown or 'nothing settled'}")
            + (escape(f"; defers {deferred}") if deferred else "")
        )
    console.print(_zopa_table(sc, res))
    if res.blocking_sets:
        bt = Table(title="What must give way (minimal blocking sets, fewest constraints first)")
        bt.add_column("#", justify="right")
        bt.add_column("constraints to relax together")
        for i, s in enumerate(res.blocking_sets, 1):
            bt.add_row(str(i), escape("; ".join(c["text"] for c in s["constraints"])))
        console.print(bt)
    bodies = [(p, b) for p, info in res.two_level.items() for b in info["bodies"]]
    if bodies:
        vt = Table(title="Ratifying bodies")
        for col in ("party", "body", "rule", "support", "votes short", "passes"):
            vt.add_column(col)
        for p, b in bodies:
            vt.add_row(
                p,
                escape(b["name"]),
                escape(b["rule"]),
                "-" if b["support"] is None else f"{b['support']:.1%}",
                _fmt(b["votes_short"]),
                "yes" if b["passes"] else "no",
            )
        console.print(vt)
    if res.mediators:
        mt = Table(title="Mediators")
        for col in ("name", "role", "can open ZOPA", "why"):
            mt.add_column(col)
        for m in res.mediators:
            mt.add_row(escape(m.name), m.role, "yes" if m.can_open_zopa else "no", escape(m.reason))
        console.print(mt)
    if res.third_parties:
        tt = Table(title="Third parties")
        for col in ("name", "effect", "what it does"):
            tt.add_column(col)
        for t in res.third_parties:
            tt.add_row(escape(t.name), t.effect, escape(t.reason))
        console.print(tt)
    if res.robustness:
        rt = Table(title="Where the verdict flips (one input at a time, most fragile first)")
        for col in ("input", "now", "flips at", "relative", "in your range"):
            rt.add_column(col)
        for f in [f for f in res.robustness if f.flips_at is not None][:10]:
            rt.add_row(
                f.input,
                f"{f.value:g}",
                f"{f.flips_at:.5g}",
                "-" if f.relative is None else f"{f.relative:.1%}",
                "[bold red]yes[/]" if f.within_range else "no",
            )
        console.print(rt)
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


RobustOpt = Annotated[
    bool,
    typer.Option(
        "--robustness",
        help="Also find, for each input, the value at which the verdict flips (slower).",
    ),
]


@app.command()
def analyze(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    set_: SetOpt = None,
    robustness: RobustOpt = False,
) -> None:
    """Can a deal happen? Verdict with its margin, conflicts, blockers, mediators, risk
    (CSV tables: zopa, blocking, mediators, ...)."""
    from backchannel import api

    sc = load(scenario, set_)
    with status("analysing"):
        res = api.analyze(sc, robustness=robustness)
    emit(res, output_format(fmt, json), table, lambda: _print_analysis(sc, res))


@app.command("what-it-takes")
def what_it_takes(
    scenario: ScenarioArg = None,
    json: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    set_: SetOpt = None,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="cost: least total cost; count: fewest concessions; fair: least cost to "
            "the worst-off conceding actor.",
        ),
    ] = "cost",
    mover: Annotated[
        list[str] | None,
        typer.Option("--mover", help="Only these actors may concede (repeatable)."),
    ] = None,
    settle: Annotated[
        list[str] | None,
        typer.Option("--settle", help="The deal must settle this issue (repeatable)."),
    ] = None,
    alternatives: Annotated[
        int,
        typer.Option("--alternatives", min=0, max=10, help="Also show N different solutions."),
    ] = 0,
) -> None:
    """The concessions that would make a deal feasible, by whom and at what cost
    (CSV tables: concessions, by_actor, point)."""
    from backchannel import api

    sc = load(scenario, set_)
    with status("finding the cheapest concessions"):
        res = api.what_it_takes(
            sc,
            objective=objective,  # type: ignore[arg-type]
            movers=mover,
            settle=settle,
            alternatives=alternatives,
        )
    emit(res, output_format(fmt, json), table, lambda: _print_concessions(res))


def _print_concessions(res: Concessions) -> None:
    if res.feasible_already:
        console.print("[green]A deal is already feasible: no concession is needed.[/]")
        return
    for n, r in enumerate([res, *res.alternatives]):
        label = "What it would take" if n == 0 else f"Alternative {n}"
        t = Table(title=f"{label} (objective: {res.objective}; costs in each actor's utility)")
        for col in ("actor", "kind", "cost", "what"):
            t.add_column(col)
        for c in r.concessions:
            t.add_row(c.actor, c.kind, f"{c.cost:.3f}", escape(c.detail))
        console.print(t)
        point = ", ".join(f"{k} {v:.4g}" for k, v in r.point.items())
        console.print(f"Settles: {', '.join(r.agenda) or 'nothing'}; agreement point: {point}")
        console.print("Cost by actor: " + ", ".join(f"{a} {c:.3f}" for a, c in r.by_actor.items()))


def _proposal(sc: Scenario, path: Path | None, points: list[str] | None) -> dict[str, Any]:
    import yaml

    from backchannel.scenario.errors import InputError
    from backchannel.scenario.load import read_text

    raw: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(read_text(path))
        except yaml.YAMLError as exc:
            raise InputError(
                f"not valid YAML: {exc}", source=str(path), fix="write `issue: value` lines"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("package"), dict):
            data = data["package"]
        if not isinstance(data, dict):
            raise InputError(
                "a proposal is a mapping of issue ids to values",
                source=str(path),
                fix="write `nuclear: 45` lines (or under `package:`)",
            )
        raw.update(data)
    for text in points or []:
        key, sep, value = text.partition("=")
        if not sep:
            raise InputError(
                f"expected ISSUE=VALUE, got {text!r}",
                source="--set-point",
                fix="e.g. --set-point nuclear=45, --set-point oil=[40,60] or regional=defer",
            )
        raw[key.strip()] = yaml.safe_load(value) if value.strip() else value
    if not raw:
        raise InputError(
            "no proposal given",
            source="evaluate",
            fix="give --proposal FILE or one --set-point ISSUE=VALUE per settled issue",
        )
    return raw


@app.command()
def evaluate(
    scenario: ScenarioArg = None,
    proposal: Annotated[
        Path | None,
        typer.Option("--proposal", help="YAML file: issue: value | [low, high] | defer."),
    ] = None,
    set_point: Annotated[
        list[str] | None,
        typer.Option("--set-point", help="ISSUE=VALUE of the plan (repeatable)."),
    ] = None,
    json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Put a concrete plan to the vote: who accepts it, which bodies ratify it, by how much."""
    from backchannel import api

    sc = load(scenario, set_)
    source = str(proposal) if proposal else "--set-point"
    package = _proposal(sc, proposal, set_point)
    with status("putting the plan to the vote"):
        res = api.evaluate(sc, package, source=source)
    if json:
        emit_json(res.to_dict())
        return
    style = "bold green" if res.ratified else "bold red"
    head = "Ratified" if res.ratified else "Not ratified"
    margin = "" if res.margin is None else f" (margin {res.margin:+.3f} utility)"
    console.print(Panel(escape(str(res.package)), title=f"[{style}]{head}{margin}[/]"))
    t = Table(title="Each decider")
    for col in ("actor", "accepts", "surplus", "would have to move"):
        t.add_column(col)
    for a in res.actors:
        moves = "; ".join(
            f"{m['constraint']['text']}: {m['move']:.4g} {m['unit']}"
            if "move" in m
            else m["constraint"]["text"]
            for m in a["must_move"]
        )
        t.add_row(
            a["actor"],
            "yes" if a["accepts"] else "[red]no[/]",
            _fmt(None if a["surplus"] is None else round(a["surplus"], 4)),
            escape(moves) or "-",
        )
    console.print(t)
    if res.bodies:
        bt = Table(title="Ratifying bodies")
        for col in ("party", "body", "rule", "support", "passes"):
            bt.add_column(col)
        for b in res.bodies:
            bt.add_row(
                b["party"],
                escape(b["body"]),
                escape(b["rule"]),
                f"{b['support']:.1%}",
                "yes" if b["passes"] else "[red]no[/]",
            )
        console.print(bt)
