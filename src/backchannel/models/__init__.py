"""Outcome forecasting models behind one interface (:func:`forecast`).

Importing this package registers every model.
"""

from backchannel.models import (  # noqa: F401  (registers)
    central,
    eum,
    exchange,
    nash,
    procedural,
    spatial,
)
from backchannel.models.base import (
    Forecast,
    ModelOutput,
    ModelSpec,
    forecast,
    get_model,
    models,
    register,
)

__all__ = ["Forecast", "ModelOutput", "ModelSpec", "forecast", "get_model", "models", "register"]
