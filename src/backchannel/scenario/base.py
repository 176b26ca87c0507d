"""Building blocks of the scenario schema: identifiers and numbers with sources and ranges.

Every numeric input is a :class:`Quantity`: a bare number, or a mapping with ``value``, an
optional ``note`` (its source) and optional uncertainty (``range`` or ``dist``) used by
Monte Carlo sweeps.
"""

from __future__ import annotations

import math
import numbers
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$",
        max_length=64,
        description="Short identifier: a letter, then letters, digits, '_', '-' or '.'.",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uncertainty(_Strict):
    """A distribution for a numeric input (used by ``backchannel sweep``).

    ``uniform`` needs ``low`` and ``high``; ``triangular`` needs ``low`` and ``high`` and
    takes the quantity's ``value`` as its mode; ``normal`` needs ``sd`` and is centred on
    ``value``. All are truncated to the quantity's admissible range.
    """

    dist: Literal["uniform", "triangular", "normal"]
    low: float | None = None
    high: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Uncertainty:
        if self.dist in ("uniform", "triangular"):
            if self.low is None or self.high is None:
                raise ValueError(f"a {self.dist} distribution needs both 'low' and 'high'")
            if not self.low <= self.high:
                raise ValueError(f"'low' ({self.low}) must not exceed 'high' ({self.high})")
        if self.dist == "normal" and self.sd is None:
            raise ValueError("a normal distribution needs 'sd' (its standard deviation)")
        for name in ("low", "high", "sd"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"'{name}' must be a finite number, not {v}")
        return self


class Quantity(_Strict):
    """A number with its source note and optional uncertainty.

    In YAML write either ``42`` or ``{value: 42, note: "source", range: [30, 50]}``;
    ``range: [a, b]`` is shorthand for ``dist: {dist: uniform, low: a, high: b}``.
    """

    value: float
    note: str | None = None
    dist: Uncertainty | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number, got a true/false value")
        if isinstance(data, numbers.Real):
            return {"value": float(data)}
        if isinstance(data, str):
            try:
                return {"value": float(data)}
            except ValueError:
                raise ValueError(f"expected a number, got the text {data!r}") from None
        if isinstance(data, dict) and "range" in data:
            data = dict(data)
            rng = data.pop("range")
            if (
                not isinstance(rng, list | tuple)
                or len(rng) != 2
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in rng)
            ):
                raise ValueError("'range' must be a list of two numbers, e.g. range: [30, 50]")
            if "dist" in data:
                raise ValueError("give either 'range' or 'dist', not both")
            data["dist"] = {"dist": "uniform", "low": rng[0], "high": rng[1]}
        return data

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, not {v}")
        return v

    @model_validator(mode="after")
    def _normal_not_far_outside(self) -> Quantity:
        # truncated to [low, high], a normal centred more than 3 sd outside it puts its
        # draws in a thin pile at the bound (beyond ~8 sd all at one value): refused
        d = self.dist
        if d is not None and d.dist == "normal" and d.sd is not None:
            low = -math.inf if d.low is None else d.low
            high = math.inf if d.high is None else d.high
            gap = max(low - self.value, self.value - high, 0.0)
            if gap > 3 * d.sd:
                raise ValueError(
                    f"the value ({self.value}) lies {gap / d.sd:.3g} standard deviations "
                    f"outside the normal's [low, high] = [{d.low}, {d.high}], so every draw "
                    "would sit at the bound; move the value inside (or within 3 sd of) the "
                    "range, or widen the range or the sd"
                )
        return self


def q(x: Quantity | float | None) -> float | None:
    """The central value of a quantity (``None`` stays ``None``)."""
    if x is None:
        return None
    return x.value if isinstance(x, Quantity) else float(x)
