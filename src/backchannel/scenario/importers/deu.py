"""Importer for DEU issue tables (EU legislative negotiations) -> :class:`Scenario`.

Source format: the DEU III table (Arregui & Perarnaud 2021, doi:10.34810/data53, CC BY 4.0;
Thomson et al. 2012), read by :func:`backchannel.data.deu.parse_deu` (the same loader
the backtest uses, with its repairs). One DEU file holds many negotiations, so the import
selects one issue (``issue=``) or every issue of one proposal (``proposal=``).

Where each scenario field comes from (also written into the scenario's ``sources``):

* actors: the Commission (``com``), the Parliament (``ep``) and the member states with a
  position (``p<actor>`` column) on at least one selected issue;
* position: ``p<actor>`` (0-100); salience: ``s<actor>`` (0-100; blank next to a position
  is read as 0, as in the backtest);
* capability: the actor's Shapley-Shubik index in the legislative game of the issue's
  treaty period, Council voting rule and procedure
  (:func:`backchannel.data.capability.capabilities`, sources in
  :mod:`backchannel.data.council`);
* issue scale 0-100 with the anchors 0 and 100 (the DEU scale ends; their verbal meanings are
  in the DEU codebook, not in the table); ``status_quo`` = the reference point ``rp``;
  the recorded outcome ``out`` goes into the issue's note only (models never see it).

Vetoes (docs/decisions.md): under unanimity every member state with a position on
every selected issue is a veto player (``veto: true``) whose no-deal value is the status quo
(``no_deal`` from ``rp``); under qualified majority no single state can block, so every actor
has ``veto: false`` (forecast-only). The Commission and the Parliament never get
``veto: true`` (the schema has no institution kind; they are imported as ``kind: state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backchannel.data.capability import capabilities, issue_periods
from backchannel.data.deu import REQUIRED_COLUMNS, DeuData, parse_deu
from backchannel.scenario.importers.common import build_scenario, fail, make_id, source_label
from backchannel.scenario.schema import Scenario

FORMAT = "deu"
CITATION = "DEU III (Arregui & Perarnaud 2021, doi:10.34810/data53, CC BY 4.0)"
ACTOR_NAMES = {
    "com": "European Commission",
    "ep": "European Parliament",
    "at": "Austria",
    "be": "Belgium",
    "bu": "Bulgaria",
    "cr": "Croatia",
    "cy": "Cyprus",
    "cz": "Czechia",
    "dk": "Denmark",
    "ee": "Estonia",
    "fi": "Finland",
    "fr": "France",
    "de": "Germany",
    "el": "Greece",
    "hu": "Hungary",
    "ie": "Ireland",
    "it": "Italy",
    "lv": "Latvia",
    "lt": "Lithuania",
    "lu": "Luxembourg",
    "mt": "Malta",
    "nl": "Netherlands",
    "pl": "Poland",
    "pt": "Portugal",
    "ro": "Romania",
    "si": "Slovenia",
    "sk": "Slovakia",
    "es": "Spain",
    "se": "Sweden",
    "uk": "United Kingdom",
}
INSTITUTIONS = ("com", "ep")


def looks_like_deu(text: str) -> bool:
    """True when the first non-blank line is a DEU header (it names every column the DEU
    loader needs: prnr, isnr, proc, counvte, intro, rp, out)."""
    for line in text.splitlines():
        if line.strip():
            cells = {c.strip().strip('"').lower() for c in line.replace("\t", ",").split(",")}
            return all(c in cells for c in REQUIRED_COLUMNS)
    return False


def _listing(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def select_issues(
    data: DeuData, source: str, issue: str | None, proposal: str | None
) -> np.ndarray:
    """Indices of the selected issues; errors name the valid ids."""
    proposals = list(dict.fromkeys(data.proposal))
    if (issue is None) == (proposal is None):
        raise fail(
            f"a DEU file holds {data.n_issues} issues of {len(proposals)} proposals; "
            + (
                "choose one issue or one proposal"
                if issue is None
                else "give --issue or --proposal, not both"
            ),
            source,
            "--issue/--proposal",
            f"pass --issue ISSUE_ID or --proposal PRNR; proposals: {_listing(proposals)}",
        )
    if issue is not None:
        if issue not in data.issue_ids:
            raise fail(
                f"no issue {issue!r} in this DEU file",
                source,
                "--issue",
                f"use one of the {data.n_issues} issue ids: {_listing(data.issue_ids)}",
            )
        return np.array([data.issue_ids.index(issue)])
    if proposal not in proposals:
        raise fail(
            f"no proposal {proposal!r} in this DEU file",
            source,
            "--proposal",
            f"use one of the {len(proposals)} proposal ids: {_listing(proposals)}",
        )
    return np.flatnonzero(np.asarray(data.proposal) == proposal)


def _num(x: float) -> float:
    """Round a float for YAML (12 significant digits; exact integers stay exact)."""
    return float(f"{x:.12g}")


def parse_deu_scenario(
    text: str,
    source: str = "<text>",
    *,
    issue: str | None = None,
    proposal: str | None = None,
    name: str | None = None,
) -> Scenario:
    """One DEU issue (``issue``) or all issues of one proposal (``proposal``) as a scenario."""
    data = parse_deu(text, source)
    sel = select_issues(data, source, issue, proposal)
    mask = np.zeros(data.n_issues, dtype=bool)
    mask[sel] = True
    sub = data.subset(mask)
    has = sub.has_position()
    if not has.any():
        raise fail(
            "no actor has a position on the selected issue(s)",
            source,
            "--issue/--proposal",
            "choose an issue with positions",
        )
    cap = capabilities(sub)
    periods = issue_periods(sub)
    rules = set(sub.rule)
    if len(rules) != 1 or next(iter(rules)) not in ("QMV", "UNAN"):
        raise fail(
            f"the selected issues have the Council voting rule(s) {sorted(rules)}",
            source,
            "counvte",
            "import issues voted by QMV or unanimity one at a time",
        )
    unanimity = next(iter(rules)) == "UNAN"
    label = source_label(source)
    issue_ids = [
        make_id(i, kind="issue", source=source, where=f"issue {i!r}") for i in sub.issue_ids
    ]
    has_rp = bool(np.isfinite(sub.reference).all())

    issues: list[dict[str, Any]] = []
    for k, iid in enumerate(issue_ids):
        pname = sub.proposal_name[k] if sub.proposal_name else ""
        out = sub.outcome[k]
        rp = sub.reference[k]
        day = sub.intro[k]
        note = (
            f"DEU proposal {sub.proposal[k]} ({pname or 'no name'}), issue {sub.issue_ids[k]}; "
            f"procedure {sub.procedure[k]}, Council {sub.rule[k]}, introduced "
            f"{day.isoformat() if day is not None else 'unknown'}, treaty period "
            f"{periods[k].name}. Recorded outcome (out): "
            + (f"{_num(out):g}" if np.isfinite(out) else "none")
            + " (for comparison; not an input)."
        )
        entry: dict[str, Any] = {
            "id": iid,
            "name": f"{pname or sub.proposal[k]}: issue {sub.issue_ids[k]}",
            "scale": {"min": 0.0, "max": 100.0},
            "anchors": [
                {"value": 0.0, "label": "DEU scale end 0 (meaning in the DEU codebook)"},
                {"value": 100.0, "label": "DEU scale end 100 (meaning in the DEU codebook)"},
            ],
            "note": note,
        }
        if np.isfinite(rp):
            entry["status_quo"] = {"value": _num(rp), "note": "DEU reference point rp"}
        issues.append(entry)

    actors: list[dict[str, Any]] = []
    no_veto_states: list[str] = []
    for a_i, code in enumerate(sub.actors):
        if not has[a_i].any():
            continue
        ident = make_id(code, kind="actor", source=source, where=f"column p{code}")
        stances: dict[str, Any] = {}
        caps = [float(cap[a_i, k]) for k in range(sub.n_issues) if has[a_i, k]]
        same_cap = max(caps) - min(caps) <= 1e-12
        for k, iid in enumerate(issue_ids):
            if not has[a_i, k]:
                continue
            st: dict[str, Any] = {
                "position": _num(sub.position[a_i, k]),
                "salience": _num(sub.salience[a_i, k]),
            }
            if not same_cap:
                st["capability"] = _num(cap[a_i, k])
            stances[iid] = st
        institution = code in INSTITUTIONS
        entry = {
            "id": ident,
            "name": ACTOR_NAMES.get(code, code),
            "kind": "state",
            "capability": {
                "value": _num(max(caps)),
                "note": "Shapley-Shubik index in the issue's legislative game",
            },
            "positions": stances,
            "veto": False,
        }
        if institution:
            entry["note"] = "EU institution, imported as kind state without a veto"
        elif unanimity and has[a_i].all():
            entry["veto"] = True
            if has_rp:
                entry["no_deal"] = {"note": "the status quo: DEU reference point rp"}
        elif unanimity:
            no_veto_states.append(ident)
            entry["note"] = "no DEU position on every selected issue, so imported without a veto"
        actors.append(entry)

    if unanimity:
        veto_text = (
            "Council unanimity: every member state with a position on every selected issue is "
            "a veto player (veto: true)"
            + (
                ", with the status quo (rp) as its no-deal value."
                if has_rp
                else "; the reference point rp is missing on some issue, so no status quo or "
                "no-deal value is set there: add status_quo before a feasibility analysis."
            )
            + (
                f" Without a veto (positions missing): {', '.join(no_veto_states)}."
                if no_veto_states
                else ""
            )
            + " The Commission and the Parliament are imported without a veto."
        )
    else:
        veto_text = (
            "Forecast-only: the Council decides by qualified majority, so no single member "
            "state can block and every actor is imported without a veto (veto: false); the "
            "models can run as is, feasibility and mediation analyses need vetoes added."
        )
    scope = (
        f"issue {sub.issue_ids[0]}"
        if issue is not None
        else f"the {sub.n_issues} issue(s) of proposal {proposal}"
    )
    pname0 = sub.proposal_name[0] if sub.proposal_name else ""
    intro = next((d for d in sub.intro if d is not None), None)
    scenario: dict[str, Any] = {
        "name": name
        or f"DEU {sub.proposal[0]} {pname0}".strip()
        + (f" {sub.issue_ids[0]}" if issue is not None else ""),
        "description": f"Imported from {label} ({CITATION}): {scope}. {veto_text}",
        "issues": issues,
        "actors": actors,
        "sources": {
            "import": f"{label}, {CITATION}",
            "positions": "DEU p<actor> columns (0-100)",
            "salience": "DEU s<actor> columns (0-100); blank next to a position read as 0",
            "capability": "Shapley-Shubik index of the actor in the legislative game of the "
            "issue's treaty period, Council voting rule and procedure "
            "(backchannel.data.council / capability; "
            "docs/decisions.md)",
            "status_quo": "DEU reference point rp",
            "scale": "DEU issue scale 0-100; anchors are the scale ends",
            "veto": "Council voting rule counvte (unanimity: member states veto)",
        },
    }
    if intro is not None:
        scenario["date"] = intro.isoformat()
    return build_scenario(scenario, source)
