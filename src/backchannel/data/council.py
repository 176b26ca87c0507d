"""Council of the EU voting rules by treaty period, as facts with their sources.

Actor codes are those of the DEU files (``bu`` Bulgaria, ``cr`` Croatia, ``el`` Greece).

Periods (qualified-majority voting, QMV):

* ``EU15-Amsterdam`` (1995-01-01 to 2004-04-30): weighted votes, 62 of 87.
  Source: Treaty establishing the European Community (Amsterdam consolidation),
  Art. 205(2) TEC (ex Art. 148(2)), as amended by the 1994 Act of Accession (Art. 15).
* ``EU25-transition`` (2004-05-01 to 2004-10-31): the EU15 weights plus the new members,
  88 of 124. Source: 2003 Act of Accession, Art. 26 (OJ L 236, 23.9.2003).
* ``EU25-Nice`` (2004-11-01 to 2006-12-31): 232 of 321 votes and a majority of members.
  Source: Protocol on the enlargement of the EU annexed to the Treaty of Nice, Art. 3, as
  adapted by the 2003 Act of Accession, Art. 12 (Art. 205(2)-(4) TEC).
* ``EU27-Nice`` (2007-01-01 to 2013-06-30): 255 of 345 votes, majority of members. Source:
  2005 Act of Accession (Bulgaria, Romania), Art. 22 (OJ L 157, 21.6.2005).
* ``EU28-Nice`` (2013-07-01 to 2014-10-31): 260 of 352 votes, majority of members. Source:
  2012 Act of Accession (Croatia), Art. 20 (OJ L 112, 24.4.2012); Protocol No 36 on
  transitional provisions, Art. 3(3) (Lisbon).
* ``EU28-Lisbon`` (2014-11-01 to 2020-01-31): double majority, at least 55 % of members
  (at least 15 of them) representing at least 65 % of the population; a blocking minority
  needs at least four members, failing which the qualified majority is deemed attained.
  Source: Art. 16(4) TEU, Art. 238(3) TFEU. Population in thousands: the table's shares
  agree, to the rounding of the published percentages, with Annex III of the Council's Rules
  of Procedure for 2016 (Council Decision (EU, Euratom) 2015/2393, OJ L 332, 18.12.2015,
  p. 133; Eurostat population on 1 January 2015), except the Netherlands (3.32 % here,
  3.37 % in the press summary) and a total 0.2 million below the published 508.9 million;
  to be checked against the OJ (docs/decisions.md).
* ``EU27-Lisbon`` (from 2020-02-01, after the UK's withdrawal): same rule, Eurostat
  population on 1 January 2020 (thousands), Annex III of the Council's Rules of Procedure.

Simplifications (documented in docs/decisions.md): the Nice "62 % of the
population" verification (only on request) is left out; the 2014-2017 option to ask for a
Nice-weights vote is left out; one population table per Lisbon period (the Council updates it
every year; year-to-year changes move figures by well under 1 %).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

EU15 = ("at", "be", "dk", "fi", "fr", "de", "el", "ie", "it", "lu", "nl", "pt", "es", "se", "uk")
ACC2004 = ("cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "si", "sk")
ACC2007 = ("bu", "ro")
ACC2013 = ("cr",)

_AMSTERDAM = {
    "de": 10,
    "fr": 10,
    "it": 10,
    "uk": 10,
    "es": 8,
    "be": 5,
    "el": 5,
    "nl": 5,
    "pt": 5,
    "at": 4,
    "se": 4,
    "dk": 3,
    "ie": 3,
    "fi": 3,
    "lu": 2,
}
_TRANSITION_NEW = {
    "cz": 5,
    "ee": 3,
    "cy": 2,
    "lv": 3,
    "lt": 3,
    "hu": 5,
    "mt": 2,
    "pl": 8,
    "si": 3,
    "sk": 3,
}
_NICE = {
    "de": 29,
    "fr": 29,
    "it": 29,
    "uk": 29,
    "es": 27,
    "pl": 27,
    "ro": 14,
    "nl": 13,
    "be": 12,
    "cz": 12,
    "el": 12,
    "hu": 12,
    "pt": 12,
    "at": 10,
    "se": 10,
    "bu": 10,
    "dk": 7,
    "ie": 7,
    "lt": 7,
    "sk": 7,
    "fi": 7,
    "cr": 7,
    "cy": 4,
    "ee": 4,
    "lv": 4,
    "lu": 4,
    "si": 4,
    "mt": 3,
}
# Population (thousands), Council RoP Annex III as set for 2016 (Eurostat, 1 January 2015).
POPULATION_2015 = {
    "de": 81089.3,
    "fr": 66352.5,
    "uk": 64767.1,
    "it": 61438.5,
    "es": 46439.9,
    "pl": 38005.6,
    "ro": 19861.4,
    "nl": 16900.7,
    "be": 11258.4,
    "el": 10812.5,
    "cz": 10538.3,
    "pt": 10374.8,
    "hu": 9849.0,
    "se": 9747.4,
    "at": 8576.3,
    "bu": 7202.2,
    "dk": 5659.7,
    "fi": 5471.8,
    "sk": 5421.3,
    "ie": 4625.9,
    "cr": 4225.3,
    "lt": 2921.3,
    "si": 2062.9,
    "lv": 1986.1,
    "ee": 1313.3,
    "cy": 847.0,
    "lu": 562.9,
    "mt": 429.3,
}
# Eurostat population on 1 January 2020 (thousands), EU27 after the UK's withdrawal.
POPULATION_2020 = {
    "de": 83166.7,
    "fr": 67320.2,
    "it": 59641.5,
    "es": 47332.6,
    "pl": 37958.1,
    "ro": 19328.8,
    "nl": 17407.6,
    "be": 11522.4,
    "cz": 10693.9,
    "el": 10718.6,
    "pt": 10295.9,
    "se": 10327.6,
    "hu": 9769.5,
    "at": 8901.1,
    "bu": 6951.5,
    "dk": 5822.8,
    "fi": 5525.3,
    "sk": 5458.0,
    "ie": 4964.4,
    "cr": 4058.2,
    "lt": 2794.2,
    "si": 2095.9,
    "lv": 1907.7,
    "ee": 1329.0,
    "cy": 888.0,
    "lu": 626.1,
    "mt": 514.6,
}


@dataclass(frozen=True)
class Period:
    """One Council voting regime.

    ``kind``: ``weighted`` (``weights``, ``quota`` votes, ``min_members`` members) or
    ``double`` (``population`` in thousands; ``member_share``/``min_members`` and
    ``pop_share``; a blocking minority needs ``min_blocking`` members).
    """

    name: str
    start: dt.date
    end: dt.date
    kind: Literal["weighted", "double"]
    members: tuple[str, ...]
    source: str
    weights: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    quota: int = 0
    min_members: int = 0
    population: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    member_share: float = 0.0
    pop_share: float = 0.0
    min_blocking: int = 0
    regular: bool = True

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _w(members: Iterable[str], table: dict[str, int]) -> MappingProxyType[str, int]:
    return MappingProxyType({m: table[m] for m in members})


def _pop(members: Iterable[str], table: dict[str, float]) -> MappingProxyType[str, float]:
    return MappingProxyType({m: table[m] for m in members})


_M25 = EU15 + ACC2004
_M27 = _M25 + ACC2007
_M28 = _M27 + ACC2013
_M27B = tuple(m for m in _M28 if m != "uk")

PERIODS: tuple[Period, ...] = (
    Period(
        "EU15-Amsterdam",
        dt.date(1995, 1, 1),
        dt.date(2004, 4, 30),
        "weighted",
        EU15,
        "Art. 205(2) TEC (Amsterdam); 1994 Act of Accession Art. 15",
        weights=_w(EU15, _AMSTERDAM),
        quota=62,
    ),
    Period(
        "EU25-transition",
        dt.date(2004, 5, 1),
        dt.date(2004, 10, 31),
        "weighted",
        _M25,
        "2003 Act of Accession Art. 26",
        weights=_w(_M25, _AMSTERDAM | _TRANSITION_NEW),
        quota=88,
        regular=False,
    ),
    Period(
        "EU25-Nice",
        dt.date(2004, 11, 1),
        dt.date(2006, 12, 31),
        "weighted",
        _M25,
        "Art. 205 TEC (Nice); Nice enlargement protocol Art. 3; 2003 Act of Accession Art. 12",
        weights=_w(_M25, _NICE),
        quota=232,
        min_members=13,
    ),
    Period(
        "EU27-Nice",
        dt.date(2007, 1, 1),
        dt.date(2013, 6, 30),
        "weighted",
        _M27,
        "Art. 205 TEC (Nice) / Protocol 36 Art. 3 (Lisbon); 2005 Act of Accession Art. 22",
        weights=_w(_M27, _NICE),
        quota=255,
        min_members=14,
    ),
    Period(
        "EU28-Nice",
        dt.date(2013, 7, 1),
        dt.date(2014, 10, 31),
        "weighted",
        _M28,
        "Protocol 36 Art. 3(3) (Lisbon); 2012 Act of Accession Art. 20",
        weights=_w(_M28, _NICE),
        quota=260,
        min_members=15,
    ),
    Period(
        "EU28-Lisbon",
        dt.date(2014, 11, 1),
        dt.date(2020, 1, 31),
        "double",
        _M28,
        "Art. 16(4) TEU, Art. 238(3) TFEU; Eurostat population 1.1.2015 (Council RoP Annex III)",
        population=_pop(_M28, POPULATION_2015),
        member_share=0.55,
        min_members=15,
        pop_share=0.65,
        min_blocking=4,
    ),
    Period(
        "EU27-Lisbon",
        dt.date(2020, 2, 1),
        dt.date(2099, 12, 31),
        "double",
        _M27B,
        "Art. 16(4) TEU, Art. 238(3) TFEU; Eurostat population 1.1.2020 (Council RoP Annex III)",
        population=_pop(_M27B, POPULATION_2020),
        member_share=0.55,
        min_members=15,
        pop_share=0.65,
        min_blocking=4,
    ),
)


def period_at(day: dt.date) -> Period:
    """The period whose dates contain ``day`` (dates before 1995 fall back to EU15)."""
    for p in PERIODS:
        if p.contains(day):
            return p
    return PERIODS[0]


def period_for(day: dt.date | None, actors_with_position: Iterable[str]) -> Period:
    """The voting regime of an issue: the period of its introduction date, moved forward to
    the first regular period whose members include every member state with a position (a
    state that joined during the negotiation voted on the outcome). Without a date, the
    first regular period whose members include them all."""
    states = {a for a in actors_with_position if a not in ("com", "ep")}
    base = period_at(day) if day is not None else PERIODS[0]
    if states <= set(base.members):
        return base
    for p in PERIODS:
        if p.start >= base.start and p.regular and states <= set(p.members):
            return p
    return base
