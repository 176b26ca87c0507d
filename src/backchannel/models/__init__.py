"""Outcome forecasting models behind one interface (:func:`forecast`).

Importing this package registers every model.
"""

import importlib

from backchannel.models import central  # noqa: F401  (registers models)
from backchannel.models.base import (
    Forecast,
    ModelOutput,
    ModelSpec,
    forecast,
    get_model,
    models,
    register,
)

for _name in ("nash", "eum", "exchange", "spatial"):
    try:
        importlib.import_module(f"backchannel.models.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - model not written yet
        if exc.name != f"backchannel.models.{_name}":
            raise

__all__ = ["Forecast", "ModelOutput", "ModelSpec", "forecast", "get_model", "models", "register"]
