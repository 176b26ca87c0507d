"""What a coded historical case adds to a scenario: how it was coded, and what happened.

The ``outcome`` is kept apart from the inputs: the engine never reads it; only the verdict
backtest (``backchannel backtest cases``) compares the engine's verdict with it.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from backchannel.scenario.base import Identifier, _Strict

CaseField = Literal["nuclear", "peace", "territorial", "trade", "climate", "treaty", "eu", "other"]
FIELDS: tuple[str, ...] = get_args(CaseField)


class Revision(_Strict):
    """One change to a coded input after the case was first coded, and why."""

    date: str
    change: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class CaseInfo(_Strict):
    """How and when a case was coded."""

    field: CaseField
    years: str = Field(min_length=1, description="e.g. '2013' or '2013-2015'")
    coded: str = Field(description="date the inputs were coded (YYYY-MM-DD)")
    coder: str | None = None
    perspective: str | None = Field(
        default=None, description="the date an analyst coding the inputs is placed at"
    )
    history: list[Revision] = Field(default_factory=list)
    note: str | None = None


class Outcome(_Strict):
    """What happened: kept separate from the inputs."""

    date: str
    deal: bool = Field(description="an agreement was reached (and ratified where it had to be)")
    result: Literal["agreement", "no_agreement", "failed_ratification", "interim_agreement"]
    settled: list[Identifier] = Field(default_factory=list)
    deferred: list[Identifier] = Field(default_factory=list)
    blocked_by: list[Identifier] = Field(default_factory=list)
    blocking_issues: list[Identifier] = Field(default_factory=list)
    mediator_roles: dict[Identifier, Literal["communicator", "formulator", "manipulator"]] = Field(
        default_factory=dict
    )
    summary: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
