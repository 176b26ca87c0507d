"""The case library: ``cases`` lists the coded historical negotiations; the terminal view of
``backtest cases`` (the command itself lives with the other backtests)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from backchannel.cli.common import (
    Format,
    FormatOpt,
    JsonOpt,
    app,
    console,
    emit_json,
    emit_rows,
    output_format,
)

RESULTS = {
    "agreement": "agreement",
    "interim_agreement": "interim agreement",
    "no_agreement": "no agreement",
    "failed_ratification": "failed ratification",
}


@app.command()
def cases(json_out: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """List the coded historical negotiations shipped with backchannel (load one by its
    name wherever a scenario is asked for, e.g. `backchannel analyze dayton_1995`)."""
    from backchannel.scenario.load import case_names, load_case

    shape = output_format(fmt, json_out)
    rows: list[dict[str, Any]] = []
    for name in case_names():
        sc = load_case(name)
        info, out = sc.case, sc.outcome
        rows.append(
            {
                "name": name,
                "title": sc.name,
                "field": info.field if info else None,
                "years": info.years if info else None,
                "perspective": info.perspective if info else None,
                "deal": out.deal if out else None,
                "result": out.result if out else None,
                "outcome_date": out.date if out else None,
            }
        )
    if shape == Format.json:
        emit_json({"cases": rows})
        return
    emit_rows(rows, shape, lambda: _print_cases(rows))


def _print_cases(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"Coded historical negotiations ({len(rows)})")
    table.add_column("name", no_wrap=True)
    for col in ("field", "years", "outcome", "title"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"], r["field"] or "", r["years"] or "", RESULTS.get(r["result"], ""), r["title"]
        )
    console.print(table)


def _ci(v: dict[str, Any]) -> str:
    lo, hi = v["ci95"]
    est = v["estimate"]
    if est is None:
        return "n/a"
    return f"{est:.3f}" if lo is None else f"{est:.3f} [{lo:.2f}, {hi:.2f}]"


def print_case_backtest(d: dict[str, Any]) -> None:
    """The verdict backtest in the terminal: per case, the scores against the baselines,
    per field, and the misses with the engine's reasons."""
    per = Table(title=f"Verdicts on {d['n']} cases ({d['deals']} deals), {d['draws']} draws each")
    per.add_column("case", no_wrap=True)
    for col in ("field", "history", "verdict", "P(deal)", "rule", "ok"):
        per.add_column(col, justify="right" if col == "P(deal)" else "left")
    for c in d["cases"]:
        per.add_row(
            c["name"],
            c["field"],
            RESULTS.get(c["outcome"]["result"], ""),
            c["verdict_class"],
            f"{c['p_deal']:.2f}",
            "deal" if c["baselines"]["red_line_rule"]["deal"] else "no deal",
            "[green]yes[/]" if c["correct"] else "[red]no[/]",
        )
    console.print(per)
    from backchannel.validation.cases import FORECASTER_NAMES as names

    tab = Table(title="Scores with 95% bootstrap intervals")
    for col in ("forecaster", "accuracy", "balanced accuracy", "Brier", "log loss"):
        tab.add_column(col)
    rows = {"engine": d, "engine_recalibrated": d["recalibrated"], **d["baselines"]}
    for k, v in rows.items():
        tab.add_row(
            names.get(k, k),
            _ci(v["accuracy"]),
            _ci(v["balanced_accuracy"]),
            _ci(v["brier"]),
            _ci(v["log_loss"]),
        )
    console.print(tab)
    fields = Table(title="By field")
    for col in ("field", "cases", "deals", "accuracy", "Brier"):
        fields.add_column(col)
    for f, v in d["fields"].items():
        fields.add_row(f, str(v["n"]), str(v["deals"]), f"{v['accuracy']:.2f}", f"{v['brier']:.3f}")
    console.print(fields)
    b, m = d["blockers"], d["mediators"]
    console.print(
        f"Blockers, on the {b['cases']} no-deal cases the engine called: historical blocking "
        f"actors named {b['actor_recall']['found']}/{b['actor_recall']['of']}, issues "
        f"{b['issue_recall']['found']}/{b['issue_recall']['of']}; of the engine's blockers "
        f"{b['actor_precision']['found']}/{b['actor_precision']['of']} actors and "
        f"{b['issue_precision']['found']}/{b['issue_precision']['of']} issues were "
        f"historical. Mediator roles matching history: {m['matched']}/{m['scored']}."
    )
    for miss in d["misses"]:
        outcome = "deal" if miss["deal"] else "no deal"
        console.print(
            f"[bold red]miss[/] {miss['name']} (history: {outcome}; verdict "
            f"{miss['verdict_class']}, P(deal) {miss['p_deal']:.2f}): {miss['reason']}"
        )
